// ENVSUB: variable substitution in one line of a migration, as goose does it
// (mfridman/interpolate). Pure but for the lookup.
//   $VAR ${VAR} ${VAR:-default} ${VAR-default} ${VAR?message} ${VAR:offset[:length]}
//   "\$" and "$$" give "$", "\\" stays "\\", "$(" stays. Any other "$" must
//   start a variable name (a letter, then letters, digits or '_').
#pragma once

#include <string>
#include <string_view>

#include "migrator/environment.h"

namespace migrator::parsing {

// Why a substitution failed (no path, no line number).
struct envsub_failure {
  std::string message;
};

// Appends `line` with its variables substituted to `out`. Variables are looked
// up in `env` (an empty function: every variable unset). Throws envsub_failure.
void substitute_variables(std::string_view line, const env_lookup& env, std::string& out);

}  // namespace migrator::parsing
