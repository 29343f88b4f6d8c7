// Which pending contract migrations wait for older builds (builds.h). Pure:
// the plan and the live builds in, the steps to run and the deferred ones out.
#include <map>

#include "migrator/builds.h"

namespace migrator {

std::string deferred_migration::describe() const {
  std::string text = module + " " + std::to_string(version) + " " + name;
  if (behind_contract != 0)
    return text + ": after contract " + std::to_string(behind_contract) + " of its module, which is deferred";
  text += " (contract): waits for ";
  for (std::size_t i = 0; i < waiting_for.size(); ++i)
    text += (i == 0 ? "" : ", ") + waiting_for[i].describe();
  return text;
}

deferral defer_contracts(std::vector<plan_step> steps, const std::vector<live_build>& live) {
  deferral result;
  // module -> the version of its first deferred contract: nothing of that
  // module may run after it (a later migration may build on what it removes).
  std::map<std::string, std::int64_t> held_back;
  for (auto& step : steps) {
    const migration& m = *step.file;
    if (step.dir == direction::up && !step.record_only) {
      if (auto held = held_back.find(m.module); held != held_back.end()) {
        result.deferred.push_back({m.version, m.module, m.name, held->second, {}});
        continue;
      }
      if (m.contract) {
        std::vector<live_build> waiting;
        for (const auto& build : live)
          if (!build.knows(m.module, m.version)) waiting.push_back(build);
        if (!waiting.empty()) {
          held_back.emplace(m.module, m.version);
          result.deferred.push_back({m.version, m.module, m.name, 0, std::move(waiting)});
          continue;
        }
      }
    }
    result.run.push_back(step);
  }
  return result;
}

}  // namespace migrator
