// Opening a PostgreSQL database for the factory (backend/factory.cpp): the
// connection, the probe that finds a standby or a transaction pooler, the
// session settings and the choice of lock.
#pragma once

#include <memory>
#include <string>

#include "migrator/backend.h"

namespace migrator::detail {

// The migration connection, opened from the DSN as given. Throws
// error(database) ("cannot connect to the database: ..."), never naming the DSN.
std::unique_ptr<session> connect_for_migration(const std::string& dsn, const std::string& application_name);

// The seams on `db` (from connect_for_migration on the same `dsn`; the table
// lease opens its own connections from it).
backend open_postgres(std::unique_ptr<session> db, const std::string& dsn, const backend_options& options);

// Asks on `db` now what open_postgres with `options`, then an engine's `first`
// look at the history, will ask first (pg_session::read_ahead): the answers
// wait on the session. Never throws: what failed is asked again in its turn.
void read_ahead(session& db, const backend_options& options, history_look first) noexcept;

}  // namespace migrator::detail
