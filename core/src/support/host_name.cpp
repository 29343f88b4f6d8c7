#include "support/host_name.h"

#include <unistd.h>

namespace migrator::detail {

std::string host_name() {
  char name[256] = {0};  // gethostname may not terminate a truncated name: the last byte stays 0
  if (gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

}  // namespace migrator::detail
