#include "plan/plan_parsing.h"

#include <set>

#include "migrator/error.h"

namespace migrator::detail {

void parse_plan(const std::vector<plan_step>& steps) {
  std::string problems;
  std::set<const migration*> seen;  // redo plans a migration twice: one message
  for (const auto& step : steps) {
    if (!seen.insert(step.file).second) continue;
    try {
      step.file->body();
    } catch (const parse_error& e) {
      problems += "\n  " + e.where().str();
    }
  }
  if (!problems.empty())
    throw error(error_code::parse, "a migration to run is malformed; nothing was changed:" + problems);
}

}  // namespace migrator::detail

namespace migrator {

std::size_t parse_newest_while(const std::vector<migration>& available, const std::function<bool()>& keep_going) {
  std::size_t parsed = 0;
  for (auto m = available.rbegin(); m != available.rend(); ++m) {
    if (m->parsed()) continue;
    if (!keep_going()) break;
    try {
      m->body();
      ++parsed;
    } catch (const parse_error&) {
      // The run that plans it parses it again and reports where it is malformed.
    }
  }
  return parsed;
}

}  // namespace migrator
