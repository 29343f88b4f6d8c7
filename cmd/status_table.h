// How `app migrate status` shows a status report: a table for people, JSON for programs.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "migrator/status.h"

namespace app {

// One row per migration, then a summary line ("version 4017: 12 applied, 1 pending")
// and what needs attention (missing checksums, namespace conflicts, refused baselines).
void print_status_table(std::ostream& out, const migrator::status_report& report);

// The same as one JSON object (documented in docs/cli.md).
nlohmann::json status_json(const migrator::status_report& report);

// One live build of the registry (app migrate builds --json, status's deferred rows).
nlohmann::json build_json(const migrator::live_build& build);

}  // namespace app
