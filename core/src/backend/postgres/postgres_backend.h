// Opening a PostgreSQL database for the factory (backend/factory.cpp): the
// connection, the probe that finds a standby or a transaction pooler, the
// session settings and the choice of lock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "migrator/backend.h"

namespace migrator::detail {

// The migration connection, opened from the DSN as given. Throws
// error(database) ("cannot connect to the database: ..."), never naming the DSN.
std::unique_ptr<session> connect_for_migration(const std::string& dsn, const std::string& application_name);

// Whether `db` goes through a transaction pooler: the server process that
// answers (`server_process_id`, its pg_backend_pid()) is not the one libpq was
// given at connect (PgBouncer hands out numbers of its own). An idle pool
// hands the same server connection back, so "does it change between two
// transactions" would not tell.
bool through_transaction_pooler(const session& db, std::int64_t server_process_id);

// The seams on `db` (from connect_for_migration on the same `dsn`; the table
// lease opens its own connections from it).
backend open_postgres(std::unique_ptr<session> db, const std::string& dsn, const backend_options& options);

// Asks on `db` now what open_postgres with `options`, then an engine's `first`
// look at the history, will ask first (pg_session::read_ahead): the answers
// wait on the session. Never throws: what failed is asked again in its turn.
void read_ahead(session& db, const backend_options& options, history_look first) noexcept;

}  // namespace migrator::detail
