// The module set compiled into the binary. Defined by the source that
// tools/embed_migrations generates from modules/ at build time; only targets
// that link migrator_embedded have it.
#pragma once

#include <memory>

#include "migrator/source.h"

namespace migrator {

std::unique_ptr<migration_source> make_embedded_source();

}  // namespace migrator
