// The three seams of one database, chosen by its DSN: PostgreSQL
// (postgres.h) or SQLite (sqlite.h, for "sqlite:PATH" DSNs). The engine takes
// them as they are; callers that only have a DSN open them here.
#pragma once

#include <memory>

#include "migrator/history.h"
#include "migrator/lock.h"
#include "migrator/session.h"
#include "migrator/source.h"

namespace migrator {

struct backend {
  backend_kind kind = backend_kind::postgres;
  std::unique_ptr<session> db;
  std::unique_ptr<history_store> history;  // on *db
  std::unique_ptr<migration_lock> lock;    // on *db (PostgreSQL) or beside the file (SQLite)
};

}  // namespace migrator
