// The migration engine: applies an assembled module set through three seams
// it is given: a session (session.h), a history store (history.h) and a lock
// (lock.h). The convenience constructors build the PostgreSQL ones
// (postgres.h): one plain connection opened from the DSN as given (never with
// the application's search_path), goose v3's history table plus a side table,
// and goose's session-level advisory lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "migrator/assembler.h"
#include "migrator/error.h"
#include "migrator/history.h"
#include "migrator/lock.h"
#include "migrator/planner.h"
#include "migrator/session.h"
#include "migrator/status.h"

namespace migrator {

struct engine_options {
  // Used only by the constructors that build the PostgreSQL seams (table,
  // lock_key, statement_timeout, db_lock_timeout).
  // goose's version table; may be schema-qualified ("ops.goose_db_version").
  // The side table is the same name with "_meta" appended. Default: goose_db_version
  std::string table = "goose_db_version";
  // How long to wait for another runner's lock. Default: 5 minutes.
  std::chrono::milliseconds lock_timeout{std::chrono::minutes(5)};
  // goose's advisory lock key, so goose and this tool exclude each other.
  std::int64_t lock_key = 4097083626;
  // PostgreSQL statement_timeout / lock_timeout for the migration session. Default: none.
  std::optional<std::chrono::milliseconds> statement_timeout;
  std::optional<std::chrono::milliseconds> db_lock_timeout;
  // Apply even when applied migrations are modified or dirty (logged as a warning). Default: false.
  bool allow_drift = false;
};

struct step_result {
  direction dir = direction::up;
  std::string module;
  std::int64_t version = 0;
  std::string name;
  std::chrono::microseconds duration{0};
};

struct run_report {
  std::vector<step_result> steps;  // what was applied or rolled back, in order
  bool waited_for_lock = false;
  std::int64_t current_version = 0;  // the highest applied version after these steps
  std::int64_t starting_version = 0;  // the highest applied version when the run first read the history
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
  virtual void waiting_for_lock() {}
};

// The plain migration connection, opened from the DSN as given. Opening it
// first lets a caller overlap the server's connection start-up (a process
// fork on the server) with loading the module set.
class connection {
 public:
  // Throws error(database); the message never holds the DSN.
  explicit connection(const std::string& dsn);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

 private:
  friend class engine;
  std::unique_ptr<session> session_;
};

class engine {
 public:
  // The seams, owned by the caller, who keeps them alive as long as the engine.
  // The engine sends no session settings of its own: configure the session first.
  engine(session& db, history_store& history, migration_lock& lock, const module_set& set,
         engine_options options);
  // The PostgreSQL seams on `conn` (options.table, lock_key and the timeouts apply).
  engine(std::unique_ptr<connection> conn, const module_set& set, engine_options options);
  // Connects (error_code::database on failure; the message never holds the DSN).
  // `set` must outlive the engine: plans point into it.
  engine(const std::string& dsn, const module_set& set, engine_options options);
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  // Plans without writing anything: no history table is created, no lock taken.
  std::vector<plan_step> plan(const plan_request& request);

  // Checks pending work, takes the lock, re-plans and executes.
  // Throws run_error when a step fails (with what was done before it).
  run_report run(const plan_request& request, run_observer* observer = nullptr);

  status_report status();

  // Records the current checksum (and module) of every applied migration that has none.
  // Returns how many rows were recorded.
  std::size_t repair_checksums();
  // After a human fixed a dirty version's database state by hand.
  void repair_mark_applied(std::int64_t version);
  void repair_mark_rolled_back(std::int64_t version);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace migrator
