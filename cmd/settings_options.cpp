#include "settings_options.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "migrator/error.h"

namespace app {

namespace {

std::optional<std::string> given(const po::variables_map& vm, const char* name) {
  if (!vm.count(name)) return std::nullopt;
  return vm[name].as<std::string>();
}

}  // namespace

void add_settings_options(po::options_description& options) {
  using migrator::format_duration;
  const migrator::settings defaults;
  // Defaults come from `defaults`, so the help cannot drift from the code.
  const std::string lock = "how long to wait for the migration lock held by another runner, e.g. 30s, 5m, 1h30m; "
                           "0 = do not wait (env APP_LOCK_TIMEOUT; default: " +
                           format_duration(defaults.lock_timeout) + ")";
  const std::string wait = "at application start, how long to wait for the database to accept connections "
                           "(env APP_WAIT_TIMEOUT; default: " +
                           format_duration(defaults.wait_timeout) + ")";
  const std::string table = "the version table, NAME or SCHEMA.NAME (env APP_TABLE; default: " + defaults.table + ")";
  const std::string level = "trace|debug|info|warn|error|off (env APP_LOG_LEVEL; default: " + defaults.log_level + ")";
  const std::string format = "text|json: json writes one JSON object per line (env APP_LOG_FORMAT; default: " +
                             defaults.log_format + ")";
  const std::string jobs = "fleet: how many targets run at the same time; 1 = one at a time in file order "
                          "(env APP_JOBS; default: " + std::to_string(defaults.jobs) + ")";
  const std::string connect = "fleet: libpq connect_timeout of each target that sets none, so a server that is "
                              "down fails its targets quickly (env APP_CONNECT_TIMEOUT; default: " +
                              format_duration(defaults.connect_timeout) + ")";
  options.add_options()
      ("dsn", po::value<std::string>()->value_name("DSN"),
       "PostgreSQL connection string, a URI (postgresql://user@host/db; postgresql+asyncpg://, pgx5://... are "
       "accepted) or keyword/value (\"host=... dbname=...\") (default: $MIGRATE_DSN, else $DATABASE_URL, else "
       "database.url of the config file, else the local development database .local/db, else libpq's PG* "
       "variables)")
      ("config", po::value<std::string>()->value_name("FILE"),
       "read settings from the YAML file FILE (env APP_CONFIG; default: config/app.yaml when it exists)")
      ("modules-dir", po::value<std::string>()->value_name("DIR"),
       "use the modules in DIR (DIR/modules.yaml, DIR/<name>/migrations/*.sql) instead of the embedded set "
       "(env APP_MODULES_DIR; default: the embedded set)")
      ("table", po::value<std::string>()->value_name("NAME"), table.c_str())
      ("lock-timeout", po::value<std::string>()->value_name("DURATION"), lock.c_str())
      ("statement-timeout", po::value<std::string>()->value_name("DURATION"),
       "PostgreSQL statement_timeout of migration sessions; 0 = none (env APP_STATEMENT_TIMEOUT; default: none, "
       "the server's setting)")
      ("db-lock-timeout", po::value<std::string>()->value_name("DURATION"),
       "PostgreSQL lock_timeout of migration sessions: how long one statement waits for a table lock; 0 = none "
       "(env APP_DB_LOCK_TIMEOUT; default: none, the server's setting)")
      ("wait-timeout", po::value<std::string>()->value_name("DURATION"), wait.c_str())
      ("no-migrate", "do not migrate when the application starts (env APP_MIGRATE_ON_START=false; default: migrate)")
      ("app-role", po::value<std::string>()->value_name("ROLE"),
       "SET ROLE to ROLE on the application's own connection; \"\" = none (env APP_ROLE; default: none)")
      ("log-level", po::value<std::string>()->value_name("LEVEL"), level.c_str())
      ("log-format", po::value<std::string>()->value_name("FORMAT"), format.c_str())
      ("allow-drift", "proceed although applied migrations differ from their files (env APP_ALLOW_DRIFT; "
                      "default: refuse)")
      ("targets", po::value<std::string>()->value_name("FILE"),
       "run over the databases of the fleet file FILE (docs/fleet.md) instead of one DSN (env APP_TARGETS; "
       "default: none)")
      ("jobs", po::value<std::string>()->value_name("N"),
       jobs.c_str())
      ("connect-timeout", po::value<std::string>()->value_name("DURATION"),
       connect.c_str());
}

migrator::settings_flags settings_flags_from(const po::variables_map& vm) {
  migrator::settings_flags f;
  f.dsn = given(vm, "dsn");
  f.config = given(vm, "config");
  f.modules_dir = given(vm, "modules-dir");
  f.table = given(vm, "table");
  f.lock_timeout = given(vm, "lock-timeout");
  f.statement_timeout = given(vm, "statement-timeout");
  f.db_lock_timeout = given(vm, "db-lock-timeout");
  f.wait_timeout = given(vm, "wait-timeout");
  f.no_migrate = vm.count("no-migrate") > 0;
  f.app_role = given(vm, "app-role");
  f.log_level = given(vm, "log-level");
  f.log_format = given(vm, "log-format");
  f.allow_drift = vm.count("allow-drift") > 0;
  f.targets = given(vm, "targets");
  f.jobs = given(vm, "jobs");
  f.connect_timeout = given(vm, "connect-timeout");
  return f;
}

migrator::file_lookup disk_files() {
  return [](const std::string& path) -> std::optional<std::string> {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::file_status status = fs::status(path, ec);
    if (status.type() == fs::file_type::not_found) return std::nullopt;
    if (fs::is_directory(status))
      throw migrator::error(migrator::error_code::config, path + ": is a directory, not a file");
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    if (!in || in.bad())
      throw migrator::error(migrator::error_code::config, path + ": cannot read: " + std::strerror(errno));
    return text.str();
  };
}

migrator::settings settings_from(const po::variables_map& vm) {
  return migrator::resolve_settings(settings_flags_from(vm), migrator::process_environment(), disk_files());
}

}  // namespace app
