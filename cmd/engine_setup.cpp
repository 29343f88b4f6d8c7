// How the commands open a database and which engine options they give it:
// the settings translated once, the connection started early. The one place
// in cmd/ that constructs engines from settings.
#include "command.h"
#include "migrator/engine.h"

namespace app {

bool connections_in_flight() { return migrator::backend_opener::attempts_in_flight(); }

namespace {

migrator::engine_options options_for(const app::settings& settings, const std::string& application_name,
                                     engine_use use) {
  auto options = engine_options_from(settings, application_name);
  options.reads_only = use == engine_use::reading;
  return options;
}

}  // namespace

std::unique_ptr<migrator::backend_opener> connect_in_background(const app::settings& settings,
                                                                const std::string& application_name,
                                                                engine_use use, migrator::history_look first) {
  return std::make_unique<migrator::backend_opener>(settings.dsn, options_for(settings, application_name, use),
                                                    first);
}

std::string application_name_for(const std::string& command) { return "app " + command + " " + APP_VERSION; }

migrator::engine open_engine(const app::settings& settings, const migrator::module_set& set,
                             std::unique_ptr<migrator::backend_opener>& connecting,
                             const std::string& application_name, engine_use use) {
  const auto options = options_for(settings, application_name, use);
  return migrator::engine(connecting->open(set, options), set, options);
}

migrator::engine_options engine_options_from(const app::settings& s, const std::string& application_name) {
  migrator::engine_options o;
  o.application_name = application_name;
  o.table = s.table;
  o.lock_timeout = s.lock_timeout;
  o.postgres.lock = s.lock;
  o.postgres.lock_lease = s.lock_lease;
  o.postgres.lock_id = s.lock_id;
  o.postgres.statement_timeout = s.statement_timeout;
  o.postgres.server_lock_timeout = s.db_lock_timeout;
  o.postgres.lock_retries = s.db_lock_retries;
  o.postgres.lock_retry_for = s.db_lock_retry_for;
  o.allow_drift = s.allow_drift;
  o.single_transaction = s.single_transaction;
  o.wait_for_builds = s.wait_for_builds;
  return o;
}

migrator::startup_options startup_options_from(const app::settings& s) {
  migrator::startup_options o;
  o.dsn = s.dsn;
  o.engine = engine_options_from(s, application_name_for("start"));
  o.wait_timeout = s.wait_timeout;
  o.migrate = s.migrate_on_start;
  o.on_unknown = s.on_unknown;
  o.build_lease = s.build_lease;
  return o;
}

}  // namespace app
