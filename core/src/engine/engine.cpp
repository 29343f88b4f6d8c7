// The engine's public face: construction, planning, the run loop and status.
// Steps run in step_executors.cpp and code_steps.cpp, several at once in
// request_groups.cpp; repair is in repair.cpp.
#include "migrator/engine.h"

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "engine/engine_state.h"
#include "engine/failure_report.h"
#include "migrator/elapsed_text.h"
#include "migrator/log.h"
#include "support/postgres_version.h"

namespace migrator {

using detail::translated;

void engine::impl::check_guards(const status_report& status, bool include_dirty) const {
  if (!status.namespace_conflicts.empty())
    throw error(error_code::refused, detail::namespace_shift_refusal(status.namespace_conflicts));
  std::vector<const migration_status*> drift;
  for (const auto& s : status.migrations)
    if (s.state == migration_state::modified ||
        (include_dirty && s.state == migration_state::dirty && !resume_at.count(s.version)))
      drift.push_back(&s);
  if (drift.empty() || options.allow_drift) return;
  throw error(error_code::refused, detail::drift_refusal(drift));
}

void engine::impl::check_stamp(const status_report& status, std::int64_t through) const {
  std::string conflicts;
  for (const auto& s : status.migrations) {
    if (s.version > through || s.path.empty()) continue;
    if (const migration* file = file_of(s.version)) conflicts += detail::stamp_conflict(s, *file);
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

namespace {

// The history tables created in a transaction that stays open until the plan's
// files are parsed (history_store::ensure_and_read): the parse of
// a large pending file, still going on its thread (cmd/run_plan.cpp), then
// overlaps the tables' creation and the read under the lock instead of holding
// both back, and a malformed file rolls the tables back, so a run that stops
// before its first step has changed nothing. Declared after the lock: rolled
// back before the lock is released.
class tables_until_parsed {
 public:
  explicit tables_until_parsed(session& db) : db_(db) {}
  // The history store has begun the transaction (ensure_and_read).
  void opened() noexcept { open_ = true; }
  ~tables_until_parsed() {
    if (open_) rollback_quietly(db_);
  }
  tables_until_parsed(const tables_until_parsed&) = delete;
  tables_until_parsed& operator=(const tables_until_parsed&) = delete;
  void commit() {
    if (!open_) return;
    open_ = false;
    db_.exec("COMMIT");
  }

 private:
  session& db_;
  bool open_ = false;
};

// The history tables being made beside the first step (engine::impl::
// tables_aside): whatever ends the run, their thread has ended before the lock
// it relies on is released. Declared after the lock.
class tables_made_by_then {
 public:
  explicit tables_made_by_then(std::unique_ptr<tables_in_making>& making) : making_(making) {}
  ~tables_made_by_then() { making_.reset(); }
  tables_made_by_then(const tables_made_by_then&) = delete;
  tables_made_by_then& operator=(const tables_made_by_then&) = delete;

 private:
  std::unique_ptr<tables_in_making>& making_;
};

// One line per deferred contract; the migrations held back behind it are counted in it.
void log_deferred(const std::vector<deferred_migration>& deferred) {
  for (const auto& d : deferred) {
    if (d.behind_contract != 0) continue;
    std::size_t behind = 0;
    for (const auto& other : deferred) behind += other.behind_contract == d.version ? 1 : 0;
    std::string builds;
    for (const auto& b : d.waiting_for) builds += (builds.empty() ? "" : ", ") + b.describe();
    log(log_level::info,
        "deferred contract migration " + d.module + " " + std::to_string(d.version) + " " + d.name +
            ": waiting for " + std::to_string(d.waiting_for.size()) + " older build(s) to stop: " + builds +
            (behind ? "; " + std::to_string(behind) + " later migration(s) of " + d.module + " wait with it" : ""),
        {{"event", "contract_deferred"},
         {"module", d.module},
         {"version", d.version},
         {"name", d.name},
         {"waiting_for", builds},
         {"held_back", static_cast<std::int64_t>(behind)}});
  }
}

}  // namespace

std::vector<plan_step> engine::impl::without_deferred(std::vector<plan_step> steps, command_kind kind,
                                                      std::vector<deferred_migration>& deferred) {
  deferred.clear();
  if (!applies_migrations(kind)) return steps;
  const bool any_contract =
      std::any_of(steps.begin(), steps.end(), [](const plan_step& s) { return s.file->contract.has_value(); });
  if (!any_contract) return steps;
  const auto live = history.live_builds();
  if (!live) return steps;  // no registry on this backend: nothing to wait for
  auto decided = defer_contracts(std::move(steps), *live);
  deferred = std::move(decided.deferred);
  return std::move(decided.run);
}

void engine::impl::fill_deferred(status_report& status) {
  std::vector<plan_step> pending;
  for (const auto& m : status.migrations)
    if (m.state == migration_state::pending)
      if (const migration* file = file_of(m.version)) pending.push_back({direction::up, m.version, file});
  without_deferred(std::move(pending), command_kind::up, status.deferred);
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

std::vector<plan_step> engine::plan(const plan_request& request, std::int64_t* current_version,
                                    std::vector<deferred_migration>* deferred) {
  return translated("planning", [&] {
    auto snap = impl_->history.read();
    const auto status = compute_status(impl_->set, snap);
    if (current_version) *current_version = status.current_version;
    if (request.kind == command_kind::stamp) impl_->check_stamp(status, request.target);
    // A dirty version at a failed concurrent index build: up resumes it (invalid_index.cpp).
    impl_->resume_at = applies_migrations(request.kind) ? impl_->resumable_dirty(snap, status) : decltype(impl_->resume_at){};
    impl_->check_guards(status);
    auto steps = impl_->plan_from(snap, request);
    std::vector<deferred_migration> none;
    steps = impl_->without_deferred(std::move(steps), request.kind, deferred ? *deferred : none);
    steps = impl_->with_side_steps(std::move(steps), snap, request);
    if (impl_->options.single_transaction && applies_migrations(request.kind))
      impl_->refuse_outside_one_transaction(steps);
    return steps;
  });
}

run_report engine::run(const plan_request& request, run_observer* observer) {
  impl_->refuse_writes();
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
    // An up-to-date database answers `up` in one request: its history equals the
    // whole set applied, so every migration is applied, unmodified and clean.
    if (request.kind == command_kind::up) {
      if (const auto version = version_if_current()) {
        report.current_version = report.starting_version = *version;
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
      const bool repeatables_due = request.kind == command_kind::up &&
                                   !repeatables_to_apply(impl_->set.repeatables, snap.repeatables).empty();
      // Parsed under the lock when a malformed file can still roll back the tables (below).
      const bool parse = !impl_->history.ensures_in_transaction();
      return any_dirty || repeatables_due ||
             !impl_->without_deferred(impl_->plan_from(snap, request, parse), request.kind, report.deferred).empty();
    });
    // A post-deploy job (--wait-for-builds): poll the registry, outside the lock,
    // until the builds a contract waits for have stopped or the time is up.
    if (!report.deferred.empty() && impl_->options.wait_for_builds.count() > 0)
      work = impl_->wait_for_builds(request, report) || work;
  } catch (const error& e) {
    // The read was cancelled by interrupt(): a stop, not a database failure.
    if (impl_->interrupted.load() && e.code() == error_code::database)
      throw error(error_code::interrupted, detail::interrupted_report({}, "", {}), e.details());
    throw;
  }
  if (!work) {
    log_deferred(report.deferred);
    return report;
  }

  std::vector<plan_step> plan;
  std::size_t next = 0;  // the step about to run or running
  auto interrupted = [&](const std::string& in_flight, error_details details) {
    std::vector<std::string> done, not_started;
    for (const auto& s : report.steps)
      done.push_back(detail::completed_step(s));
    // Callbacks are not migrations: the report names the migrations left undone.
    for (std::size_t i = next + (in_flight.empty() ? 0 : 1); i < plan.size(); ++i)
      if (!plan[i].is_callback()) not_started.push_back(detail::step_name(*plan[i].file));
    return run_error(error_code::interrupted, detail::interrupted_report(done, in_flight, not_started), report,
                     std::move(details));
  };
  try {
    lock_guard lock(impl_->lock, impl_->options.lock_timeout, [&](const lock_holder& holder) {
      if (observer) observer->waiting_for_lock(holder);
    });
    report.waited_for_lock = lock.waited();
    tables_until_parsed ensuring(impl_->db);
    // Another runner may have done the work while we waited: plan again under the lock.
    // A fresh database's history is empty; its tables are made beside the first step.
    auto making = impl_->history.tables_to_make_aside();
    history_snapshot snap;
    if (!making) {
      snap = impl_->history.ensure_and_read();
      if (impl_->history.ensures_in_transaction()) ensuring.opened();
    }
    // Made, or abandoned, before the lock is released.
    tables_made_by_then made_by_then(impl_->tables_aside);
    const auto status = compute_status(impl_->set, snap);
    if (request.kind == command_kind::stamp) impl_->check_stamp(status, request.target);
    // A dirty version at a failed concurrent index build: up resumes it (invalid_index.cpp).
    impl_->resume_at = applies_migrations(request.kind) ? impl_->resumable_dirty(snap, status) : decltype(impl_->resume_at){};
    impl_->check_guards(status);
    auto applied = applied_versions(snap);
    report.current_version = report.starting_version = highest(applied);
    plan = impl_->plan_from(snap, request);  // waits for the files' parse, which may fail: nothing was changed
    ensuring.commit();
    if (making) {
      making->start();
      impl_->tables_aside = std::move(making);
    }
    plan = impl_->without_deferred(std::move(plan), request.kind, report.deferred);
    plan = impl_->with_side_steps(std::move(plan), snap, request);
    log_deferred(report.deferred);
    auto note = [&](const plan_step& step) {
      if (step.file->role != migration_role::versioned) return;
      if (step.dir == direction::up) applied.insert(step.version);
      else {
        applied.erase(step.version);
        if (step.file->baseline)
          for (const std::int64_t v : step.file->baseline->replaces) applied.erase(v);
      }
      report.current_version = highest(applied);
    };
    if (impl_->options.single_transaction && applies_migrations(request.kind))
      impl_->refuse_outside_one_transaction(plan);
    // A callback or step that fails (not a stop) runs every after_migrate_error callback.
    const bool with_callbacks = applies_migrations(request.kind) && !impl_->set.callbacks.empty() && !plan.empty();
    try {
      if (impl_->options.single_transaction && applies_migrations(request.kind)) {
        if (!plan.empty()) impl_->execute_as_one_transaction(plan, report, observer, note);
        next = plan.size();
      }
      bool repeatables_ready = false;
      for (; next < plan.size();) {
        if (impl_->interrupted.load()) throw interrupted("", {});
        impl_->lock.check_held();
        // Several plain transactional steps in a row: one request (one round trip) for all of them.
        const std::size_t end = impl_->group_end(plan, next);
        if (end - next >= 2) {
          impl_->execute_group(plan, next, end, report, next, observer, note);
          continue;
        }
        const auto& step = plan[next];
        const migration_role role = step.file->role;
        if (role == migration_role::repeatable && step.dir == direction::up && !repeatables_ready) {
          impl_->history.ensure_repeatables();
          repeatables_ready = true;
        }
        if (role == migration_role::callback) {
          log(log_level::info, "running callback " + step.file->module + " " + step.file->name + " (" + step.file->path + ")",
              {{"event", "callback"}, {"module", step.file->module}, {"name", step.file->name}});
          impl_->execute(step, report);
          ++next;
          continue;
        }
        if (observer) observer->step_started(step);
        report.steps.push_back(impl_->execute(step, report));
        note(step);
        if (observer) observer->step_finished(report.steps.back());
        ++next;
      }
    } catch (const detail::step_interrupted&) {
      throw;
    } catch (const run_error& e) {
      if (with_callbacks && e.code() != error_code::interrupted && !impl_->interrupted.load())
        impl_->run_error_callbacks(report);
      throw;
    } catch (const database_error&) {
      if (with_callbacks && !impl_->interrupted.load()) impl_->run_error_callbacks(report);
      throw;
    }
    // Still under the lock: the side rows are what this run left them.
    impl_->tables_ready();
    impl_->write_digests();
  } catch (const detail::step_interrupted& i) {
    throw interrupted(i.what_happened, i.details);
  } catch (const database_error& e) {
    if (impl_->interrupted.load() && !e.connection_lost()) throw interrupted("", e.details());
    throw run_error(error_code::database, detail::run_failure(e), report, e.details());
  }
  return report;
}

std::optional<std::int64_t> engine::version_if_current() {
  const auto same = translated("reading the migration history", [&] {
    return impl_->history.compare_applied(impl_->set.migrations, impl_->set.repeatables);
  });
  if (same && same->equal) return same->highest;
  return std::nullopt;
}

void engine::impl::write_digests() noexcept {
  // Only what `status` reads faster: a failure (no right to write, the
  // connection gone after the run's last commit) leaves `status` reading the
  // side rows, and the history as the run left it.
  try {
    history.refresh_digests();
  } catch (const std::exception& e) {
    try {
      log(log_level::warn,
          std::string("the side rows' digests were not written (status reads every side row until they are): ") +
              e.what(),
          {{"event", "digests_not_written"}});
    } catch (...) {
    }
  }
}

status_report engine::status() {
  return translated("reading the migration history", [&] {
    auto status = compute_status(impl_->set, impl_->history.read_for_status(impl_->set.migrations));
    impl_->fill_deferred(status);
    return status;
  });
}

bool engine::impl::wait_for_builds(const plan_request& request, run_report& report) {
  const auto deadline = std::chrono::steady_clock::now() + options.wait_for_builds;
  log(log_level::info,
      "waiting up to " + elapsed_text(options.wait_for_builds) + " for older builds to stop before contract migrations",
      {{"event", "builds_wait"}, {"wait_ms", static_cast<std::int64_t>(options.wait_for_builds.count())}});
  // Half a second between looks: a lease runs out on the server's clock, so
  // there is nothing to be woken by; the registry read is one cheap query.
  constexpr auto poll = std::chrono::milliseconds(500);
  while (std::chrono::steady_clock::now() < deadline) {
    if (interrupted.load()) throw error(error_code::interrupted, detail::interrupted_report({}, "", {}));
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(poll, deadline - std::chrono::steady_clock::now()));
    translated("reading the migration history", [&] {
      auto snap = history.read();
      without_deferred(plan_from(snap, request), request.kind, report.deferred);
    });
    if (report.deferred.empty()) return true;
  }
  return false;
}

}  // namespace migrator
