// The migration engine: applies an assembled module set through three seams
// it is given: a session (session.h), a history store (history.h) and a lock
// (lock.h). It never opens a database itself: the seams come from
// open_backend (backend.h), PostgreSQL's or SQLite's, or from the caller.
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

// What the engine takes: how the database is opened (backend.h) and how it runs.
struct engine_options : backend_options {
  // Apply even when applied migrations are modified or dirty (logged as a warning). Default: false.
  bool allow_drift = false;
  // `up` with contract migrations that live builds do not know: wait up to this
  // long for those builds to stop (polling the registry, before taking the
  // lock), then apply. 0: defer them at once. Default: 0.
  std::chrono::milliseconds wait_for_builds{0};
  // up, up-by-one, up-to: every migration of the run and its history rows in one
  // transaction, so a failure leaves nothing of the run. A plan with a NO
  // TRANSACTION migration or a no-transaction code migration is refused
  // (error(refused)) before anything runs. Default: false (each migration commits alone).
  bool single_transaction = false;
};

struct step_result {
  direction dir = direction::up;
  std::string module;
  std::int64_t version = 0;  // 0 for a repeatable migration
  std::string name;
  migration_role role = migration_role::versioned;  // versioned or repeatable (callbacks are no steps)
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
  // up, up-by-one, up-to: pending migrations left for later because a live
  // build does not know a contract migration (builds.h); logged, one line each contract.
  std::vector<deferred_migration> deferred;
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

class engine {
 public:
  // The seams, owned by the caller, who keeps them alive as long as the engine.
  // The engine sends no session settings of its own: configure the session first.
  // `capabilities`: what the database can do (backend.h); default: a writable,
  // direct session.
  engine(session& db, history_store& history, migration_lock& lock, const module_set& set,
         engine_options options, backend_capabilities capabilities = {});
  // The seams of open_backend or backend_opener::open (backend.h), owned by the engine.
  engine(backend seams, const module_set& set, engine_options options);
  // open_backend(dsn, set, options): PostgreSQL or SQLite by the DSN.
  // `set` must outlive the engine: plans point into it.
  engine(const std::string& dsn, const module_set& set, engine_options options);
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  // Plans without writing anything: no history table is created, no lock taken.
  // `current_version`, when given, receives the database's version from the same
  // history read (a fleet's --dry-run reports it without a second read).
  // `deferred`, when given, receives what `up` would defer (contract migrations
  // that live builds do not know); the plan then leaves them out.
  std::vector<plan_step> plan(const plan_request& request, std::int64_t* current_version = nullptr,
                              std::vector<deferred_migration>* deferred = nullptr);

  // stamp V (plan_request{command_kind::stamp, V}) records every pending version
  // up to V as applied without running it; it is refused (error_code::refused)
  // when one of them is already recorded differently (dirty, another checksum
  // or another module), and V must be a version of the set (error_code::plan).
  // Checks pending work, takes the lock, re-plans and executes.
  // Throws run_error when a step fails (with what was done before it).
  // On a read-only database (backend_capabilities::read_only: a standby) throws error(read_only)
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

  // With status_report::deferred filled from the build registry.
  status_report status();

  // The database's version when its history is exactly the whole set applied
  // (every migration applied, unmodified and clean, every repeatable recorded):
  // `up` has nothing to do and status nothing pending. One request, which reads
  // less than status() does. nullopt: not current, or the store cannot tell in
  // one request (no history yet, SQLite); status() then decides.
  std::optional<std::int64_t> version_if_current();

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
