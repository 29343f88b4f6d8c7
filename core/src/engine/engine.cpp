// The engine's public face: construction, planning, the run loop and status.
// Steps run in step_executors.cpp and code_steps.cpp, several at once in
// request_groups.cpp; repair is in repair.cpp.
#include "migrator/engine.h"

#include <algorithm>
#include <map>
#include <set>

#include "backend/applied_history.h"
#include "engine/engine_state.h"
#include "engine/failure_report.h"
#include "support/postgres_version.h"

namespace migrator {

using detail::translated;

void engine::impl::check_guards(const status_report& status, bool include_dirty) const {
  if (!status.namespace_conflicts.empty())
    throw error(error_code::refused, detail::namespace_shift_refusal(status.namespace_conflicts));
  std::vector<const migration_status*> drift;
  for (const auto& s : status.migrations)
    if (s.state == migration_state::modified || (include_dirty && s.state == migration_state::dirty))
      drift.push_back(&s);
  if (drift.empty() || options.allow_drift) return;
  throw error(error_code::refused, detail::drift_refusal(drift));
}

void engine::impl::check_stamp(const status_report& status, std::int64_t through) const {
  std::string conflicts;
  for (const auto& s : status.migrations) {
    if (s.version > through || s.path.empty()) continue;
    conflicts += detail::stamp_conflict(s, *by_version.at(s.version));
  }
  if (!conflicts.empty()) throw error(error_code::refused, detail::stamp_refusal(through, conflicts));
}

void engine::impl::check_server_version(const std::vector<plan_step>& steps) const {
  if (server_version == 0) return;
  std::map<const module_spec*, std::vector<std::string>> refused;
  for (const auto& step : steps) {
    if (step.dir != direction::up) continue;
    const module_spec* module = set.module_for_version(step.version);
    if (module && module->requires_postgres > detail::postgres_major(server_version))
      refused[module].push_back(std::to_string(step.version) + " (" + step.file->path + ")");
  }
  if (refused.empty()) return;
  const auto& [module, pending] = *refused.begin();
  throw error(error_code::refused,
              detail::server_too_old_refusal(*module, detail::postgres_version_text(server_version), pending));
}

engine::engine(session& db, history_store& history, migration_lock& lock, const module_set& set,
               engine_options options, backend_capabilities capabilities)
    : impl_(std::make_unique<impl>(db, history, lock, set, std::move(options), std::move(capabilities))) {}

engine::engine(backend seams, const module_set& set, engine_options options)
    : impl_(std::make_unique<impl>(*seams.db, *seams.history, *seams.lock, set, std::move(options),
                                   std::move(seams.capabilities))) {
  impl_->owned_session = std::move(seams.db);
  impl_->owned_history = std::move(seams.history);
  impl_->owned_lock = std::move(seams.lock);
}

engine::engine(const std::string& dsn, const module_set& set, engine_options options)
    : engine(open_backend(dsn, set, options), set, options) {}

void engine::interrupt() noexcept {
  impl_->interrupted.store(true);
  impl_->lock.interrupt();
  if (impl_->cancellable.load()) impl_->db.cancel();
}

engine::~engine() = default;

std::vector<plan_step> engine::plan(const plan_request& request, std::int64_t* current_version) {
  return translated("planning", [&] {
    auto snap = impl_->history.read();
    const auto status = compute_status(impl_->set, snap);
    if (current_version) *current_version = status.current_version;
    if (request.kind == command_kind::stamp) impl_->check_stamp(status, request.target);
    impl_->check_guards(status);
    return impl_->plan_from(snap, request);
  });
}

run_report engine::run(const plan_request& request, run_observer* observer) {
  impl_->refuse_on_standby();
  run_report report;
  // Like goose: look before taking the lock, so replicas with nothing to do never
  // queue behind a long migration.
  // A dirty version is judged under the lock only (before it, it may be another
  // runner's NO TRANSACTION migration in progress): a dirty version of the set is
  // pending to the planner, and a dirty one the set does not know (a newer build's)
  // leads there too, so `up` refuses it rather than report nothing to do.
  auto applied_versions = [](const history_snapshot& snap) {
    std::set<std::int64_t> applied;
    for (const auto& a : snap.applied) applied.insert(a.version);
    return applied;
  };
  auto highest = [](const std::set<std::int64_t>& v) { return v.empty() ? std::int64_t{0} : *v.rbegin(); };
  bool work = false;
  try {
    // An up-to-date database answers `up` in one row: the server finds its history
    // equal to the whole set applied, so every migration is applied, unmodified and clean.
    if (request.kind == command_kind::up) {
      const auto same = translated("reading the migration history", [&] {
        return impl_->history.compare_applied(detail::applied_history_text(impl_->set.migrations));
      });
      if (same && same->equal) {
        report.current_version = report.starting_version = same->highest;
        return report;
      }
    }
    work = translated("reading the migration history", [&] {
      auto snap = impl_->history.read();
      const auto status = compute_status(impl_->set, snap);
      if (request.kind == command_kind::stamp) impl_->check_stamp(status, request.target);
      impl_->check_guards(status, /*include_dirty=*/false);
      report.current_version = report.starting_version = highest(applied_versions(snap));
      const bool any_dirty = std::any_of(status.migrations.begin(), status.migrations.end(),
                                         [](const migration_status& m) { return m.state == migration_state::dirty; });
      return any_dirty || !impl_->plan_from(snap, request).empty();
    });
  } catch (const error& e) {
    // The read was cancelled by interrupt(): a stop, not a database failure.
    if (impl_->interrupted.load() && e.code() == error_code::database)
      throw error(error_code::interrupted, detail::interrupted_report({}, "", {}), e.details());
    throw;
  }
  if (!work) return report;

  std::vector<plan_step> plan;
  std::size_t next = 0;  // the step about to run or running
  auto interrupted = [&](const std::string& in_flight, error_details details) {
    std::vector<std::string> done, not_started;
    for (const auto& s : report.steps)
      done.push_back(detail::completed_step(s));
    for (std::size_t i = next + (in_flight.empty() ? 0 : 1); i < plan.size(); ++i)
      not_started.push_back(detail::step_name(*plan[i].file));
    return run_error(error_code::interrupted, detail::interrupted_report(done, in_flight, not_started), report,
                     std::move(details));
  };
  try {
    lock_guard lock(impl_->lock, impl_->options.lock_timeout, [&](const lock_holder& holder) {
      if (observer) observer->waiting_for_lock(holder);
    });
    report.waited_for_lock = lock.waited();
    impl_->history.ensure();
    // Another runner may have done the work while we waited: plan again under the lock.
    auto snap = impl_->history.read();
    const auto status = compute_status(impl_->set, snap);
    if (request.kind == command_kind::stamp) impl_->check_stamp(status, request.target);
    impl_->check_guards(status);
    auto applied = applied_versions(snap);
    report.current_version = report.starting_version = highest(applied);
    plan = impl_->plan_from(snap, request);
    auto note = [&](const plan_step& step) {
      if (step.dir == direction::up) applied.insert(step.version);
      else {
        applied.erase(step.version);
        if (step.file->baseline)
          for (const std::int64_t v : step.file->baseline->replaces) applied.erase(v);
      }
      report.current_version = highest(applied);
    };
    for (next = 0; next < plan.size();) {
      if (impl_->interrupted.load()) throw interrupted("", {});
      impl_->lock.check_held();
      // Several plain transactional steps in a row: one request (one round trip) for all of them.
      const std::size_t end = impl_->group_end(plan, next);
      if (end - next >= 2) {
        impl_->execute_group(plan, next, end, report, next, observer, note);
        continue;
      }
      const auto& step = plan[next];
      if (observer) observer->step_started(step);
      report.steps.push_back(impl_->execute(step, report));
      note(step);
      if (observer) observer->step_finished(report.steps.back());
      ++next;
    }
  } catch (const detail::step_interrupted& i) {
    throw interrupted(i.what_happened, i.details);
  } catch (const database_error& e) {
    if (impl_->interrupted.load() && !e.connection_lost()) throw interrupted("", e.details());
    throw run_error(error_code::database, detail::run_failure(e), report, e.details());
  }
  return report;
}

status_report engine::status() {
  return translated("reading the migration history",
                    [&] { return compute_status(impl_->set, impl_->history.read()); });
}

}  // namespace migrator
