// Migrating when a monolith starts: the one call a program's main makes
// before it serves, with the same guarantees as `app start` (which uses it):
// wait for the database, migrate under the lock (replicas started together:
// one migrates, the others wait or find nothing to do), the safety guards
// (drift, dirty versions, a shifted namespace), and the check that the schema
// is current, with every reason when it is not. Progress is logged through
// migrator/log.h's sink.
//
//   auto set = migrator::valid_module_set(migrator::assemble_embedded());
//   migrator::startup_options options;
//   options.dsn = std::getenv("DATABASE_URL");
//   auto result = migrator::migrate_on_startup(set, options);  // throws migrator::error
//   // result.applied, result.status.current_version, result.unknown
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "migrator/assembler.h"
#include "migrator/builds.h"
#include "migrator/engine.h"
#include "migrator/error.h"

namespace migrator {

// What to do with versions the database holds but this build does not know
// (applied by a newer build during a rolling deploy).
enum class unknown_versions {
  warn,    // start when every known migration is applied and unmodified; one warning names them
  refuse,  // the schema is not current: refuse to start
};
const char* to_string(unknown_versions policy) noexcept;

struct startup_options {
  // libpq connection string (keyword/value or URI; normalize_dsn accepts more
  // spellings). Default: "" = libpq's defaults (PG* variables, service file).
  std::string dsn;
  // Version table, lock key and timeouts, allow_drift. Default: engine_options{}.
  engine_options engine;
  // How long to wait for the database to accept connections. Default: 60s.
  std::chrono::milliseconds wait_timeout{std::chrono::seconds(60)};
  // Whether to migrate; false only checks that the schema is current. Default: true.
  bool migrate = true;
  // Register this build in the build registry (builds.h) before migrating, and
  // keep it registered while startup_result::registration lives: contract
  // migrations of newer builds wait for it. Skipped on a standby. Default: true.
  bool register_build = true;
  // The registry entry's lease (registration_options::lease). Default: 30 s.
  std::chrono::milliseconds build_lease{std::chrono::seconds(30)};
  // Default: unknown_versions::warn.
  unknown_versions on_unknown = unknown_versions::warn;
  // Also told of every step and lock wait (besides the log lines). Default: none.
  run_observer* observer = nullptr;
  // Called with the engine just before it migrates and with nullptr once it is
  // done, so a caller can engine::interrupt() it from its own signal handling
  // (app start does, on SIGINT/SIGTERM). Default: none.
  std::function<void(migrator::engine* running)> running;  // qualified: the member `engine` hides the class
};

struct startup_result {
  bool migrated = false;            // options.migrate: a run was made (it may have had nothing to do)
  std::vector<step_result> applied;  // what this process applied, in order (empty: nothing to apply)
  status_report status;             // after migrating; status.current_version is the schema version
  std::vector<migration_status> unknown;  // versions of a newer build, tolerated (on_unknown = warn)
  // This process's entry in the build registry: keep it alive while the
  // application serves; destroying it (a clean stop) removes the entry. Null
  // when register_build is false or the database is a standby.
  std::unique_ptr<build_registration> registration;
  // Contract migrations (and what follows them in their module) left pending
  // for older builds that still run; the schema counts as current without them.
  std::vector<deferred_migration> deferred;
};

// Waits for the database, migrates every pending migration under the lock
// (unless options.migrate is false), then checks the schema. Throws:
// error(database) when the database did not come up in time or refused us;
// run_error (with what was applied) when a migration failed; error(refused)
// on drift, a dirty version or a shifted namespace; error(lock_timeout);
// error(not_current) listing every migration that is not applied, and why.
startup_result migrate_on_startup(const module_set& set, const startup_options& options);

// The migrations' states, read only (no lock, no table created).
// Throws error(database).
status_report query_status(const module_set& set, const std::string& dsn, const engine_options& options = {});

// One line per reason the schema is not current ("\n  billing 4002 ...: pending (...)"),
// namespace conflicts first; "" when it is current. Unknown versions are a
// reason only with unknown_versions::refuse; modified migrations are none with
// allow_drift (the caller warns instead). Dirty versions always are.
std::string not_current_reasons(const status_report& status, unknown_versions on_unknown, bool allow_drift = false);

// The set of an assembly, or error(layout) listing every problem (path:line: message).
module_set valid_module_set(assembly assembled);

// Logs each applied or rolled-back migration (module, version, name, duration)
// and lock waits through migrator/log.h.
class logging_run_observer : public run_observer {
 public:
  void waiting_for_lock(const lock_holder& holder) override;
  void step_finished(const step_result& result) override;
};

}  // namespace migrator
