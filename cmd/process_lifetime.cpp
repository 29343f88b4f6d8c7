#include "process_lifetime.h"

#include "cli.h"

namespace app {

std::vector<std::shared_ptr<void>>& kept_values() {
  static std::vector<std::shared_ptr<void>> kept;
  return kept;
}

std::size_t kept_value_count() { return kept_values().size(); }

void release_kept_values() { kept_values().clear(); }

}  // namespace app
