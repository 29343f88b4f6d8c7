// Every exit code of `app`, in one place (documented in docs/cli.md).
#pragma once

#include "migrator/error.h"

namespace app {

enum exit_code : int {
  exit_ok = 0,
  exit_failed = 1,        // a migration, database, parse or layout error
  exit_usage = 2,         // bad command line or configuration
  exit_lock_timeout = 3,  // another runner held the lock past --lock-timeout
  exit_refused = 4,       // a safety guard refused to write (drift, dirty, namespace shift, repair of a clean version)
  exit_in_doubt = 5,      // the connection broke during COMMIT: outcome unknown
  exit_not_current = 6,   // the schema is not current: `status --exit-code`, or `start` refusing to run
  exit_read_only = 7,     // a writing command on a read-only standby (nothing was changed)
  exit_interrupted = 8,   // SIGTERM/SIGINT stopped the run (what was applied and what was not is logged)
  exit_partial = 9,       // fleet: some targets failed or were not started (the table and --json say which)
  exit_deferred = 10,     // only contract migrations waiting for older builds are pending (status --exit-code,
                          // up --wait-for-builds that ran out of time)
};

exit_code exit_code_for(migrator::error_code code);

}  // namespace app
