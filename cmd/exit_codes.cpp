#include "exit_codes.h"

namespace app {

exit_code exit_code_for(migrator::error_code code) {
  switch (code) {
    case migrator::error_code::usage:
    case migrator::error_code::config:
      return exit_usage;
    case migrator::error_code::lock_timeout:
      return exit_lock_timeout;
    case migrator::error_code::refused:
      return exit_refused;
    case migrator::error_code::not_current:
      return exit_not_current;
    case migrator::error_code::in_doubt:
      return exit_in_doubt;
    case migrator::error_code::read_only:
      return exit_read_only;
    case migrator::error_code::interrupted:
      return exit_interrupted;
    case migrator::error_code::parse:
    case migrator::error_code::layout:
    case migrator::error_code::plan:
    case migrator::error_code::database:
    case migrator::error_code::io:
      return exit_failed;
  }
  return exit_failed;
}

}  // namespace app
