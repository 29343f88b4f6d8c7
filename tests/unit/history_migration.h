// A migration as the history comparisons see it: version, module, checksum,
// and the name "n<version>". For the pure tests of history rows.
#pragma once

#include <cstdint>
#include <string>

#include "migrator/migration.h"

namespace testing_support {

inline migrator::migration history_migration(std::int64_t version, const char* module, const char* checksum) {
  migrator::migration m;
  m.version = version;
  m.module = module;
  m.name = "n" + std::to_string(version);
  m.checksum = checksum;
  return m;
}

}  // namespace testing_support
