#include "migrator/status.h"

#include <algorithm>
#include <map>
#include <set>
#include <type_traits>
#include <unordered_set>
#include <utility>

#include "migrator/error.h"
#include "plan/ascending_files.h"

namespace migrator {

const char* to_string(migration_state state) noexcept {
  switch (state) {
    case migration_state::applied: return "applied";
    case migration_state::pending: return "pending";
    case migration_state::modified: return "modified";
    case migration_state::dirty: return "dirty";
    case migration_state::unknown: return "unknown";
    case migration_state::replaced: return "replaced";
  }
  return "?";
}

const char* to_string(repeatable_state state) noexcept {
  switch (state) {
    case repeatable_state::applied: return "applied";
    case repeatable_state::pending: return "pending";
    case repeatable_state::changed: return "changed";
    case repeatable_state::newer: return "newer";
    case repeatable_state::missing: return "missing";
  }
  return "?";
}

namespace {

bool repeatables_current(const std::vector<repeatable_status>& repeatables) {
  return std::all_of(repeatables.begin(), repeatables.end(), [](const repeatable_status& r) {
    return r.state == repeatable_state::applied || r.state == repeatable_state::newer ||
           r.state == repeatable_state::missing;
  });
}

}  // namespace

bool status_report::current() const {
  return repeatables_current(repeatables) &&
         std::all_of(migrations.begin(), migrations.end(), [](const migration_status& m) {
           return m.state == migration_state::applied || m.state == migration_state::replaced;
         });
}

bool status_report::is_deferred(std::int64_t version) const {
  return std::any_of(deferred.begin(), deferred.end(), [version](const deferred_migration& d) { return d.version == version; });
}

bool status_report::only_deferred_pending() const {
  if (deferred.empty() || !repeatables_current(repeatables)) return false;
  return std::all_of(migrations.begin(), migrations.end(), [this](const migration_status& m) {
    return m.state == migration_state::applied || m.state == migration_state::replaced ||
           (m.state == migration_state::pending && is_deferred(m.version));
  });
}

std::vector<applied_version> history_snapshot::for_planner() const {
  std::vector<applied_version> out;
  out.reserve(applied.size());
  for (const auto& row : applied) out.push_back({row.version, row.id});
  return out;
}

namespace {

// One body for both compute_status: a snapshot given as an rvalue gives up its
// applied-at texts (10,000 of them on W5 status) instead of having them copied.
template <typename Snapshot>
status_report compute(const module_set& set, Snapshot&& snap) {
  constexpr bool owned = !std::is_const_v<std::remove_reference_t<Snapshot>> && std::is_rvalue_reference_v<Snapshot&&>;
  status_report report;
  report.history_exists = snap.exists;
  // Flat: row i is set.migrations[i] (sorted by version, the assembler's contract),
  // found by ascending_files (plan/ascending_files.h); only versions the set lacks
  // (unknown, replaced, a side row of a deleted file) go into a map, and the two
  // sorted sequences are merged at the end. A map node per migration cost 10,000
  // allocations on a large set.
  std::vector<migration_status> rows(set.migrations.size());
  for (std::size_t i = 0; i < set.migrations.size(); ++i) {
    const migration& m = set.migrations[i];
    migration_status& s = rows[i];
    s.module = m.module;
    s.version = m.version;
    s.name = m.name;
    s.path = m.path;
    s.kind = m.kind;
    s.contract = m.contract.has_value();
    s.state = migration_state::pending;
  }
  std::map<std::int64_t, migration_status> others;
  const auto row_of = [&](std::int64_t version, const migration* file) -> migration_status& {
    if (file) return rows[static_cast<std::size_t>(file - set.migrations.data())];
    return others[version];
  };
  std::map<std::int64_t, const migration*> replaced_by;
  bool has_baseline = false;
  for (const auto& m : set.migrations)
    if (m.baseline) {
      has_baseline = true;
      for (const std::int64_t v : m.baseline->replaces) replaced_by[v] = &m;
    }
  std::vector<std::int64_t> applied_versions;  // sorted: one lookup per side-table row
  applied_versions.reserve(snap.applied.size());
  detail::ascending_files applied_files(set.migrations);
  for (auto& a : snap.applied) {
    applied_versions.push_back(a.version);
    const migration* file = applied_files.find(a.version);
    auto& s = row_of(a.version, file);
    s.version = a.version;
    if (!a.applied_at.empty()) {
      if constexpr (owned)
        s.applied_at = std::move(a.applied_at);
      else
        s.applied_at = a.applied_at;
    }
    s.state = file                           ? migration_state::applied
              : replaced_by.count(a.version) ? migration_state::replaced
                                             : migration_state::unknown;
    if (s.state == migration_state::replaced && s.module.empty()) s.module = replaced_by[a.version]->module;
    // The store proved the side row equal to the file (read_for_status) and left it unread.
    if (snap.side_rows_match_files && file) {
      s.recorded_module = file->module;
      s.has_checksum = true;
    }
    report.current_version = std::max(report.current_version, a.version);
  }
  std::sort(applied_versions.begin(), applied_versions.end());
  detail::ascending_files side_files(set.migrations);
  for (const auto& [version, meta] : snap.meta) {
    const migration* file = side_files.find(version);
    auto& s = row_of(version, file);
    s.version = version;
    s.recorded_module = meta.module;
    if (s.module.empty() && meta.module) s.module = *meta.module;
    if (s.name.empty() && meta.name) s.name = *meta.name;
    s.statements_done = meta.statements_done;
    s.statements_total = meta.statements_total;
    s.has_checksum = meta.checksum.has_value();
    const bool applied = std::binary_search(applied_versions.begin(), applied_versions.end(), version);
    if (meta.dirty && !applied) {
      s.state = migration_state::dirty;
    } else if (!applied) {
      // A side-table row left without goose's row (goose rolled it back): pending again.
      s.has_checksum = false;
    } else if (file && meta.checksum && *meta.checksum != file->checksum) {
      s.state = migration_state::modified;
    }
    if (meta.module) {
      const module_spec* owner = set.module_for_version(version);
      if (owner && owner->name != *meta.module)
        report.namespace_conflicts.push_back(
            "version " + std::to_string(version) + " was applied by module '" + *meta.module +
            "' but modules.yaml now gives namespace " + std::to_string(owner->first_version()) + "-" +
            std::to_string(owner->last_version()) + " to module '" + owner->name + "'");
    }
  }
  if (has_baseline) {  // the set of applied versions only baselines need
    const std::unordered_set<std::int64_t> applied_set(applied_versions.begin(), applied_versions.end());
    for (std::size_t i = 0; i < set.migrations.size(); ++i) {
      const migration& m = set.migrations[i];
      if (!m.baseline || applied_set.count(m.version)) continue;
      auto& s = rows[i];
      if (s.state != migration_state::pending) continue;
      s.baseline = check_baseline(m, applied_set);
      if (s.baseline->kind == baseline_history::partial)
        report.baseline_refusals.push_back(partial_history_refusal(m, *s.baseline));
    }
  }
  if (others.empty()) {
    report.migrations = std::move(rows);  // the usual case: no merge, no second vector
  } else {
    report.migrations.reserve(rows.size() + others.size());
    auto other = others.begin();
    for (auto& s : rows) {
      for (; other != others.end() && other->first < s.version; ++other)
        report.migrations.push_back(std::move(other->second));
      report.migrations.push_back(std::move(s));
    }
    for (; other != others.end(); ++other) report.migrations.push_back(std::move(other->second));
  }
  report.without_checksum = static_cast<std::size_t>(
      std::count_if(report.migrations.begin(), report.migrations.end(), [](const migration_status& s) {
        return (s.state == migration_state::applied || s.state == migration_state::modified) && !s.has_checksum;
      }));
  report.repeatables = repeatable_statuses(set.repeatables, snap.repeatables);
  return report;
}

}  // namespace

status_report compute_status(const module_set& set, const history_snapshot& snap) { return compute(set, snap); }

status_report compute_status(const module_set& set, history_snapshot&& snap) { return compute(set, std::move(snap)); }

std::vector<repeatable_status> repeatable_statuses(
    const std::vector<migration>& repeatables,
    const std::map<std::pair<std::string, std::string>, repeatable_row>& recorded) {
  std::vector<repeatable_status> out;
  out.reserve(repeatables.size());
  std::set<std::pair<std::string, std::string>> in_set;
  for (const auto& r : repeatables) {
    repeatable_status s{r.module, r.name, r.path, repeatable_state::pending, std::nullopt};
    if (auto it = recorded.find({r.module, r.name}); it != recorded.end()) {
      s.state = it->second.checksum == r.checksum        ? repeatable_state::applied
                : it->second.known_version > r.known_version ? repeatable_state::newer
                                                             : repeatable_state::changed;
      s.applied_at = it->second.applied_at;
    }
    in_set.insert({r.module, r.name});
    out.push_back(std::move(s));
  }
  for (const auto& [key, row] : recorded)
    if (!in_set.count(key)) out.push_back({key.first, key.second, "", repeatable_state::missing, row.applied_at});
  return out;
}

std::vector<const migration*> repeatables_to_apply(
    const std::vector<migration>& repeatables,
    const std::map<std::pair<std::string, std::string>, repeatable_row>& recorded) {
  std::vector<const migration*> due;
  for (const auto& r : repeatables) {
    const auto it = recorded.find({r.module, r.name});
    if (it == recorded.end() || (it->second.checksum != r.checksum && it->second.known_version <= r.known_version))
      due.push_back(&r);
  }
  return due;
}

std::vector<const migration*> repeatables_to_revert(
    const std::vector<migration>& repeatables,
    const std::map<std::pair<std::string, std::string>, repeatable_row>& recorded) {
  std::vector<const migration*> back;
  for (auto it = repeatables.rbegin(); it != repeatables.rend(); ++it)
    if (recorded.count({it->module, it->name})) back.push_back(&*it);
  return back;
}

const migration_status& dirty_for_repair(const status_report& report, std::int64_t version) {
  auto it = std::find_if(report.migrations.begin(), report.migrations.end(),
                         [&](const migration_status& m) { return m.version == version; });
  if (it != report.migrations.end() && it->state == migration_state::dirty) return *it;
  throw error(error_code::refused,
              "version " + std::to_string(version) + " is not dirty" +
                  (it != report.migrations.end() ? std::string(" (it is ") + to_string(it->state) + ")"
                                                 : std::string(" (no such version)")) +
                  "; repair VERSION only clears a dirty version");
}

}  // namespace migrator
