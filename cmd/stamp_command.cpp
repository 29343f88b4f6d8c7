// `app migrate stamp VERSION`: adopts a database built by hand or by another
// tool by recording the set's migrations up to VERSION as applied, without
// running them, under the migration lock. The engine refuses versions already
// recorded differently.
#include "command.h"

namespace app {

extern const command stamp_command{
    "stamp", "record every migration up to VERSION as applied without running it (adopt a database)",
    "app migrate stamp VERSION [--dry-run]", "app migrate stamp 4017 --dry-run",
    [](po::options_description& o, po::positional_options_description& p) {
      add_dry_run_option(o, "print what would be recorded; change nothing");
      o.add_options()(
          "version", po::value<std::int64_t>()->required()->value_name("VERSION"),
          "the last version to record (a version of the module set)");
      p.add("version", 1);
    },
    [](command_context& c) { return run_plan(c, migrator::command_kind::stamp, "stamp"); }};

}  // namespace app
