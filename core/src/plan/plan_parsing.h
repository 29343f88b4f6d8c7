// Before a plan's first step runs, every step's migration is parsed: the module
// set parses files on first use (applied ones never are), so a malformed file
// that is about to run must stop the run here, before anything is applied.
#pragma once

#include <vector>

#include "migrator/planner.h"

namespace migrator::detail {

// Parses the migration of every step. Throws error(parse) listing each
// malformed file as "path:line: message" and saying that nothing was changed.
void parse_plan(const std::vector<plan_step>& steps);

}  // namespace migrator::detail
