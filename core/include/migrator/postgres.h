// The PostgreSQL implementations of the seams (session.h, history.h, lock.h).
// engine(dsn, ...) builds these itself; build them here to combine them with
// implementations of your own.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "migrator/history.h"
#include "migrator/lock.h"
#include "migrator/postgres_versions.h"
#include "migrator/session.h"

namespace migrator {

// One plain libpq connection opened from the DSN as given (never with a custom
// search_path). `application_name` is what pg_stat_activity shows for it
// (libpq's fallback_application_name: an application_name in the DSN or
// PGAPPNAME wins). Throws database_error (connection_lost() true) when the
// server cannot be reached; the message never holds the DSN.
std::unique_ptr<session> connect_postgres(const std::string& dsn, const std::string& application_name = "");

// The server's own grammar on `sql` (one or more statements), without running
// any of it: nullopt when it parses, else the server's error (details():
// sqlstate, position counted in characters of `sql`). Takes no lock and needs
// no privilege, so it is safe on a production server, a standby or a pooler.
// Throws database_error when the connection fails.
std::optional<database_error> server_syntax_error(session& s, const std::string& sql);

// goose v3's table `table` (may be schema-qualified) plus "<table>_meta", on a
// PostgreSQL session. Offers record_*_sql, so a migration is one round trip.
// `direct`: the session is a server connection of its own, not one a
// transaction pooler lends per transaction. Then ensure() prepares the "record
// applied" statement on the session (saves parsing it per migration), and, with
// `tables_aside`, a fresh database's tables are made on a second connection
// beside the first migration (history_store::tables_to_make_aside). Pass false
// through a transaction pooler, where a prepared statement does not outlive its
// transaction's server connection, and where the second connection could wait
// for the server connection the first one holds.
std::unique_ptr<history_store> make_goose_history_store(session& s, const std::string& table, bool direct = true,
                                                        bool tables_aside = true);

// goose's session-level advisory lock pg_try_advisory_lock(key), tried in a loop
// (key goose_lock_id for goose v3.26+, goose_lock_id_before_v3_26 for older ones).
std::unique_ptr<migration_lock> make_advisory_lock(session& s, std::int64_t key);

// goose's table lock (its table locker since v3.26): one row of `table`
// (lock_id, locked, locked_at, locked_by, lease_expires_at, updated_at) held
// as a lease and renewed by a heartbeat on a connection and thread of its own,
// so it holds through a transaction pooler. A lease whose holder stopped
// renewing expires and is taken over (logged). goose's table locker (v3.26+)
// and this lock exclude each other when both use the same table and lock id:
// each one's INSERT ... ON CONFLICT ... WHERE takes the row only when it is
// unlocked or its lease expired.
struct table_lock_options {
  std::string table = "goose_lock";  // may be schema-qualified; created when missing
  std::int64_t lock_id = goose_lock_id;  // goose's table locker's default since v3.26 (lock.h)
  std::chrono::milliseconds lease{goose_lease};
  std::chrono::milliseconds heartbeat{goose_heartbeat};  // at most a third of `lease` (shortened to that)
  // Written to locked_by. Default: "<application_name> on <host> pid <pid> #<random tag>"
  // (the tag tells apart two holders that are both pid 1 in their containers).
  std::string holder;
  std::string application_name = "migrator";
};
// `connect` opens the lock's own session (for acquiring, the heartbeat and releasing).
std::unique_ptr<migration_lock> make_table_lock(std::function<std::unique_ptr<session>()> connect,
                                                table_lock_options options);

}  // namespace migrator
