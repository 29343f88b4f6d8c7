// The module set compiled into the program. Defined by the source that
// migrator_embed_modules(<target> MANIFEST .../modules.yaml) generates at build
// time (tools/embed_migrations); only targets given a set that way have it.
#pragma once

#include <memory>

#include "migrator/assembler.h"
#include "migrator/environment.h"
#include "migrator/source.h"

namespace migrator {

std::unique_ptr<migration_source> make_embedded_source();

// The embedded set assembled, ${VAR} (ENVSUB) resolved from the process
// environment. Inline: only programs that call it need an embedded set.
inline assembly assemble_embedded() { return assemble(make_embedded_source()->load(), process_environment()); }

}  // namespace migrator
