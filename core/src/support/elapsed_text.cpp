#include "migrator/elapsed_text.h"

#include <cstdio>

namespace migrator {

std::string elapsed_text(std::chrono::microseconds d) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f ms", d.count() < 10000 ? 2 : 0, static_cast<double>(d.count()) / 1000.0);
  return text;
}

}  // namespace migrator
