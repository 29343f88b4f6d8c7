// `app migrate status`: every migration of the set and its state in the
// database, as a table or JSON; over a fleet, one row per target.
#include <spdlog/spdlog.h>

#include "command.h"
#include "exit_codes.h"
#include "logging.h"
#include "process_lifetime.h"
#include "status_table.h"

namespace app {

extern const command status_command{
    "status", "show every migration and its state (applied, pending, modified, dirty, unknown, replaced)",
    "app migrate status [--json] [--exit-code] [--targets FILE ...]", "app migrate status --json",
    [](po::options_description& o, po::positional_options_description&) {
      o.add_options()("json", po::bool_switch(), "print one JSON object")(
          "exit-code", po::bool_switch(),
          "exit 0 only when nothing is pending, modified, dirty or unknown; 10 when the only pending migrations "
          "are contract migrations deferred for older builds; 6 otherwise");
      add_fleet_options(o, false);
    },
    [](command_context& c) {
      const auto& settings = c.settings;
      if (settings.targets) return run_fleet(c, migrator::fleet_action::status, {}, "status");
      const std::string name = application_name_for("migrate status");
      auto connecting = connect_in_background(settings, name, engine_use::reading, migrator::history_look::status);
      const auto& set = keep_until_exit(load_module_set(settings));
      for (const auto& p : set.problems) log_event(spdlog::level::warn, "module_problem", {}, "{}", p.str());
      migrator::engine engine = open_engine(settings, set.set, connecting, name, engine_use::reading);
      // Kept, not destroyed: freeing 10,000 rows was half a millisecond of an exiting process.
      const auto& report = keep_until_exit(engine.status());
      if (c.vm["json"].as<bool>())
        c.out << status_json(report).dump(2) << '\n';
      else
        print_status_table(c.out, report);
      if (c.vm["exit-code"].as<bool>() && !(report.current() && report.namespace_conflicts.empty()))
        return static_cast<int>(report.only_deferred_pending() && report.namespace_conflicts.empty() ? exit_deferred
                                                                                                     : exit_not_current);
      return static_cast<int>(exit_ok);
    }};

}  // namespace app
