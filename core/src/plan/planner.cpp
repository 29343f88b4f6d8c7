#include "migrator/planner.h"

#include <algorithm>
#include <map>
#include <string>
#include <unordered_set>

#include "migrator/baseline.h"
#include "migrator/error.h"

namespace migrator {

namespace {

// The history as the planner sees it: one entry per version (the latest row
// wins if the store ever holds two), most recently applied first.
std::vector<applied_version> applied_latest_first(const std::vector<applied_version>& applied) {
  std::map<std::int64_t, applied_version> latest;
  for (const auto& a : applied) {
    if (a.version == 0) continue;  // goose's initial row is not a migration
    auto [it, inserted] = latest.emplace(a.version, a);
    if (!inserted && a.order > it->second.order) it->second = a;
  }
  std::vector<applied_version> result;
  for (const auto& [version, a] : latest) result.push_back(a);
  // Ties in order cannot come from one history table; break them by version so
  // the plan is deterministic anyway.
  std::sort(result.begin(), result.end(), [](const applied_version& x, const applied_version& y) {
    return x.order != y.order ? x.order > y.order : x.version > y.version;
  });
  return result;
}

class planner {
 public:
  planner(const std::vector<migration>& available, const std::vector<applied_version>& applied)
      : applied_(applied_latest_first(applied)) {
    applied_versions_.reserve(applied_.size());
    for (const auto& a : applied_) applied_versions_.insert(a.version);
    for (const auto& m : available)
      if (m.version != 0) files_.emplace(m.version, &m);
  }

  // Ascending, including versions below the highest applied one (allow-missing).
  // `record_all`: stamp, which records without running and ignores baselines' histories.
  std::vector<plan_step> pending(std::int64_t up_to, bool record_all = false) const {
    std::vector<plan_step> steps;
    for (const auto& [version, file] : files_) {
      if (version > up_to) break;
      if (is_applied(version)) continue;
      plan_step step{direction::up, version, file, record_all};
      if (file->baseline && !record_all) {
        const baseline_check check = check_baseline(*file, applied_versions_);
        if (check.kind == baseline_history::partial)
          throw error(error_code::refused, partial_history_refusal(*file, check));
        step.record_only = check.kind == baseline_history::complete;
      }
      steps.push_back(step);
    }
    return steps;
  }

  // Up to `at_most` applied versions that `select` picks, most recently applied
  // first; every one needs its file.
  template <typename Predicate>
  std::vector<plan_step> rollback(std::size_t at_most, Predicate select) const {
    std::vector<plan_step> steps;
    std::vector<std::int64_t> missing;
    for (const auto& a : applied_) {
      if (steps.size() + missing.size() >= at_most) break;
      if (!select(a)) continue;
      auto it = files_.find(a.version);
      if (it == files_.end())
        missing.push_back(a.version);
      else
        steps.push_back({direction::down, a.version, it->second});
    }
    if (!missing.empty()) {
      std::string list;
      for (auto v : missing) list += (list.empty() ? "" : ", ") + std::to_string(v);
      throw error(error_code::plan,
                  std::string(missing.size() == 1 ? "applied version " : "applied versions ") + list +
                      (missing.size() == 1 ? " has" : " have") +
                      " no migration file, so it cannot be rolled back (restore the file, or "
                      "remove the version from the history by hand)");
    }
    return steps;
  }

 bool has_file(std::int64_t version) const { return files_.count(version) != 0; }

 private:
  bool is_applied(std::int64_t version) const { return applied_versions_.count(version) != 0; }

  std::vector<applied_version> applied_;            // most recent first
  std::unordered_set<std::int64_t> applied_versions_;
  std::map<std::int64_t, const migration*> files_;  // ascending by version
};

void require_non_negative(std::int64_t target, const char* command) {
  if (target < 0)
    throw error(error_code::plan, std::string(command) + ": the target version must be 0 or more, not " +
                                      std::to_string(target));
}

constexpr std::size_t unlimited = static_cast<std::size_t>(-1);

}  // namespace

std::vector<plan_step> make_plan(const std::vector<migration>& available,
                                 const std::vector<applied_version>& applied, const plan_request& request) {
  planner p(available, applied);
  auto everything = [](const applied_version&) { return true; };
  constexpr std::int64_t no_limit = INT64_MAX;
  switch (request.kind) {
    case command_kind::up:
      return p.pending(no_limit);
    case command_kind::up_by_one: {
      auto steps = p.pending(no_limit);
      if (steps.size() > 1) steps.resize(1);
      return steps;
    }
    case command_kind::up_to:
      require_non_negative(request.target, "up-to");
      return p.pending(request.target);
    case command_kind::down:
      return p.rollback(1, everything);
    case command_kind::down_to: {
      require_non_negative(request.target, "down-to");
      const std::int64_t target = request.target;
      // Every applied version above the target, even one applied before a
      // lower version (allow-missing histories interleave): goose's provider
      // stops at the first version <= target instead and would leave some.
      return p.rollback(unlimited, [target](const applied_version& a) { return a.version > target; });
    }
    case command_kind::redo: {
      auto steps = p.rollback(1, everything);
      if (!steps.empty()) steps.push_back({direction::up, steps[0].version, steps[0].file});
      return steps;
    }
    case command_kind::reset:
      return p.rollback(unlimited, everything);
    case command_kind::stamp:
      if (!p.has_file(request.target))
        throw error(error_code::plan, "stamp: no migration in the module set has version " +
                                          std::to_string(request.target) +
                                          " (stamp records the set's migrations up to one of them)");
      return p.pending(request.target, /*record_all=*/true);
  }
  throw error(error_code::plan, "unknown command kind");
}

}  // namespace migrator
