// This machine's name (gethostname), recorded in history rows and lock
// holders so that an operator can tell which host ran what.
#pragma once

#include <string>

namespace migrator::detail {

// Empty when the system cannot say.
std::string host_name();

}  // namespace migrator::detail
