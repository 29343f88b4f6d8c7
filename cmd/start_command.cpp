// `app start`: the application's startup. migrator::migrate_on_startup waits
// for the database, migrates under the lock and refuses a schema that is not
// current; then the application's own connection, `ready`, and serving until
// SIGINT/SIGTERM.
#include <signal.h>
#include <spdlog/spdlog.h>

#include "command.h"
#include "exit_codes.h"
#include "migrator/application.h"
#include "migrator/dsn.h"
#include "migrator/startup.h"
#include "settings_options.h"

namespace app {

namespace {

int run_start(command_context& c) {
  const auto& settings = c.settings;
  const auto set = migrator::valid_module_set(load_module_set(settings));
  spdlog::info("database {} (from {})", settings.dsn.empty() ? "(libpq defaults)" : migrator::redact_dsn(settings.dsn),
               settings.dsn_source);
  const auto started = migrator::migrate_on_startup(set, startup_options_from(settings));
  const auto& status = started.status;

  migrator::application_connection connection(settings.dsn, set, settings.app_role);
  // Block the signals before announcing readiness so none is lost in between.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  const bool once = c.vm["once"].as<bool>();
  if (!once) pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  spdlog::info("ready: schema version {}, search_path {}, role {}", status.current_version,
               connection.search_path(), connection.current_role());
  if (once) return exit_ok;

  int received = 0;
  sigwait(&stop_signals, &received);
  spdlog::info("received {}; shutting down", received == SIGTERM ? "SIGTERM" : "SIGINT");
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
