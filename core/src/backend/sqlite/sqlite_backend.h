// Opening a SQLite database for the factory (backend/factory.cpp): the file
// with one attached file per module schema, goose's sqlite3 table and the file lock.
#pragma once

#include <string>

#include "migrator/backend.h"

namespace migrator::detail {

// Throws error(config) for a DSN without a path, error(usage) when `set` has
// more schemas than SQLite attaches. Opens nothing.
void check_sqlite(const std::string& dsn, const module_set& set, const backend_options& options);

// check_sqlite, then the seams. Throws error(database) when the file cannot be opened.
backend open_sqlite(const std::string& dsn, const module_set& set, const backend_options& options);

}  // namespace migrator::detail
