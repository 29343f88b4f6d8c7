// `app start`: the application's startup. Waits for the database, migrates
// under the lock, refuses to run on a schema that is not current, opens the
// application's own connection and serves until SIGINT/SIGTERM.
#include <signal.h>
#include <spdlog/spdlog.h>

#include "command.h"
#include "exit_codes.h"
#include "migrator/application.h"
#include "migrator/dsn.h"
#include "migrator/engine.h"
#include "settings_options.h"

namespace app {

namespace {

std::string not_current_reasons(const migrator::status_report& status) {
  std::string why;
  for (const auto& c : status.namespace_conflicts) why += "\n  namespace conflict: " + c;
  for (const auto& m : status.migrations) {
    if (m.state == migrator::migration_state::applied) continue;
    why += "\n  " + m.module + " " + std::to_string(m.version) + " " + (m.path.empty() ? m.name : m.path) + ": " +
           migrator::to_string(m.state);
    switch (m.state) {
      case migrator::migration_state::pending: why += " (run 'app migrate up', or start without --no-migrate)"; break;
      case migrator::migration_state::modified: why += " (edited after it was applied: revert the file)"; break;
      case migrator::migration_state::dirty:
        why += " (fix it, then 'app migrate repair " + std::to_string(m.version) + " --mark-applied' or "
               "'--mark-rolled-back')";
        break;
      case migrator::migration_state::unknown: why += " (applied by a newer build: deploy that build)"; break;
      default: break;
    }
  }
  return why;
}

int run_start(command_context& c) {
  const auto& settings = c.settings;
  // The application connection (search_path, SET ROLE) is PostgreSQL's; on SQLite
  // the application opens the file and attaches the module files itself (docs/sqlite.md).
  if (migrator::backend_of(settings.dsn) == migrator::backend_kind::sqlite)
    throw migrator::error(migrator::error_code::usage,
                          "app start runs on PostgreSQL only; on SQLite use 'app migrate up' (docs/sqlite.md)");
  auto assembled = load_module_set(c.settings);
  if (!assembled.ok()) {
    std::string msg = "refusing to start: the module set has problems:";
    for (const auto& p : assembled.problems) msg += "\n  " + p.str();
    throw migrator::error(migrator::error_code::layout, msg);
  }
  const auto& set = assembled.set;

  spdlog::info("database {} (from {})", settings.dsn.empty() ? "(libpq defaults)" : migrator::redact_dsn(settings.dsn),
               settings.dsn_source);
  migrator::wait_for_database(settings.dsn, settings.wait_timeout, [](int attempt, const std::string& reason) {
    spdlog::info("waiting for the database (attempt {}): {}", attempt, reason);
  });

  migrator::engine engine(settings.dsn, set, engine_options_from(settings));
  if (settings.migrate_on_start) {
    logging_observer observer;
    auto report = engine.run({migrator::command_kind::up, 0}, &observer);
    spdlog::info(report.steps.empty() ? "migrations: nothing to apply" : "migrations: applied {}",
                 report.steps.size());
  } else {
    spdlog::info("migrations: skipped (migrations.on_start is off)");
  }

  auto status = engine.status();
  if (!status.current() || !status.namespace_conflicts.empty())
    throw migrator::error(migrator::error_code::not_current,
                          "refusing to start: the database schema is not current:" + not_current_reasons(status));

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
