// `app start`: the application's startup. migrator::migrate_on_startup waits
// for the database, migrates under the lock and refuses a schema that is not
// current; then the application's own connection, `ready`, and serving until
// SIGINT/SIGTERM.
#include <signal.h>
#include <spdlog/spdlog.h>

#include "command.h"
#include "exit_codes.h"
#include "interrupt_watch.h"
#include "logging.h"
#include "migrator/application.h"
#include "migrator/dsn.h"
#include "migrator/startup.h"
#include "settings_options.h"

namespace app {

namespace {

int run_start(command_context& c) {
  const auto& settings = c.settings;
  // The application connection (search_path, SET ROLE) is PostgreSQL's; on SQLite
  // the application opens the file and attaches the module files itself (docs/sqlite.md).
  if (migrator::backend_of(settings.dsn) == migrator::backend_kind::sqlite)
    throw migrator::error(migrator::error_code::usage,
                          "app start runs on PostgreSQL only; on SQLite use 'app migrate up' (docs/sqlite.md)");
  // From here on SIGINT/SIGTERM go to the watch: before migrating they exit at
  // once, during the migration they interrupt it, once ready they stop serving.
  interrupt_watch signals;
  const std::string name = application_name_for("start");
  const auto set = migrator::valid_module_set(load_module_set(settings));
  const std::string shown = settings.dsn.empty() ? "(libpq defaults)" : migrator::redact_dsn(settings.dsn);
  log_event(spdlog::level::info, "database", {{"dsn", shown}, {"source", settings.dsn_source}}, "database {} (from {})",
            shown, settings.dsn_source);
  migrator::startup_options options = startup_options_from(settings);
  options.running = [&signals](migrator::engine* running) { signals.attach(running); };
  const auto started = migrator::migrate_on_startup(set, options);
  const auto& status = started.status;

  migrator::application_connection connection(settings.dsn, set, settings.app_role, name);
  const std::string search_path = connection.search_path(), role = connection.current_role();
  log_event(spdlog::level::info, "ready",
            {{"at_version", status.current_version}, {"search_path", search_path}, {"role", role}},
            "ready: schema version {}, search_path {}, role {}", status.current_version, search_path, role);
  if (c.vm["once"].as<bool>()) return exit_ok;

  // The signals have been blocked since the watch began, so none is lost in between.
  const int received = signals.wait();
  const char* signal = received == SIGTERM ? "SIGTERM" : "SIGINT";
  log_event(spdlog::level::info, "shutdown", {{"signal", signal}}, "received {}; shutting down", signal);
  return exit_ok;
}

}  // namespace

extern const command start_command{
    "start", "start the application: wait for the database, migrate, check the schema, serve",
    "app start [--once] [options]", "app start --config config/app.yaml",
    [](po::options_description& o, po::positional_options_description&) {
      o.add_options()("once", po::bool_switch(), "exit 0 right after 'ready' (for demos and tests)");
    },
    run_start};

}  // namespace app
