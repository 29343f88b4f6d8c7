// The environment as the core sees it: a lookup, so pure code (ENVSUB in the
// parser, settings resolution) can be tested without touching the real one.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace migrator {

// Looks a variable up; nullopt = unset.
using env_lookup = std::function<std::optional<std::string>(const std::string& name)>;

// Reads the process environment (getenv).
env_lookup process_environment();

}  // namespace migrator
