// `app migrate version`: the database's current version; over a fleet, one row per target.
#include "command.h"
#include "exit_codes.h"
#include "process_lifetime.h"

namespace app {

extern const command version_command{
    "version", "print the database's current version (the highest applied)",
    "app migrate version [--targets FILE ...]", "app migrate version",
    [](po::options_description& o, po::positional_options_description&) { add_fleet_options(o, true); },
    [](command_context& c) {
      const auto& settings = c.settings;
      if (settings.targets) return run_fleet(c, migrator::fleet_action::status, {}, "version");
      const std::string name = application_name_for("migrate version");
      auto connecting = connect_in_background(settings, name, engine_use::reading, migrator::history_look::status);
      const auto& set = keep_until_exit(load_module_set(settings));
      migrator::engine engine = open_engine(settings, set.set, connecting, name, engine_use::reading);
      c.out << engine.status().current_version << '\n';
      return static_cast<int>(exit_ok);
    }};

}  // namespace app
