#include "migrator/environment.h"

#include <cstdlib>

namespace migrator {

env_lookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
  };
}

}  // namespace migrator
