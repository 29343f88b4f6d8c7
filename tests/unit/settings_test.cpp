#include "settings.h"

#include "duration.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <algorithm>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <map>
#include <string>

#include "migrator/error.h"

namespace {

using app::settings;
using app::settings_flags;
using namespace std::chrono_literals;

// An environment and a disk in memory.
struct world {
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> files;

  settings resolve(const settings_flags& flags = {}) const {
    return app::resolve_settings(
        flags,
        [this](const std::string& name) -> std::optional<std::string> {
          auto it = env.find(name);
          return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
        },
        [this](const std::string& path) -> std::optional<std::string> {
          auto it = files.find(path);
          return it == files.end() ? std::nullopt : std::optional<std::string>(it->second);
        });
  }

  // The message of the config error that resolve() throws.
  std::string error(const settings_flags& flags = {}) const {
    try {
      resolve(flags);
    } catch (const migrator::error& e) {
      EXPECT_EQ(e.code(), migrator::error_code::config) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "no error";
    return {};
  }
};

std::string show(const std::optional<std::chrono::milliseconds>& d) {
  return d ? app::format_duration(*d) : "none";
}

std::string show(const std::optional<std::string>& s) { return s ? *s : "none"; }

TEST(Settings, DefaultsWithNothingConfigured) {
  settings s = world{}.resolve();
  EXPECT_EQ(s.dsn, "");
  EXPECT_EQ(s.dsn_source, "libpq defaults (PG* variables)");
  EXPECT_FALSE(s.config_file);
  EXPECT_FALSE(s.modules_dir);
  EXPECT_EQ(s.table, "goose_db_version");
  EXPECT_EQ(s.lock_timeout, 5min);
  EXPECT_FALSE(s.statement_timeout);
  EXPECT_FALSE(s.db_lock_timeout);
  EXPECT_EQ(s.wait_timeout, 60s);
  EXPECT_TRUE(s.migrate_on_start);
  EXPECT_FALSE(s.app_role);
  EXPECT_EQ(s.log_level, migrator::log_level::info);
  EXPECT_EQ(s.log_format, app::log_format::text);
  EXPECT_FALSE(s.allow_drift);
  EXPECT_EQ(s.on_unknown, migrator::unknown_versions::warn);
}

// Each key set in all three sources, then removed from the highest one at a time.
struct precedence_case {
  const char* key;
  std::function<void(settings_flags&)> set_flag;
  const char* env_name;
  const char* env_value;
  const char* file_yaml;
  std::function<std::string(const settings&)> get;
  const char* from_flag;
  const char* from_env;
  const char* from_file;
  const char* by_default;
};

TEST(Settings, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  const precedence_case cases[] = {
      {"modules_dir", [](settings_flags& f) { f["modules-dir"] = "flag/modules"; }, "APP_MODULES_DIR", "env/modules",
       "migrations: {modules_dir: file/modules}", [](const settings& s) { return show(s.modules_dir); },
       "flag/modules", "env/modules", "file/modules", "none"},
      {"table", [](settings_flags& f) { f["table"] = "flag_versions"; }, "APP_TABLE", "env.versions",
       "database: {table: file_versions}", [](const settings& s) { return s.table; }, "flag_versions",
       "env.versions", "file_versions", "goose_db_version"},
      {"lock_timeout", [](settings_flags& f) { f["lock-timeout"] = "10s"; }, "APP_LOCK_TIMEOUT", "2m",
       "migrations: {lock_timeout: 1h}", [](const settings& s) { return show(s.lock_timeout); }, "10s", "2m", "1h",
       "5m"},
      {"statement_timeout", [](settings_flags& f) { f["statement-timeout"] = "1s"; }, "APP_STATEMENT_TIMEOUT", "2s",
       "migrations: {statement_timeout: 3s}", [](const settings& s) { return show(s.statement_timeout); }, "1s",
       "2s", "3s", "none"},
      {"db_lock_timeout", [](settings_flags& f) { f["db-lock-timeout"] = "100ms"; }, "APP_DB_LOCK_TIMEOUT", "200ms",
       "migrations: {db_lock_timeout: 300ms}", [](const settings& s) { return show(s.db_lock_timeout); }, "100ms",
       "200ms", "300ms", "none"},
      {"wait_timeout", [](settings_flags& f) { f["wait-timeout"] = "5s"; }, "APP_WAIT_TIMEOUT", "1m30s",
       "startup: {wait_timeout: 2m}", [](const settings& s) { return show(s.wait_timeout); }, "5s", "1m30s", "2m",
       "1m"},
      {"on_start", [](settings_flags& f) { f["no-migrate"] = ""; }, "APP_MIGRATE_ON_START", "true",
       "migrations: {on_start: false}", [](const settings& s) { return s.migrate_on_start ? "true" : "false"; },
       "false", "true", "false", "true"},
      {"app_role", [](settings_flags& f) { f["app-role"] = "flag_role"; }, "APP_ROLE", "env_role",
       "database: {app_role: file_role}", [](const settings& s) { return show(s.app_role); }, "flag_role",
       "env_role", "file_role", "none"},
      {"log_level", [](settings_flags& f) { f["log-level"] = "trace"; }, "APP_LOG_LEVEL", "debug",
       "log: {level: warn}",
       [](const settings& s) { return std::string(app::spelling_of(s.log_level, app::log_level_spellings)); },
       "trace", "debug", "warn", "info"},
      {"log_format", [](settings_flags& f) { f["log-format"] = "json"; }, "APP_LOG_FORMAT", "text",
       "log: {format: json}",
       [](const settings& s) { return std::string(app::spelling_of(s.log_format, app::log_format_spellings)); },
       "json", "text", "json", "text"},
      {"allow_drift", [](settings_flags& f) { f["allow-drift"] = ""; }, "APP_ALLOW_DRIFT", "false",
       "migrations: {allow_drift: true}", [](const settings& s) { return s.allow_drift ? "true" : "false"; },
       "true", "false", "true", "false"},
      {"on_unknown", [](settings_flags& f) { f["on-unknown"] = "refuse"; }, "APP_ON_UNKNOWN", "warn",
       "migrations: {on_unknown: refuse}", [](const settings& s) { return std::string(app::spelling_of(s.on_unknown, app::unknown_versions_spellings)); }, "refuse", "warn",
       "refuse", "warn"},
  };
  for (const precedence_case& c : cases) {
    SCOPED_TRACE(c.key);
    world w;
    w.files["config/app.yaml"] = c.file_yaml;
    w.env[c.env_name] = c.env_value;
    settings_flags flags;
    c.set_flag(flags);
    EXPECT_EQ(c.get(w.resolve(flags)), c.from_flag);
    EXPECT_EQ(c.get(w.resolve()), c.from_env);
    w.env.clear();
    EXPECT_EQ(c.get(w.resolve()), c.from_file);
    w.files.clear();
    EXPECT_EQ(c.get(w.resolve()), c.by_default);
  }
}

TEST(Settings, EmptyEnvironmentVariablesCountAsUnset) {
  world w;
  w.files["config/app.yaml"] = "log: {level: warn}\ndatabase: {url: 'host=file'}";
  w.env = {{"APP_LOG_LEVEL", ""}, {"MIGRATE_DSN", ""}, {"DATABASE_URL", ""}, {"APP_CONFIG", ""}};
  settings s = w.resolve();
  EXPECT_EQ(s.log_level, migrator::log_level::warn);
  EXPECT_EQ(s.dsn, "host=file");
}

TEST(Settings, EmptyFlagClearsModulesDirAndRole) {
  world w;
  w.files["config/app.yaml"] = "migrations: {modules_dir: mods}\ndatabase: {app_role: r}";
  settings_flags flags;
  flags["modules-dir"] = "";
  flags["app-role"] = "";
  settings s = w.resolve(flags);
  EXPECT_FALSE(s.modules_dir);
  EXPECT_FALSE(s.app_role);
}

TEST(Settings, ZeroOrNoneDisablesSessionTimeouts) {
  world w;
  w.files["config/app.yaml"] = "migrations: {statement_timeout: 30s, db_lock_timeout: 10s}";
  w.env["APP_STATEMENT_TIMEOUT"] = "0";
  w.env["APP_DB_LOCK_TIMEOUT"] = "none";
  settings s = w.resolve();
  EXPECT_FALSE(s.statement_timeout);
  EXPECT_FALSE(s.db_lock_timeout);
  w.env["APP_LOCK_TIMEOUT"] = "0";  // the migration lock: 0 = try once
  EXPECT_EQ(w.resolve().lock_timeout, 0ms);
}

TEST(Settings, ChoicesAndBooleansAreCaseInsensitive) {
  world w;
  w.env = {{"APP_LOG_LEVEL", "Warning"}, {"APP_LOG_FORMAT", "Json"}, {"APP_ALLOW_DRIFT", "Yes"},
           {"APP_MIGRATE_ON_START", "OFF"}};
  settings s = w.resolve();
  EXPECT_EQ(s.log_level, migrator::log_level::warn);
  EXPECT_EQ(s.log_format, app::log_format::json);
  EXPECT_TRUE(s.allow_drift);
  EXPECT_FALSE(s.migrate_on_start);
}

TEST(Settings, FullFileExample) {
  world w;
  w.files["config/app.yaml"] = R"(# every key
database:
  url: postgresql+asyncpg://ibex:ibex@localhost:5432/ibex
  table: platform.goose_db_version
  app_role: ibex_app
migrations:
  on_start: true
  modules_dir: modules
  lock_timeout: 5m
  statement_timeout: 30s
  db_lock_timeout: 10s
  allow_drift: false
startup:
  wait_timeout: 60s
log:
  level: info
  format: json
)";
  settings s = w.resolve();
  EXPECT_EQ(s.config_file, "config/app.yaml");
  EXPECT_EQ(s.dsn, "postgresql://ibex:ibex@localhost:5432/ibex");
  EXPECT_EQ(s.dsn_source, "config/app.yaml: database.url");
  EXPECT_EQ(s.table, "platform.goose_db_version");
  EXPECT_EQ(s.app_role, "ibex_app");
  EXPECT_EQ(s.modules_dir, "modules");
  EXPECT_EQ(s.lock_timeout, 5min);
  EXPECT_EQ(s.statement_timeout, 30s);
  EXPECT_EQ(s.db_lock_timeout, 10s);
  EXPECT_EQ(s.wait_timeout, 60s);
  EXPECT_TRUE(s.migrate_on_start);
  EXPECT_FALSE(s.allow_drift);
  EXPECT_EQ(s.log_format, app::log_format::json);
}

TEST(Settings, EmptyFileAndNullValuesAreFine) {
  world w;
  w.files["config/app.yaml"] = "";
  EXPECT_EQ(w.resolve().config_file, "config/app.yaml");
  w.files["config/app.yaml"] = "# only a comment\n";
  EXPECT_EQ(w.resolve().table, "goose_db_version");
  w.files["config/app.yaml"] = "database:\nmigrations:\n  lock_timeout: ~\n";
  EXPECT_EQ(w.resolve().lock_timeout, 5min);
}

// ---- which configuration file ----------------------------------------------

TEST(SettingsFile, DefaultFileIsReadOnlyWhenPresent) {
  world w;
  EXPECT_FALSE(w.resolve().config_file);
  w.files["config/app.yaml"] = "log: {level: error}";
  settings s = w.resolve();
  EXPECT_EQ(s.config_file, "config/app.yaml");
  EXPECT_EQ(s.log_level, migrator::log_level::error);
}

TEST(SettingsFile, ExplicitFileReplacesTheDefault) {
  world w;
  w.files["config/app.yaml"] = "log: {level: error}";
  w.files["/etc/app/prod.yaml"] = "log: {level: warn}";
  w.files["env.yaml"] = "log: {level: debug}";
  settings_flags flags;
  flags["config"] = "/etc/app/prod.yaml";
  EXPECT_EQ(w.resolve(flags).log_level, migrator::log_level::warn);
  EXPECT_EQ(w.resolve(flags).config_file, "/etc/app/prod.yaml");
  w.env["APP_CONFIG"] = "env.yaml";
  EXPECT_EQ(w.resolve(flags).log_level, migrator::log_level::warn);  // --config beats APP_CONFIG
  EXPECT_EQ(w.resolve().log_level, migrator::log_level::debug);
}

TEST(SettingsFile, ExplicitFileMustExist) {
  world w;
  settings_flags flags;
  flags["config"] = "missing.yaml";
  EXPECT_EQ(w.error(flags), "--config: missing.yaml: no such file");
  w.env["APP_CONFIG"] = "gone.yaml";
  EXPECT_EQ(w.error(), "APP_CONFIG: gone.yaml: no such file");
}

// ---- the DSN -----------------------------------------------------------------

TEST(SettingsDsn, ResolutionOrder) {
  world w;
  w.files[".local/db/dsn"] = "host=/tmp/pgsock.abc port=5433 user=postgres dbname=postgres\n";
  EXPECT_EQ(w.resolve().dsn, "host=/tmp/pgsock.abc port=5433 user=postgres dbname=postgres");
  EXPECT_EQ(w.resolve().dsn_source, "local development database (.local/db)");

  w.files["config/app.yaml"] = "database:\n  url: host=file\n";
  EXPECT_EQ(w.resolve().dsn, "host=file");
  EXPECT_EQ(w.resolve().dsn_source, "config/app.yaml: database.url");

  w.env["DATABASE_URL"] = "host=database_url";
  EXPECT_EQ(w.resolve().dsn, "host=database_url");
  EXPECT_EQ(w.resolve().dsn_source, "DATABASE_URL");

  w.env["MIGRATE_DSN"] = "host=migrate_dsn";
  EXPECT_EQ(w.resolve().dsn, "host=migrate_dsn");
  EXPECT_EQ(w.resolve().dsn_source, "MIGRATE_DSN");

  settings_flags flags;
  flags["dsn"] = "host=flag";
  EXPECT_EQ(w.resolve(flags).dsn, "host=flag");
  EXPECT_EQ(w.resolve(flags).dsn_source, "--dsn");
}

// The --dsn help's default names the sources after the flag itself, in the order they are tried.
TEST(SettingsDsn, HelpDefaultNamesTheOtherSourcesInOrder) {
  const auto& table = app::setting_table();
  auto dsn = std::find_if(table.begin(), table.end(), [](const app::setting_spec& spec) { return spec.flag == "dsn"; });
  ASSERT_NE(dsn, table.end());
  EXPECT_EQ(dsn->show(settings{}),
            "$MIGRATE_DSN, else $DATABASE_URL, else database.url of the config file, else the local development "
            "database .local/db, else libpq's PG* variables");
}

TEST(SettingsDsn, EmptyLocalDsnFileFallsBackToLibpqDefaults) {
  world w;
  w.files[".local/db/dsn"] = "\n";
  EXPECT_EQ(w.resolve().dsn, "");
  EXPECT_EQ(w.resolve().dsn_source, "libpq defaults (PG* variables)");
}

TEST(SettingsDsn, EverySourceIsNormalised) {
  world w;
  w.env["DATABASE_URL"] = "postgresql+asyncpg://ibex:ibex@localhost:5432/ibex?ssl=require";
  EXPECT_EQ(w.resolve().dsn, "postgresql://ibex:ibex@localhost:5432/ibex?sslmode=require");
  settings_flags flags;
  flags["dsn"] = "pgx5://u@h/db";
  EXPECT_EQ(w.resolve(flags).dsn, "postgresql://u@h/db");
}

// ---- errors ------------------------------------------------------------------

struct error_case {
  const char* yaml;
  const char* message;
};

TEST(SettingsErrors, FileErrorsSayWhere) {
  const error_case cases[] = {
      {"databse:\n  url: x\n", "config/app.yaml:1: unknown key 'databse' (did you mean 'database'?)"},
      {"database:\n  table: t\n  tabel: u\n", "config/app.yaml:3: unknown key 'database.tabel' (did you mean 'database.table'?)"},
      {"migrations:\n  lock_timout: 5m\n", "config/app.yaml:2: unknown key 'migrations.lock_timout' (did you mean 'migrations.lock_timeout'?)"},
      {"database:\n  lock_timeout: 5m\n", "config/app.yaml:2: unknown key 'database.lock_timeout' (did you mean 'migrations.lock_timeout'?)"},
      {"url: x\n", "config/app.yaml:1: unknown key 'url' (did you mean 'database.url'?)"},
      {"server:\n  port: 1\n", "config/app.yaml:1: unknown key 'server'"},
      {"log: {level: info}\nlog: {format: json}\n", "config/app.yaml:2: duplicate key 'log' (first at line 1)"},
      {"database: [a, b]\n", "config/app.yaml:1: 'database' must be a mapping (url, table, app_role), not a list"},
      {"startup: 60s\n", "config/app.yaml:1: 'startup' must be a mapping (build_lease, wait_timeout), not a single value"},
      {"database:\n  url:\n    host: x\n", "config/app.yaml:3: 'database.url' must be a single value, not a mapping"},
      {"- a\n- b\n", "config/app.yaml:1: the file must be a mapping of sections (database, migrations, startup, log, fleet, lint), not a list"},
      {"migrations:\n  lock_timeout: 5x\n",
       "config/app.yaml:2: migrations.lock_timeout: bad duration '5x': use e.g. 500ms, 30s, 5m, 1h or 1m30s (at most 596h)"},
      {"startup:\n  wait_timeout: 30\n",
       "config/app.yaml:2: startup.wait_timeout: bad duration '30': add a unit (ms, s, m or h), e.g. 30s"},
      {"migrations:\n  statement_timeout: -1s\n",
       "config/app.yaml:2: migrations.statement_timeout: bad duration '-1s': use e.g. 500ms, 30s, 5m, 1h or 1m30s (at most 596h)"},
      {"migrations:\n  on_start: maybe\n", "config/app.yaml:2: migrations.on_start: expected true or false, got 'maybe'"},
      {"log:\n  level: verbose\n", "config/app.yaml:2: log.level: 'verbose' is not one of trace|debug|info|warn|error|off"},
      {"log:\n  level: wran\n",
       "config/app.yaml:2: log.level: 'wran' is not one of trace|debug|info|warn|error|off (did you mean 'warn'?)"},
      {"log:\n  format: jsn\n", "config/app.yaml:2: log.format: 'jsn' is not one of text|json (did you mean 'json'?)"},
      {"database:\n  table: a.b.c\n",
       "config/app.yaml:2: database.table: bad table name 'a.b.c': expected NAME or SCHEMA.NAME (letters, digits and _, not "
       "starting with a digit, at most 63 each)"},
      {"database:\n  url: 'mysql://u:hunter2@h/db'\n",
       "config/app.yaml:2: database.url: unsupported DSN scheme 'mysql://': use postgresql://, postgres:// or the "
       "keyword/value form (host=... dbname=...)"},
      {"log: {level: info\n", "config/app.yaml:2: not valid YAML: end of map flow not found"},
      {"log: {level: info}\n---\nlog: {level: warn}\n", "config/app.yaml:3: only one YAML document is allowed"},
      {"? [a]\n: b\n", "config/app.yaml:1: keys must be plain words, not a list"},
  };
  for (const error_case& c : cases) {
    world w;
    w.files["config/app.yaml"] = c.yaml;
    EXPECT_EQ(w.error(), c.message) << c.yaml;
  }
}

TEST(SettingsErrors, EnvironmentAndFlagErrorsNameTheirSource) {
  world w;
  w.env["APP_LOCK_TIMEOUT"] = "forever";
  EXPECT_EQ(w.error(), "APP_LOCK_TIMEOUT: bad duration 'forever': use e.g. 500ms, 30s, 5m, 1h or 1m30s (at most 596h)");
  w.env.clear();
  w.env["APP_ALLOW_DRIFT"] = "sure";
  EXPECT_EQ(w.error(), "APP_ALLOW_DRIFT: expected true or false, got 'sure'");
  w.env.clear();
  settings_flags flags;
  flags["wait-timeout"] = "1.5s";
  EXPECT_EQ(w.error(flags),
            "--wait-timeout: bad duration '1.5s': use e.g. 500ms, 30s, 5m, 1h or 1m30s (at most 596h)");
  flags = {};
  flags["table"] = "";
  EXPECT_EQ(w.error(flags),
            "--table: bad table name '': expected NAME or SCHEMA.NAME (letters, digits and _, not starting with a "
            "digit, at most 63 each)");
  flags = {};
  flags["dsn"] = "jdbc:postgresql://h/db?password=hunter2";
  EXPECT_EQ(w.error(flags),
            "--dsn: unsupported DSN scheme 'jdbc:...://': use postgresql://, postgres:// or the keyword/value form "
            "(host=... dbname=...)");
  flags = {};
  flags["app-role"] = std::string("bad\nrole");
  EXPECT_EQ(w.error(flags), "--app-role: bad role name: at most 63 bytes, no control characters");
}

TEST(SettingsErrors, NoMessageHoldsAPassword) {
  const char* const bad_dsns[] = {"mysql://u:hunter2@h/db", "jdbc:postgresql://h/db?password=hunter2",
                                  "cockroach://u:hunter2@h"};
  for (const char* dsn : bad_dsns) {
    for (const char* var : {"MIGRATE_DSN", "DATABASE_URL"}) {
      world w;
      w.env[var] = dsn;
      EXPECT_EQ(w.error().find("hunter2"), std::string::npos) << w.error();
    }
    world w;
    w.files["config/app.yaml"] = std::string("database: {url: '") + dsn + "'}";
    EXPECT_EQ(w.error().find("hunter2"), std::string::npos) << w.error();
    w.files[".local/db/dsn"] = dsn;
    w.files.erase("config/app.yaml");
    EXPECT_EQ(w.error().find("hunter2"), std::string::npos) << w.error();
  }
  // A DSN pasted where a key should be.
  world w;
  w.files["config/app.yaml"] = "postgresql://u:hunter2@h/db: 1\n";
  EXPECT_EQ(w.error(), "config/app.yaml:1: unknown key 'postgresql://u:***@h/db'");
  // Other errors while a valid DSN with a password is configured.
  w.files["config/app.yaml"] = "database: {url: 'postgresql://u:hunter2@h/db'}\nlog: {level: loud}\n";
  EXPECT_EQ(w.error().find("hunter2"), std::string::npos) << w.error();
}

// ---- durations -----------------------------------------------------------------

}  // namespace

namespace {

// Checks the part of docs/configuration.md between <!-- BEGIN what --> and <!-- END what -->
// against `wanted`; with UPDATE_DOCS=1 in the environment it rewrites that part instead of failing.
void expect_docs_part_current(const std::string& what, const std::string& wanted) {
  const std::string path = std::string(MIGRATOR_SOURCE_DIR) + "/docs/configuration.md";
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string doc = text.str();
  const std::string begin = "<!-- BEGIN " + what + " -->\n", end = "<!-- END " + what + " -->";
  const std::size_t from = doc.find(begin), to = doc.find(end);
  ASSERT_NE(from, std::string::npos) << path << ": no '" << begin << "' marker";
  ASSERT_NE(to, std::string::npos) << path << ": no '" << end << "' marker";
  const std::string current = doc.substr(from + begin.size(), to - from - begin.size());
  if (current != wanted && std::getenv("UPDATE_DOCS")) {
    doc.replace(from + begin.size(), current.size(), wanted);
    std::ofstream(path) << doc;
    return;
  }
  EXPECT_EQ(current, wanted) << path << " is stale: run this test with UPDATE_DOCS=1";
}

// The key table of docs/configuration.md is rendered from setting_table().
TEST(SettingsDocs, KeyTableInDocsIsCurrent) { expect_docs_part_current("settings table", app::settings_markdown_table()); }

// The list under "## The DSN" is rendered from dsn_sources(), the order resolve_settings tries.
TEST(SettingsDocs, DsnSourceListInDocsIsCurrent) {
  expect_docs_part_current("dsn sources", app::dsn_sources_markdown_list());
}

TEST(SettingsDocs, EverySettingHasItsSourcesAndADefault) {
  std::set<std::string> flags, envs, keys;
  for (const app::setting_spec& spec : app::setting_table()) {
    SCOPED_TRACE(std::string(spec.flag));
    if (!spec.flag.empty()) {
      EXPECT_TRUE(flags.insert(std::string(spec.flag)).second) << "duplicate flag";
    }
    if (!spec.env.empty()) {
      EXPECT_TRUE(envs.insert(std::string(spec.env)).second) << "duplicate variable";
    }
    if (!spec.file_key.empty()) {
      EXPECT_TRUE(keys.insert(std::string(spec.file_key)).second) << "duplicate key";
      EXPECT_NE(spec.file_key.find('.'), std::string_view::npos) << "file keys are section.key";
    }
    EXPECT_FALSE(spec.help.empty());
    EXPECT_FALSE(spec.show(app::settings{}).empty());
    EXPECT_EQ(spec.value_name.empty(), !spec.switch_sets.empty()) << "a switch, and only a switch, sets a value";
  }
}

}  // namespace
