#include "migrator/fleet_runner.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "migrator/dsn.h"
#include "migrator/log.h"
#include "migrator/postgres.h"

namespace migrator {

const char* to_string(target_outcome outcome) noexcept {
  switch (outcome) {
    case target_outcome::ok: return "ok";
    case target_outcome::failed: return "failed";
    case target_outcome::skipped: return "skipped";
    case target_outcome::interrupted: return "interrupted";
  }
  return "?";
}

void fleet_stop::request() noexcept {
  std::lock_guard<std::mutex> guard(mutex_);
  requested_.store(true);
  for (engine* e : running_) e->interrupt();
}

bool fleet_stop::attach(engine* e) {
  std::lock_guard<std::mutex> guard(mutex_);
  // Under the mutex: either request() sees this engine, or this sees the request.
  if (requested_.load()) return false;
  running_.push_back(e);
  return true;
}

void fleet_stop::detach(engine* e) noexcept {
  std::lock_guard<std::mutex> guard(mutex_);
  running_.erase(std::remove(running_.begin(), running_.end(), e), running_.end());
}

std::size_t fleet_report::count(target_outcome outcome) const {
  return static_cast<std::size_t>(
      std::count_if(targets.begin(), targets.end(), [&](const target_result& r) { return r.outcome == outcome; }));
}

namespace {

using clock = std::chrono::steady_clock;

const char* const not_started_after_stop = "not started: the run was interrupted";

bool stop_requested(const fleet_options& options) { return options.stop && options.stop->requested(); }

class step_forwarder final : public run_observer {
 public:
  step_forwarder(fleet_observer* observer, const std::string& target) : observer_(observer), target_(target) {}
  void step_finished(const step_result& step) override {
    if (observer_) observer_->step_finished(target_, step);
  }
  void waiting_for_lock(const lock_holder& /*holder*/) override {
    if (observer_) observer_->waiting_for_lock(target_);
  }

 private:
  fleet_observer* observer_;
  const std::string& target_;
};

void run_one(const fleet_member& member, const fleet_options& options, fleet_observer* observer,
             target_result& result) {
  const fleet_target& t = member.target;
  const auto start = clock::now();
  log_scope scope({{"target", t.name}});
  if (observer) observer->target_started(t.name);
  // A stop while this target connected: it is not started (nothing of it ran).
  const auto stopped_before_start = [&] {
    result.outcome = target_outcome::skipped;
    result.error = not_started_after_stop;
  };
  const auto finish = [&] {
    result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
    if (observer) observer->target_finished(result);
  };
  // A failure caused by the stop (the cancelled history read of status or a
  // dry run, which write nothing) is the stop's, not the target's.
  const auto outcome_of = [&](error_code code) {
    return code == error_code::interrupted || (stop_requested(options) && code == error_code::database &&
                                               options.action != fleet_action::apply)
               ? target_outcome::interrupted
               : target_outcome::failed;
  };
  try {
    engine e(with_connect_timeout(t.dsn, options.connect_timeout_seconds), *member.set, options.engine);
    if (options.stop && !options.stop->attach(&e)) {
      stopped_before_start();
      finish();
      return;
    }
    struct detach_at_exit {
      fleet_stop* stop;
      engine* e;
      ~detach_at_exit() {
        if (stop) stop->detach(e);
      }
    } detach{options.stop, &e};
    switch (options.action) {
      case fleet_action::status: {
        // A current database (the usual case of a fleet) answers in one request.
        if (const auto version = e.version_if_current()) {
          result.from_version = result.to_version = *version;
          result.pending = 0;
          result.current = true;
          break;
        }
        const status_report before = e.status();
        result.from_version = result.to_version = before.current_version;
        // Repeatables that up would apply (new or changed) count as pending too.
        result.pending = static_cast<std::size_t>(
            std::count_if(before.migrations.begin(), before.migrations.end(),
                          [](const migration_status& m) { return m.state == migration_state::pending; }) +
            std::count_if(before.repeatables.begin(), before.repeatables.end(), [](const repeatable_status& r) {
              return r.state == repeatable_state::pending || r.state == repeatable_state::changed;
            }));
        result.current = before.current() && before.namespace_conflicts.empty();
        break;
      }
      case fleet_action::plan:
        result.plan = e.plan(options.request, &result.from_version);
        result.to_version = result.from_version;
        // Callbacks are steps of the plan but not migrations it applies.
        result.pending = result.applied = static_cast<std::size_t>(std::count_if(
            result.plan.begin(), result.plan.end(),
            [](const plan_step& step) { return !step.is_callback(); }));
        for (const auto& step : result.plan)
          if (step.dir == direction::up) result.to_version = std::max(result.to_version, step.version);
        break;
      case fleet_action::apply: {
        step_forwarder forward(observer, t.name);
        // The run's own history read gives the starting version: no second read.
        const run_report report = e.run(options.request, &forward);
        result.from_version = report.starting_version;
        result.applied = report.steps.size();
        result.to_version = report.current_version;
        break;
      }
    }
    result.outcome = target_outcome::ok;
  } catch (const run_error& err) {
    result.outcome = outcome_of(err.code());
    result.code = err.code();
    result.error = redact_secrets(err.what(), t.dsn);
    result.applied = err.done().steps.size();
    result.from_version = err.done().starting_version;
    result.to_version = err.done().current_version;
  } catch (const error& err) {
    result.outcome = outcome_of(err.code());
    result.code = err.code();
    result.error = redact_secrets(err.what(), t.dsn);
  } catch (const std::exception& err) {
    result.outcome = target_outcome::failed;
    result.code = error_code::database;
    result.error = redact_secrets(err.what(), t.dsn);
  }
  finish();
}

// Runs members [first, last) on up to `jobs` threads, in order of start.
// Returns whether any failed.
bool run_range(const std::vector<fleet_member>& members, std::size_t first, std::size_t last,
               const fleet_options& options, fleet_observer* observer, std::vector<target_result>& results) {
  std::atomic<std::size_t> next{first};
  std::atomic<bool> failed{false};
  auto worker = [&] {
    for (;;) {
      if (options.fail_fast && failed.load()) return;
      if (stop_requested(options)) return;
      const std::size_t i = next.fetch_add(1);
      if (i >= last) return;
      run_one(members[i], options, observer, results[i]);
      if (results[i].outcome == target_outcome::failed) failed.store(true);
    }
  };
  const std::size_t threads = std::min(std::max<std::size_t>(options.jobs, 1), last - first);
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    pool.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) pool.emplace_back(worker);
    for (auto& th : pool) th.join();
  }
  return failed.load();
}

}  // namespace

fleet_report run_fleet(const std::vector<fleet_member>& members, const fleet_options& options,
                       fleet_observer* observer) {
  const auto start = clock::now();
  fleet_report report;
  report.targets.resize(members.size());
  const std::size_t canaries = std::min(options.canaries, members.size());
  for (std::size_t i = 0; i < members.size(); ++i) {
    report.targets[i].name = members[i].target.name;
    report.targets[i].group = members[i].target.group;
    report.targets[i].canary = i < canaries;
  }
  // status and plan only read: their engines skip the probe of standby and pooler.
  fleet_options run_options = options;
  run_options.engine.reads_only = options.action != fleet_action::apply;
  // Its jobs keep the server's processors busy: a second connection per fresh
  // target would cost the fleet more than it saves each target.
  run_options.engine.tables_on_second_connection = false;
  bool stop = false;
  std::string why;
  if (canaries > 0) {
    stop = run_range(members, 0, canaries, run_options, observer, report.targets);
    if (stop) why = "not started: a canary failed";
  }
  if (stop_requested(options)) stop = true;  // `why` is set below
  if (!stop) {
    stop = run_range(members, canaries, members.size(), run_options, observer, report.targets) &&
           options.fail_fast;
    if (stop) why = "not started: --fail-fast after a failure";
  }
  if (stop_requested(options)) why = not_started_after_stop;  // whatever else stopped the rest
  for (auto& r : report.targets)
    if (r.outcome == target_outcome::skipped && r.error.empty()) r.error = why.empty() ? "not started" : why;
  report.duration = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
  return report;
}

query_rows run_control_query(const std::string& dsn, const std::string& sql) {
  try {
    std::unique_ptr<session> conn = connect_postgres(dsn);
    query_result r = conn->exec(sql);
    return query_rows{std::move(r.columns), std::move(r.rows)};
  } catch (const error& e) {
    throw error(error_code::database, redact_secrets(e.what(), dsn));
  }
}

}  // namespace migrator
