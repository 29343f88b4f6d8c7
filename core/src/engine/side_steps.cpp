// Repeatable migrations and callbacks in a run: they become steps of the plan
// (plan_step with a file whose role is repeatable or callback), so they run,
// fail and are reported with the executors of versioned migrations, print in
// --dry-run and join --single-transaction's one transaction.
#include <algorithm>

#include "engine/engine_state.h"
#include "engine/failure_report.h"
#include "migrator/log.h"

namespace migrator {

const migration* engine::impl::callback_of(const std::string& module, const std::string& event) const {
  for (const auto& c : set.callbacks)
    if (c.module == module && c.name == event) return &c;
  return nullptr;
}

void engine::impl::add_callbacks(std::vector<plan_step>& steps, const std::string& event) const {
  for (const auto& c : set.callbacks)
    if (c.name == event) steps.push_back({direction::up, 0, &c});
}

std::vector<plan_step> engine::impl::with_side_steps(std::vector<plan_step> steps, const history_snapshot& snap,
                                                     const plan_request& request) const {
  if (set.repeatables.empty() && set.callbacks.empty()) return steps;
  std::vector<plan_step> run;
  // reset (and down-to 0) takes every recorded repeatable back first, with its
  // file's Down: what it created may depend on what the versioned Downs drop.
  const bool to_zero = request.kind == command_kind::reset ||
                       (request.kind == command_kind::down_to && request.target == 0);
  std::vector<plan_step> repeatables;
  if (to_zero && !steps.empty())
    for (const migration* r : repeatables_to_revert(set.repeatables, snap.repeatables))
      repeatables.push_back({direction::down, 0, r});
  if (request.kind == command_kind::up)
    for (const migration* r : repeatables_to_apply(set.repeatables, snap.repeatables))
      repeatables.push_back({direction::up, 0, r});
  // Parsed on first use, like versioned files: a malformed one stops the plan here.
  detail::parse_plan(repeatables);
  if (!repeatables.empty() && repeatables.front().dir == direction::down) {
    run = std::move(repeatables);
    repeatables.clear();
  }
  // Callbacks only around runs that apply something: an up-to-date start stays one query.
  const bool with_callbacks = applies_migrations(request.kind) && (!steps.empty() || !repeatables.empty());
  if (with_callbacks) add_callbacks(run, "before_migrate");
  const auto add_with_after_each = [&](const plan_step& step) {
    run.push_back(step);
    if (!with_callbacks || step.record_only) return;
    if (const migration* after = callback_of(step.file->module, "after_each_migration"))
      run.push_back({direction::up, 0, after});
  };
  for (const auto& step : steps) add_with_after_each(step);
  for (const auto& step : repeatables) add_with_after_each(step);
  if (with_callbacks) add_callbacks(run, "after_migrate");
  return run;
}

void engine::impl::run_error_callbacks(run_report& done) noexcept {
  for (const auto& c : set.callbacks) {
    if (c.name != "after_migrate_error") continue;
    try {
      log(log_level::info, "running callback " + c.module + " after_migrate_error (" + c.path + ")",
          {{"event", "callback"}, {"module", c.module}, {"name", c.name}});
      execute({direction::up, 0, &c}, done);
    } catch (const std::exception& e) {
      // The run's own failure is what the caller reports; this one is logged beside it.
      log(log_level::warn, std::string("callback after_migrate_error failed too: ") + e.what(),
          {{"event", "callback_failed"}, {"module", c.module}, {"name", c.name}});
    }
  }
}

}  // namespace migrator
