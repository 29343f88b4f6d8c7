#include "migrator/baseline.h"

namespace migrator {

const char* to_string(baseline_history kind) noexcept {
  switch (kind) {
    case baseline_history::fresh: return "fresh";
    case baseline_history::complete: return "complete";
    case baseline_history::partial: return "partial";
  }
  return "?";
}

baseline_check check_baseline(const migration& baseline, const std::unordered_set<std::int64_t>& applied) {
  baseline_check check;
  for (const std::int64_t v : baseline.baseline->replaces)
    (applied.count(v) ? check.present : check.missing).push_back(v);
  if (check.present.empty())
    check.kind = baseline_history::fresh;
  else if (check.missing.empty())
    check.kind = baseline_history::complete;
  else
    check.kind = baseline_history::partial;
  return check;
}

std::string partial_history_refusal(const migration& baseline, const baseline_check& check) {
  const std::string replaced = format_versions(baseline.baseline->replaces);
  return "module " + baseline.module + ": the database has only part of the history that baseline " +
         std::to_string(baseline.version) + " (" + baseline.path + ") replaces: version(s) " +
         format_versions(check.missing) + " missing, " + format_versions(check.present) +
         " applied. This build no longer has the migrations it would need to bring it forward. Either "
         "upgrade this database first with an older build that still has migrations " + replaced +
         " (it applies the missing ones; this build then records the baseline without running it), or "
         "recreate the database (an empty database starts from the baseline).";
}

std::string format_versions(const std::vector<std::int64_t>& v, const char* separator) {
  std::string out;
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i;
    while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
    if (!out.empty()) out += separator;
    out += std::to_string(v[i]);
    if (j > i) out += "-" + std::to_string(v[j]);
    i = j + 1;
  }
  return out;
}

std::string baseline_annotation(const std::vector<std::int64_t>& versions) {
  return "-- +migrator baseline replaces " + format_versions(versions, ",");
}

}  // namespace migrator
