// How long something took, as the log lines and reports of both the core and
// the app write it.
#pragma once

#include <chrono>
#include <string>

namespace migrator {

// "2.29 ms" below 10 ms (hundredths), else whole milliseconds: "1235 ms".
std::string elapsed_text(std::chrono::microseconds d);

}  // namespace migrator
