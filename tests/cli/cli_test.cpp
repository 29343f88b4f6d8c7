// The command line without a database: help with an example on every command,
// --version, "did you mean", usage errors and their exit code.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;

namespace {

const char* const every_migrate_command[] = {"up",      "up-by-one", "up-to",  "down",     "down-to",
                                             "redo",    "reset",     "status", "version",  "repair",
                                             "validate", "inspect",  "create", "schemas",  "equivalence"};

TEST(cli, top_level_help_lists_the_commands) {
  auto r = run_app({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("start"));
  EXPECT_THAT(r.out, HasSubstr("migrate"));
  EXPECT_THAT(r.out, HasSubstr("example"));
}

TEST(cli, no_arguments_is_a_usage_error) {
  auto r = run_app({});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("usage: app"));
}

TEST(cli, version) {
  auto r = run_app({"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, ::testing::MatchesRegex("app [0-9]+\\.[0-9]+\\.[0-9]+\n"));
}

TEST(cli, migrate_help_lists_every_command) {
  auto r = run_app({"migrate", "--help"});
  EXPECT_EQ(r.code, 0);
  for (const char* name : every_migrate_command) EXPECT_THAT(r.out, HasSubstr(std::string("  ") + name + " "));
  EXPECT_THAT(r.out, HasSubstr("--dsn"));
}

TEST(cli, every_command_has_help_with_an_example) {
  for (const char* name : every_migrate_command) {
    auto r = run_app({"migrate", name, "--help"});
    EXPECT_EQ(r.code, 0) << name;
    EXPECT_THAT(r.out, HasSubstr(std::string("usage: app migrate ") + name)) << name;
    EXPECT_THAT(r.out, HasSubstr("example:\n  app migrate " + std::string(name))) << name;
  }
  auto start = run_app({"start", "--help"});
  EXPECT_EQ(start.code, 0);
  EXPECT_THAT(start.out, HasSubstr("example:\n  app start"));
  EXPECT_THAT(start.out, HasSubstr("--once"));
}

TEST(cli, a_mistyped_command_gets_did_you_mean) {
  struct {
    std::vector<std::string> args;
    std::string suggestion;
  } cases[] = {
      {{"migrate", "stauts"}, "did you mean 'status'?"},
      {{"migrate", "up-by-on"}, "did you mean 'up-by-one'?"},
      {{"migrate", "valdate"}, "did you mean 'validate'?"},
      {{"migrte", "up"}, "did you mean 'migrate'?"},
      {{"strat"}, "did you mean 'start'?"},
  };
  for (const auto& c : cases) {
    auto r = run_app(c.args);
    EXPECT_EQ(r.code, 2) << c.args[0];
    EXPECT_THAT(r.err, HasSubstr(c.suggestion));
    EXPECT_TRUE(r.out.empty());
  }
}

TEST(cli, unknown_option_and_missing_argument_are_usage_errors) {
  auto unknown = run_app({"migrate", "status", "--jsn"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("usage: app migrate status"));
  auto missing = run_app({"migrate", "up-to"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_THAT(missing.err, HasSubstr("version"));
}

TEST(cli, global_options_may_come_before_the_command) {
  temp_dir dir;
  write_module_set(dir, {{"alpha", {{"01001_a.sql", migration_text("SELECT 1;")}}}});
  auto r = run_app({"migrate", "--modules-dir", dir.path().string(), "validate"});
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST(cli, help_never_shows_the_dsn_from_the_environment) {
  auto r = run_app_process({"migrate", "up", "--help"}, {{"DATABASE_URL", "postgresql://u:hunter2secret@h/db"}});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out + r.err, ::testing::Not(HasSubstr("hunter2secret")));
}

}  // namespace
