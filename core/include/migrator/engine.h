// The migration engine: applies an assembled module set through three seams
// it is given: a session (session.h), a history store (history.h) and a lock
// (lock.h). The convenience constructors build the PostgreSQL ones
// (postgres.h): one plain connection opened from the DSN as given (never with
// the application's search_path), goose v3's history table plus a side table,
// and goose's session-level advisory lock or, through a transaction pooler,
// goose's table lease (engine_options::lock).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "migrator/assembler.h"
#include "migrator/backend.h"
#include "migrator/error.h"
#include "migrator/history.h"
#include "migrator/lock.h"
#include "migrator/planner.h"
#include "migrator/session.h"
#include "migrator/status.h"

namespace migrator {

// Which lock the PostgreSQL constructors take (postgres.h).
enum class lock_mode {
  // The advisory lock on a direct connection; the table lease when the
  // connection goes through a transaction pooler (the server's pg_backend_pid()
  // is not the process id libpq was given at connect). Logged once when it switches.
  automatic,
  advisory,  // goose's session advisory lock (does not hold through a transaction pooler)
  table,     // goose's table lease (goose_lock), on a connection of its own with a heartbeat
};

struct engine_options {
  // Used only by the constructors that build the PostgreSQL seams (table,
  // lock_id, statement_timeout, db_lock_timeout).
  // goose's version table; may be schema-qualified ("ops.goose_db_version").
  // The side table is the same name with "_meta" appended. Default: goose_db_version
  std::string table = "goose_db_version";
  // How long to wait for another runner's lock. Default: 5 minutes.
  std::chrono::milliseconds lock_timeout{std::chrono::minutes(5)};
  // The table lease's length; its heartbeat renews it every third of it, at
  // most every 5 s (goose's). Default: 30 s, goose's.
  std::chrono::milliseconds lock_lease{goose_lease};
  // The id of either lock: the advisory lock's key and the table lease's
  // lock_id in goose_lock. Default: goose's since v3.26 (lock.h), so goose and
  // this tool exclude each other.
  std::int64_t lock_id = goose_lock_id;
  // PostgreSQL statement_timeout / lock_timeout for the migration session. Default: none.
  std::optional<std::chrono::milliseconds> statement_timeout;
  std::optional<std::chrono::milliseconds> db_lock_timeout;
  // Apply even when applied migrations are modified or dirty (logged as a warning). Default: false.
  bool allow_drift = false;
  // Which lock to take. Default: automatic.
  lock_mode lock = lock_mode::automatic;
  // What pg_stat_activity shows for the engine's connections, unless the DSN or
  // PGAPPNAME sets an application_name. The app uses "app migrate up 1.4.0" or
  // "app start 1.4.0". Default: "migrator".
  std::string application_name = "migrator";
};

struct step_result {
  direction dir = direction::up;
  std::string module;
  std::int64_t version = 0;
  std::string name;
  // Its own time when it ran alone (batch_size 1). Consecutive transactional
  // migrations travel in one request, where no step's own time can be measured:
  // then batch_duration is the request's whole time and duration its even share.
  std::chrono::microseconds duration{0};
  std::size_t batch_size = 1;                       // migrations in the request that ran this one
  std::chrono::microseconds batch_duration{0};      // that request's time (= duration when batch_size is 1)
  // Recorded as applied without running (stamp, or a baseline adopted by a
  // database that has its whole replaced history).
  bool recorded_only = false;
  // A baseline: the versions it replaces (its Down also forgets them).
  std::vector<std::int64_t> replaces{};
};

struct run_report {
  std::vector<step_result> steps;  // what was applied or rolled back, in order
  bool waited_for_lock = false;
  std::int64_t current_version = 0;  // the highest applied version after these steps
  std::int64_t starting_version = 0; // the highest applied version before them (read under the lock when it ran)
};

// A run that stopped at a failing migration: what did get done stays done.
// details() names the migration, the statement and what the server said.
class run_error : public error {
 public:
  run_error(error_code code, const std::string& message, run_report done, error_details details = {})
      : error(code, message, std::move(details)), done_(std::move(done)) {}
  const run_report& done() const noexcept { return done_; }

 private:
  run_report done_;
};

// Receives progress as it happens (the CLI logs it; tests may record it).
class run_observer {
 public:
  virtual ~run_observer() = default;
  virtual void step_started(const plan_step&) {}
  virtual void step_finished(const step_result&) {}
  // When the lock is found taken, then every few seconds while waiting.
  virtual void waiting_for_lock(const lock_holder& /*holder*/) {}
};

// The plain migration connection, opened from the DSN as given. Opening it
// first lets a caller overlap the server's connection start-up (a process
// fork on the server) with loading the module set.
class connection {
 public:
  // Throws error(database); the message never holds the DSN.
  // `application_name` as in engine_options.
  explicit connection(const std::string& dsn, const std::string& application_name = "migrator");
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

 private:
  friend class engine;
  std::string dsn_;  // for the table lease's own connection
  std::string application_name_;
  std::unique_ptr<session> session_;
};

// The seams for a SQLite `dsn`: the file (or ":memory:") with every module
// schema of `set` (and the history table's schema, if qualified) attached
// (sqlite_schema_path), goose's sqlite3 table and the file lock;
// options.lock_timeout is also how long a statement waits for another
// connection's write lock. PostgreSQL has its own constructor,
// engine(std::unique_ptr<connection>, ...), which also probes for a pooler and a
// standby: for a PostgreSQL DSN this throws error(usage).
// Throws error(database) when the database cannot be opened (the message never
// holds the DSN), error(config) for a bad SQLite DSN.
backend open_backend(const std::string& dsn, const module_set& set, const engine_options& options);

class engine {
 public:
  // The seams, owned by the caller, who keeps them alive as long as the engine.
  // The engine sends no session settings of its own: configure the session first.
  engine(session& db, history_store& history, migration_lock& lock, const module_set& set,
         engine_options options);
  // The PostgreSQL seams on `conn` (options.table, lock_id and the timeouts apply).
  engine(std::unique_ptr<connection> conn, const module_set& set, engine_options options);
  // The seams of open_backend, owned by the engine.
  engine(backend seams, const module_set& set, engine_options options);
  // Connects (error_code::database on failure; the message never holds the DSN).
  // `set` must outlive the engine: plans point into it.
  engine(const std::string& dsn, const module_set& set, engine_options options);
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  // Plans without writing anything: no history table is created, no lock taken.
  // `current_version`, when given, receives the database's version from the same
  // history read (a fleet's --dry-run reports it without a second read).
  std::vector<plan_step> plan(const plan_request& request, std::int64_t* current_version = nullptr);

  // stamp V (plan_request{command_kind::stamp, V}) records every pending version
  // up to V as applied without running it; it is refused (error_code::refused)
  // when one of them is already recorded differently (dirty, another checksum
  // or another module), and V must be a version of the set (error_code::plan).
  // Checks pending work, takes the lock, re-plans and executes.
  // Throws run_error when a step fails (with what was done before it).
  // On a read-only standby (PostgreSQL constructors) throws error(read_only)
  // before any statement.
  run_report run(const plan_request& request, run_observer* observer = nullptr);

  // Stops a run from another thread or a signal handler (async-signal-safe):
  // a lock wait gives up; a transactional migration in flight is cancelled on
  // the server (session::cancel) and rolled back; a NO TRANSACTION migration
  // finishes the statement in flight (cancelling CREATE INDEX CONCURRENTLY
  // would leave an invalid index) and stops before the next, dirty with its
  // progress recorded. run() then releases the lock and throws run_error with
  // error_code::interrupted, saying what was applied and what was not.
  void interrupt() noexcept;

  status_report status();

  // Records the current checksum (and module) of every applied migration that has none.
  // Returns how many rows were recorded.
  std::size_t repair_checksums();
  // After a human fixed a dirty version's database state by hand. Under the
  // lock, refuses (error(usage)) unless `version` is dirty; returns its
  // status as it was before the repair.
  migration_status repair_mark_applied(std::int64_t version);
  migration_status repair_mark_rolled_back(std::int64_t version);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace migrator
