// cmd/settings_options.cpp: the flags, their help, and the real environment and disk.
#include "settings_options.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "migrator/error.h"
#include "test_support.h"

using testing_support::scoped_env;

namespace {

namespace po = boost::program_options;
using namespace std::chrono_literals;

po::variables_map parse(const std::vector<std::string>& args) {
  po::options_description options;
  app::add_settings_options(options);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(options).run(), vm);
  po::notify(vm);
  return vm;
}


// Runs the scope in another current directory.
class scoped_cwd {
 public:
  explicit scoped_cwd(const std::filesystem::path& dir) : old_(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  ~scoped_cwd() { std::filesystem::current_path(old_); }

 private:
  std::filesystem::path old_;
};

TEST(SettingsOptions, NothingGivenIsNothingGiven) {
  EXPECT_TRUE(app::settings_flags_from(parse({})).empty());
}

TEST(SettingsOptions, EveryFlagReachesItsField) {
  app::settings_flags f = app::settings_flags_from(parse({
      "--dsn", "host=h", "--config", "c.yaml", "--modules-dir", "mods", "--table", "s.t", "--lock-timeout", "1m",
      "--statement-timeout", "2s", "--db-lock-timeout", "3s", "--wait-timeout", "4s", "--no-migrate",
      "--app-role", "r", "--log-level", "debug", "--log-format", "json", "--allow-drift",
      "--on-unknown", "refuse",
  }));
  const app::settings_flags expected = {
      {"dsn", "host=h"},         {"config", "c.yaml"},  {"modules-dir", "mods"},       {"table", "s.t"},
      {"lock-timeout", "1m"},    {"statement-timeout", "2s"}, {"db-lock-timeout", "3s"}, {"wait-timeout", "4s"},
      {"no-migrate", ""},        {"app-role", "r"},     {"log-level", "debug"},       {"log-format", "json"},
      {"allow-drift", ""},       {"on-unknown", "refuse"},
  };
  EXPECT_EQ(f, expected);
}

TEST(SettingsOptions, FlagsOfAnotherOptionSetAreIgnored) {
  po::options_description other;
  other.add_options()("json", "");
  po::variables_map vm;
  po::store(po::command_line_parser(std::vector<std::string>{"--json"}).options(other).run(), vm);
  EXPECT_TRUE(app::settings_flags_from(vm).empty());
}

TEST(SettingsOptions, HelpStatesDefaultsAndNeverADsn) {
  scoped_env migrate("MIGRATE_DSN", "postgresql://u:hunter2@h/db");
  scoped_env url("DATABASE_URL", "postgresql://u:hunter3@h/db");
  po::options_description options;
  app::add_settings_options(options);
  std::ostringstream help;
  help << options;
  EXPECT_EQ(help.str().find("hunter"), std::string::npos);
  EXPECT_EQ(help.str().find("postgresql://u:"), std::string::npos);
  std::string text;  // unwrapped
  for (const auto& option : options.options()) text += option->description() + "\n";
  for (const char* needle : {"default: 5m", "default: 1m", "default: goose_db_version", "default: info",
                             "default: text", "default: config/app.yaml when it exists", "$MIGRATE_DSN",
                             "APP_LOCK_TIMEOUT", "APP_STATEMENT_TIMEOUT", "APP_DB_LOCK_TIMEOUT", "APP_WAIT_TIMEOUT",
                             "APP_MIGRATE_ON_START", "APP_ROLE", "APP_LOG_LEVEL", "APP_LOG_FORMAT", "APP_ALLOW_DRIFT",
                             "APP_MODULES_DIR", "APP_TABLE", "APP_CONFIG"})
    EXPECT_NE(text.find(needle), std::string::npos) << needle << "\n" << text;
  for (const auto& option : options.options())
    EXPECT_NE(option->description().find("default"), std::string::npos) << option->long_name();
}

TEST(SettingsOptions, ResolvesAgainstTheRealEnvironmentAndDisk) {
  testing_support::temp_dir dir;
  dir.write("config/app.yaml", "log: {level: warn, format: json}\nmigrations: {lock_timeout: 2m}\n");
  dir.write(".local/db/dsn", "host=/tmp/sock port=5999 user=postgres dbname=postgres\n");
  scoped_cwd cwd(dir.path());
  scoped_env migrate("MIGRATE_DSN", nullptr);
  scoped_env url("DATABASE_URL", nullptr);
  scoped_env config("APP_CONFIG", nullptr);
  scoped_env level("APP_LOG_LEVEL", "error");
  scoped_env lock("APP_LOCK_TIMEOUT", nullptr);

  app::settings s = app::settings_from(parse({"--log-format", "text"}));
  EXPECT_EQ(s.config_file, "config/app.yaml");
  EXPECT_EQ(s.log_level, migrator::log_level::error);  // environment over file
  EXPECT_EQ(s.log_format, app::log_format::text);  // flag over file
  EXPECT_EQ(s.lock_timeout, 2min);  // file over default
  EXPECT_EQ(s.dsn, "host=/tmp/sock port=5999 user=postgres dbname=postgres");
  EXPECT_EQ(s.dsn_source, "local development database (.local/db)");

  scoped_env database_url("DATABASE_URL", "postgresql+psycopg://u:pw@h/db");
  s = app::settings_from(parse({}));
  EXPECT_EQ(s.dsn, "postgresql://u:pw@h/db");
  EXPECT_EQ(s.dsn_source, "DATABASE_URL");
}

TEST(SettingsOptions, MissingExplicitConfigIsAConfigError) {
  testing_support::temp_dir dir;
  scoped_cwd cwd(dir.path());
  try {
    app::settings_from(parse({"--config", "nope.yaml"}));
    FAIL() << "no error";
  } catch (const migrator::error& e) {
    EXPECT_EQ(e.code(), migrator::error_code::config);
    EXPECT_STREQ(e.what(), "--config: nope.yaml: no such file");
  }
}

TEST(SettingsOptions, DiskFiles) {
  testing_support::temp_dir dir;
  auto read = app::disk_files();
  EXPECT_FALSE(read((dir.path() / "absent").string()));
  EXPECT_EQ(read(dir.write("empty", "").string()), "");
  EXPECT_EQ(read(dir.write("a.yaml", "x: 1\n").string()), "x: 1\n");
  std::filesystem::create_directories(dir.path() / "sub");
  EXPECT_THROW(read((dir.path() / "sub").string()), migrator::error);
  if (geteuid() != 0) {  // root reads anything
    auto locked = dir.write("locked", "secret");
    std::filesystem::permissions(locked, std::filesystem::perms::none);
    EXPECT_THROW(read(locked.string()), migrator::error);
  }
}

}  // namespace
