// `app migrate builds`: the running builds of the application, as the build
// registry knows them (docs/rolling-deploys.md), as a table or JSON.
#include <algorithm>

#include "command.h"
#include "exit_codes.h"
#include "migrator/builds.h"
#include "status_table.h"

namespace app {

namespace {

void print_builds(std::ostream& out, const std::vector<migrator::live_build>& builds) {
  if (builds.empty()) {
    out << "no live builds registered\n";
    return;
  }
  std::size_t app_width = 11, host_width = 4;
  for (const auto& b : builds) {
    app_width = std::max(app_width, b.application_name.size());
    host_width = std::max(host_width, b.host.size());
  }
  auto padded = [](std::string text, std::size_t width) {
    if (text.size() < width) text.append(width - text.size(), ' ');
    return text;
  };
  out << padded("BUILD", 14) << padded("APPLICATION", app_width + 2) << padded("HOST", host_width + 2)
      << padded("PID", 9) << padded("STARTED (UTC)", 21) << padded("LEASE UNTIL (UTC)", 21) << "KNOWS\n";
  for (const auto& b : builds)
    out << padded(b.build_id, 14) << padded(b.application_name, app_width + 2) << padded(b.host, host_width + 2)
        << padded(std::to_string(b.pid), 9) << padded(b.started_at, 21) << padded(b.lease_expires_at, 21)
        << migrator::format_known_versions(b.known) << '\n';
  out << "\n" << builds.size() << " live build(s)\n";
}

}  // namespace

extern const command builds_command{
    "builds", "list the running builds of the application (the build registry that contract migrations wait for)",
    "app migrate builds [--json]", "app migrate builds --json",
    [](po::options_description& o, po::positional_options_description&) {
      o.add_options()("json", po::bool_switch(), "print one JSON object");
    },
    [](command_context& c) {
      const auto& settings = c.settings;
      const auto builds =
          migrator::list_builds(settings.dsn, settings.table, application_name_for("migrate builds"));
      if (c.vm["json"].as<bool>()) {
        nlohmann::json j{{"builds", nlohmann::json::array()}};
        for (const auto& b : builds) j["builds"].push_back(build_json(b));
        c.out << j.dump(2) << '\n';
      } else {
        print_builds(c.out, builds);
      }
      return static_cast<int>(exit_ok);
    }};

}  // namespace app
