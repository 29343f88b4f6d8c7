#include "migrator/startup.h"

#include "migrator/baseline.h"

#include "migrator/application.h"
#include "migrator/backend.h"
#include "migrator/dsn.h"
#include "migrator/elapsed_text.h"
#include "migrator/log.h"

#include <optional>

namespace migrator {

namespace {

// The caller's observer and the log lines, both.
class both_observers final : public run_observer {
 public:
  both_observers(run_observer& first, run_observer* second) : first_(first), second_(second) {}
  void step_started(const plan_step& step) override {
    first_.step_started(step);
    if (second_) second_->step_started(step);
  }
  void step_finished(const step_result& result) override {
    first_.step_finished(result);
    if (second_) second_->step_finished(result);
  }
  void waiting_for_lock(const lock_holder& holder) override {
    first_.waiting_for_lock(holder);
    if (second_) second_->waiting_for_lock(holder);
  }

 private:
  run_observer& first_;
  run_observer* second_;
};

bool tolerated(const migration_status& m, unknown_versions on_unknown, bool allow_drift) {
  return m.state == migration_state::applied || m.state == migration_state::replaced ||
         (m.state == migration_state::modified && allow_drift) ||
         (m.state == migration_state::unknown && on_unknown == unknown_versions::warn);
}

std::vector<migration_status> in_state(const status_report& status, migration_state state) {
  std::vector<migration_status> found;
  for (const auto& m : status.migrations)
    if (m.state == state) found.push_back(m);
  return found;
}

// "billing 4002 invoices, 4003": what a log line names them by (an unknown
// version may have no module or name on record).
std::string listed(const std::vector<migration_status>& migrations) {
  std::string text;
  for (const auto& m : migrations)
    text += (text.empty() ? "" : ", ") + (m.module.empty() ? std::string() : m.module + " ") +
            std::to_string(m.version) + (m.name.empty() ? std::string() : " " + m.name);
  return text;
}

// Before migrating, so a contract migration of a still newer build that starts
// while this one runs waits for it. A standby cannot be written: a process
// there serves reads and does not block contracts of the primary.
std::unique_ptr<build_registration> register_this_build(const module_set& set, const startup_options& options) {
  registration_options registration;
  registration.table = options.engine.table;
  registration.application_name = options.engine.application_name;
  registration.lease = options.build_lease;
  try {
    auto entry = std::make_unique<build_registration>(options.dsn, set, registration);
    log(log_level::info,
        "registered build " + entry->entry().build_id + " (" + format_known_versions(entry->entry().known) +
            ") in the build registry",
        {{"event", "build_registered"},
         {"build_id", entry->entry().build_id},
         {"instance", entry->entry().instance},
         {"known_versions", format_known_versions(entry->entry().known)}});
    return entry;
  } catch (const error& e) {
    if (e.details().sqlstate == "25006") {  // read_only_sql_transaction: a standby
      log(log_level::info, "not registering this build: the database is a read-only standby");
      return nullptr;
    }
    // A role that may read but not create the registry (a start with migrating
    // off, say) still starts; it says that nothing will wait for it.
    if (e.details().sqlstate != "42501") throw;  // insufficient_privilege
    log(log_level::warn, std::string("could not register this build in the build registry (") + e.what() +
                             "): contract migrations of newer builds will not wait for it");
    return nullptr;
  }
}

}  // namespace

const char* to_string(unknown_versions policy) noexcept {
  return policy == unknown_versions::refuse ? "refuse" : "warn";
}

// The log lines below carry an `event` field: the structured-log contract of
// docs/configuration.md#log-events. Keep event names and fields stable.
void logging_run_observer::waiting_for_lock(const lock_holder& holder) {
  log(log_level::info, "waiting for the migration lock, held by " + holder.describe(),
      {{"event", "lock_wait"}, {"holder", holder.describe()}});
}

void logging_run_observer::step_finished(const step_result& r) {
  if (r.role == migration_role::repeatable) {
    log_scope scope({{"module", r.module}});
    const bool up = r.dir == direction::up;
    return log(log_level::info,
               std::string(up ? "applied repeatable " : "reverted repeatable ") + r.module + " " + r.name + " (" +
                   elapsed_text(r.duration) + ")",
               {{"event", up ? "repeatable_applied" : "repeatable_reverted"},
                {"name", r.name},
                {"duration_us", static_cast<std::int64_t>(r.duration.count())}});
  }
  log_scope scope({{"module", r.module}, {"version", r.version}});
  if (r.recorded_only && !r.replaces.empty())
    return log(log_level::info, "recorded baseline " + r.module + " " + std::to_string(r.version) + " " + r.name +
                                    " as applied without running it: the database has every version it replaces (" +
                                    format_versions(r.replaces) + ")",
               {{"event", "recorded"}, {"name", r.name}, {"replaces", format_versions(r.replaces)}});
  if (r.recorded_only)
    return log(log_level::info, "recorded " + r.module + " " + std::to_string(r.version) + " " + r.name +
                                    " as applied without running it",
               {{"event", "recorded"}, {"name", r.name}});
  const std::string what = std::string(r.dir == direction::up ? "applied " : "rolled back ") + r.module + " " +
                           std::to_string(r.version) + " " + r.name;
  const char* event = r.dir == direction::up ? "applied" : "rolled_back";
  // A migration that travelled with others has no time of its own: say whose time it is.
  if (r.batch_size > 1)
    return log(log_level::info,
               what + " (batch of " + std::to_string(r.batch_size) + ": " + elapsed_text(r.batch_duration) + ")",
               {{"event", event},
                {"name", r.name},
                {"batch_size", static_cast<std::int64_t>(r.batch_size)},
                {"batch_duration_us", static_cast<std::int64_t>(r.batch_duration.count())}});
  log(log_level::info, what + " (" + elapsed_text(r.duration) + ")",
      {{"event", event}, {"name", r.name}, {"duration_us", static_cast<std::int64_t>(r.duration.count())}});
}

std::string not_current_reasons(const status_report& status, unknown_versions on_unknown, bool allow_drift) {
  std::string why;
  for (const auto& c : status.namespace_conflicts) why += "\n  namespace conflict: " + c;
  for (const auto& m : status.migrations) {
    if (tolerated(m, on_unknown, allow_drift)) continue;
    // A contract migration waiting for older builds: this build runs without it.
    if (m.state == migration_state::pending && status.is_deferred(m.version)) continue;
    why += "\n  " + m.module + " " + std::to_string(m.version) + " " + (m.path.empty() ? m.name : m.path) + ": " +
           to_string(m.state);
    switch (m.state) {
      case migration_state::pending: why += " (migrate, or start with migrating on)"; break;
      case migration_state::modified: why += " (edited after it was applied: revert the file, or start with allow_drift)"; break;
      case migration_state::dirty:
        why += " (fix it, then 'app migrate repair " + std::to_string(m.version) + " --mark-applied' or "
               "'--mark-rolled-back')";
        break;
      case migration_state::unknown:
        why += " (applied by a newer build: deploy that build, or start with on-unknown 'warn')";
        break;
      default: break;
    }
  }
  for (const auto& r : status.repeatables)
    if (r.state == repeatable_state::pending || r.state == repeatable_state::changed)
      why += "\n  " + r.module + " repeatable " + r.path + ": " + to_string(r.state) +
             " (migrate, or start with migrating on)";
  return why;
}

module_set valid_module_set(assembly assembled) {
  if (!assembled.ok()) {
    std::string msg = "refusing to start: the module set has problems:";
    for (const auto& p : assembled.problems) msg += "\n  " + p.str();
    throw error(error_code::layout, msg);
  }
  return std::move(assembled.set);
}

status_report query_status(const module_set& set, const std::string& dsn, const engine_options& options) {
  engine eng(dsn, set, options);
  return eng.status();
}

startup_result migrate_on_startup(const module_set& set, const startup_options& options) {
  // The wait opens the engine's own connection: a start makes none just to see
  // that the server answers (each costs the server a process).
  std::optional<backend> opened;
  wait_until_connected([&] { opened = open_backend(options.dsn, set, options.engine); }, options.wait_timeout,
                       [](int attempt, const std::string& reason) {
                         log(log_level::info,
                             "waiting for the database (attempt " + std::to_string(attempt) + "): " + reason,
                             {{"event", "database_wait"}, {"attempt", attempt}, {"reason", reason}});
                       });

  startup_result result;
  engine eng(std::move(*opened), set, options.engine);
  if (options.register_build && backend_of(options.dsn) == backend_kind::postgres)
    result.registration = register_this_build(set, options);
  if (options.migrate) {
    logging_run_observer logging;
    both_observers observers(logging, options.observer);
    struct detach {
      const std::function<void(engine*)>& running;
      ~detach() {
        if (running) running(nullptr);
      }
    } detach_when_done{options.running};
    if (options.running) options.running(&eng);
    run_report report = eng.run({command_kind::up, 0}, &observers);
    result.migrated = true;
    result.applied = std::move(report.steps);
    result.deferred = std::move(report.deferred);
    log(log_level::info,
        result.applied.empty() ? std::string("migrations: nothing to apply")
                               : "migrations: applied " + std::to_string(result.applied.size()),
        {{"event", "startup_migrated"}, {"count", static_cast<std::int64_t>(result.applied.size())}});
  } else {
    log(log_level::info, "migrations: skipped (migrating on start is off)", {{"event", "startup_migration_skipped"}});
  }

  result.status = eng.status();
  if (!options.migrate) result.deferred = result.status.deferred;
  const bool allow_drift = options.engine.allow_drift;
  const std::string why = not_current_reasons(result.status, options.on_unknown, allow_drift);
  if (!why.empty())
    throw error(error_code::not_current, "refusing to start: the database schema is not current:" + why);

  // allow_drift is the operator asking to run on modified history: start, but say so every time.
  const std::vector<migration_status> modified = in_state(result.status, migration_state::modified);
  if (!modified.empty()) {
    const std::string list = listed(modified);
    log(log_level::warn,
        "starting although " + std::to_string(modified.size()) + " applied migration(s) differ from their files (" +
            list + "): allow_drift is on",
        {{"event", "drift_allowed"}, {"count", static_cast<std::int64_t>(modified.size())}, {"migrations", list}});
  }

  result.unknown = in_state(result.status, migration_state::unknown);
  const std::string names = listed(result.unknown);
  if (!result.unknown.empty())
    log(log_level::warn, "the database holds " + std::to_string(result.unknown.size()) +
                             " version(s) this build does not know, applied by a newer build: " + names +
                             "; every known migration is applied, so starting anyway (on-unknown: warn)",
        {{"event", "unknown_versions"}, {"unknown_versions", static_cast<std::int64_t>(result.unknown.size())},
         {"migrations", names}});
  return result;
}

}  // namespace migrator
