// The PostgreSQL seams on an open session: shared by open_backend and the
// engine's PostgreSQL constructors.
#pragma once

#include <memory>

#include "migrator/engine.h"

namespace migrator::detail {

// Sets the session timeouts of `options` on `db`, then builds goose's history
// store and the advisory lock on it. Throws error(database).
backend postgres_backend(std::unique_ptr<session> db, const engine_options& options);

}  // namespace migrator::detail
