// Opening a database: the one place that turns a DSN into the three seams the
// engine runs on (session.h, history.h, lock.h), for PostgreSQL (postgres.h)
// or SQLite (sqlite.h, "sqlite:PATH" DSNs). Every command, the fleet, startup,
// lint --pending-from-db and the equivalence check open databases here.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "migrator/assembler.h"
#include "migrator/history.h"
#include "migrator/lock.h"
#include "migrator/session.h"
#include "migrator/source.h"

namespace migrator {

// Which lock a PostgreSQL database is guarded by.
enum class lock_mode {
  // The advisory lock on a direct connection; the table lease when the
  // connection goes through a transaction pooler (the server's pg_backend_pid()
  // is not the process id libpq was given at connect). Logged once when it switches.
  automatic,
  advisory,  // goose's session advisory lock (does not hold through a transaction pooler)
  table,     // goose's table lease (goose_lock), on a connection of its own with a heartbeat
};

// What only a PostgreSQL database takes (a SQLite one ignores these).
struct postgres_options {
  lock_mode lock = lock_mode::automatic;
  // The id of either lock: the advisory lock's key and the table lease's
  // lock_id in goose_lock. Default: goose's since v3.26 (lock.h), so goose and
  // this tool exclude each other.
  std::int64_t lock_id = goose_lock_id;
  // The table lease's length (its heartbeat renews it, make_table_lock). Default: 30 s, goose's.
  std::chrono::milliseconds lock_lease{goose_lease};
  // The server's statement_timeout / lock_timeout for the migration session. Default: none.
  std::optional<std::chrono::milliseconds> statement_timeout;
  std::optional<std::chrono::milliseconds> server_lock_timeout;
  // With server_lock_timeout set: a migration step that fails on lock_not_available
  // (SQLSTATE 55P03) is tried again after a backoff (docs/configuration.md#lock-retries),
  // at most lock_retries more times and no longer than lock_retry_for from its first
  // failure, so the step gives way to traffic instead of queueing it. 0: fail at once.
  int lock_retries = 10;
  std::chrono::milliseconds lock_retry_for{std::chrono::minutes(5)};
};

// Every setting's default is written here once; the app's settings start from these.
struct backend_options {
  // goose's version table; may be schema-qualified ("ops.goose_db_version").
  // The side table is the same name with "_meta" appended.
  std::string table = "goose_db_version";
  // How long to wait for another runner's lock (on SQLite also for another
  // connection's write lock). Default: 5 minutes.
  std::chrono::milliseconds lock_timeout{std::chrono::minutes(5)};
  // What pg_stat_activity shows for the connections, unless the DSN or
  // PGAPPNAME sets an application_name. The app uses "app migrate up 1.4.0" or
  // "app start 1.4.0". Default: "migrator".
  std::string application_name = "migrator";
  postgres_options postgres;
  // The engine will only read (status, version, a fleet's status). On
  // PostgreSQL with no statement_timeout or server_lock_timeout to set, opening
  // then skips the round trip that asks whether the server is a standby and
  // whether a pooler stands between: only writing needs either answer. The
  // engine refuses every writing call (error(usage)). Default: false.
  bool reads_only = false;
  // On PostgreSQL, a fresh database's history tables made on a second
  // connection beside the first migration (history_store::tables_to_make_aside):
  // a few milliseconds less for a run on a server with processors to spare,
  // for one connection more. A fleet, whose jobs keep the server busy with
  // connections of their own, sets false. Default: true.
  bool tables_on_second_connection = true;
};

// What the opened database can do, found out when it was opened.
struct backend_capabilities {
  // A PostgreSQL standby (pg_is_in_recovery()): the engine refuses to write.
  bool read_only = false;
  // Through a transaction pooler: no session state survives a transaction, so
  // settings travel in each transaction and prepared statements are not kept.
  bool pooled = false;
  // Sent after each BEGIN when the session cannot hold settings (pooled):
  // "SET LOCAL search_path TO DEFAULT;" (another client of the pool may have
  // left a search_path on the server connection), then "SET LOCAL
  // statement_timeout = ...;" and the like; empty on a direct connection.
  std::string transaction_settings;
  // Pooled with a statement_timeout or server lock_timeout: a NO TRANSACTION
  // statement runs without them (the engine warns once).
  bool timeouts_in_transactions_only = false;
  // goose's table as the history store names it: backend_options::table, or,
  // through a pooler, qualified with the schema it resolves to on the server's
  // default search_path ("public.goose_db_version"). Its side tables follow it.
  std::string history_table;
  // PostgreSQL's server_version_num (180004 for 18.4); 0 for SQLite. Modules'
  // requires_postgres is checked against it.
  int server_version = 0;
};

struct backend {
  backend_kind kind = backend_kind::postgres;
  backend_capabilities capabilities;
  std::unique_ptr<session> db;
  std::unique_ptr<history_store> history;  // on *db
  std::unique_ptr<migration_lock> lock;    // on *db, its own connection (table lease) or beside the file (SQLite)
};

// Opens the database of `dsn` for `set`:
// - PostgreSQL: one plain connection opened from the DSN as given (never with
//   a custom search_path), probed in one round trip for a standby and a
//   transaction pooler; the server settings go on the session (or, pooled, in
//   each transaction); goose v3's history table plus its side table; goose's
//   advisory lock or its table lease (options.postgres.lock).
// - SQLite: the file (or ":memory:") with every module schema of `set` (and
//   the history table's schema, if qualified) attached beside it
//   (sqlite_schema_path), goose's sqlite3 table and the file lock.
// Throws error(database) when the database cannot be reached (the message
// never holds the DSN), error(config) for a bad DSN, error(usage) for a set
// the backend cannot hold (more schemas than SQLite can attach).
backend open_backend(const std::string& dsn, const module_set& set, const backend_options& options);

// Checks, without opening anything, that open_backend could hold `set` on the
// backend of `dsn` (SQLite attaches at most sqlite_max_schemas schemas).
// Throws what open_backend would: error(config) or error(usage).
void check_backend(const std::string& dsn, const module_set& set, const backend_options& options);

// An engine's first look at the history (engine.h): read() for plan and every
// run but `up`'s, which first compares the history with the set (the
// up-to-date check); status's read (history_store::read_for_status).
// backend_opener can ask it ahead.
enum class history_look { none, read, up_to_date_check, status };

// open_backend in two halves, so that the server's connection start-up (a
// process fork on the server) overlaps loading the module set: the
// constructor starts connecting to a PostgreSQL database on a thread of its
// own (a SQLite file needs the set to open); open() waits for it and finishes.
// Destroyed without open(), it leaves the attempt to end on its own and close
// what it opened, so a broken module set is reported at once.
class backend_opener {
 public:
  // Connects with `options.application_name`. Once connected it asks what
  // opening with `options` will ask, then the engine's `first` look at the
  // history, so that the server answers while the module set loads. The
  // answers are used only by the same requests made first, in the same order,
  // on the opened session (any other request drops them), and what failed is
  // asked again in its turn: open() and the engine behave as without them,
  // one or two round trips sooner.
  backend_opener(std::string dsn, backend_options options, history_look first);
  ~backend_opener();
  backend_opener(const backend_opener&) = delete;
  backend_opener& operator=(const backend_opener&) = delete;

  // `options.application_name` is the constructor's; other options may differ
  // from the constructor's (what was asked ahead is then not used).
  backend open(const module_set& set, const backend_options& options);

  // Whether open() would return without waiting for the connecting thread:
  // it has connected (and asked ahead) or failed. Always true for SQLite.
  bool ready() const;

  // Whether an abandoned attempt is still running somewhere in the process:
  // then exit-time destructors of the libraries it uses must not run yet (the
  // app's main() then ends with std::_Exit once everything is written).
  static bool attempts_in_flight();

 private:
  struct state;
  std::string dsn_;
  std::string application_name_;
  std::shared_ptr<state> state_;
};

}  // namespace migrator
