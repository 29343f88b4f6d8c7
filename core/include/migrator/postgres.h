// The PostgreSQL implementations of the seams (session.h, history.h, lock.h).
// engine(dsn, ...) builds these itself; build them here to combine them with
// implementations of your own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "migrator/history.h"
#include "migrator/lock.h"
#include "migrator/session.h"

namespace migrator {

// One plain libpq connection opened from the DSN as given (never with a custom
// search_path). Throws database_error (connection_lost() true) when the server
// cannot be reached; the message never holds the DSN.
std::unique_ptr<session> connect_postgres(const std::string& dsn);

// goose v3's table `table` (may be schema-qualified) plus "<table>_meta", on a
// PostgreSQL session. Offers record_*_sql, so a migration is one round trip.
std::unique_ptr<history_store> make_goose_history_store(session& s, const std::string& table);

// goose's session-level advisory lock pg_try_advisory_lock(key), tried in a loop.
std::unique_ptr<migration_lock> make_advisory_lock(session& s, std::int64_t key);

}  // namespace migrator
