// The command line as a new user meets it: options before or after the
// command's name, positional arguments named as such, options that do not
// apply refused, `app migrate help`, and the DSN and modules-directory
// mistakes that used to pass silently or print something misleading.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

struct usage_case {
  std::vector<std::string> args;
  int code;
  std::string in_err;      // must appear in stderr
  std::string not_in_err;  // must not ("" : nothing checked)
};

void check(const usage_case& c) {
  std::string line;
  for (const auto& a : c.args) line += a + " ";
  SCOPED_TRACE(line);
  auto r = run_app(c.args);
  EXPECT_EQ(r.code, c.code) << r.err;
  EXPECT_THAT(r.err, HasSubstr(c.in_err));
  if (!c.not_in_err.empty()) {
    EXPECT_THAT(r.err, Not(HasSubstr(c.not_in_err)));
  }
}

// Where the fleet file is missing, the command got as far as reading it: the
// options were parsed, wherever they stood.
TEST(command_line, every_option_may_come_before_or_after_the_command) {
  temp_dir dir;
  const std::string missing = (dir.path() / "fleet.yaml").string();
  const usage_case cases[] = {
      {{"migrate", "--targets", missing, "--shard", "0/3", "up"}, 2, "no such file", "unknown command"},
      {{"migrate", "--shard", "0/3", "up", "--targets", missing}, 2, "no such file", "unknown command"},
      {{"migrate", "up", "--targets", missing, "--shard", "0/3"}, 2, "no such file", "unknown command"},
      {{"migrate", "--canary", "1", "--targets", missing, "--json", "up-to", "3002"}, 2, "no such file", "unknown command"},
      {{"migrate", "--dry-run", "--target", "eu", "up", "--targets", missing}, 2, "no such file", "unknown command"},
  };
  for (const auto& c : cases) check(c);
}

TEST(command_line, a_missing_positional_argument_is_named_as_such) {
  const usage_case cases[] = {
      {{"migrate", "up-to"}, 2, "up-to needs VERSION, the version to migrate to", "'--version'"},
      {{"migrate", "down-to", "--dry-run"}, 2, "down-to needs VERSION, the version to roll back to", "'--version'"},
      {{"migrate", "stamp"}, 2, "stamp needs VERSION, the last version to record", "'--version'"},
      {{"migrate", "up-to", "abc"}, 2, "'VERSION'", "'--version'"},
      {{"migrate", "up", "3002"}, 2, "up takes no argument besides options", ""},
  };
  for (const auto& c : cases) check(c);
}

TEST(command_line, an_option_that_does_not_apply_is_refused_by_name) {
  const usage_case cases[] = {
      {{"migrate", "version", "--json"}, 2, "--json applies only with --targets FILE", ""},
      {{"migrate", "--json", "version"}, 2, "--json applies only with --targets FILE", ""},
      {{"migrate", "up", "--canary", "2"}, 2, "--canary applies only with --targets FILE", ""},
      {{"migrate", "--shard", "0/3", "up"}, 2, "--shard applies only with --targets FILE", ""},
      {{"migrate", "up-by-one", "--target", "eu"}, 2, "--target applies only with --targets FILE", ""},
      {{"migrate", "status", "--fail-fast"}, 2, "--fail-fast applies only with --targets FILE", ""},
      {{"migrate", "status", "--mark-applied"}, 2, "status has no option --mark-applied (an option of repair)", ""},
      {{"migrate", "--dry-run", "validate"}, 2, "validate has no option --dry-run (an option of up", ""},
  };
  for (const auto& c : cases) check(c);
}

TEST(command_line, migrate_help_works_like_app_help) {
  auto list = run_app({"migrate", "help"});
  EXPECT_EQ(list.code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("usage: app migrate <command> [options]"));
  EXPECT_THAT(list.out, HasSubstr("Options may come before or after the command's name"));
  for (const char* name : {"up", "up-to", "status", "repair"}) {
    SCOPED_TRACE(name);
    auto help = run_app({"migrate", "help", name});
    auto flag = run_app({"migrate", name, "--help"});
    EXPECT_EQ(help.code, 0) << help.err;
    EXPECT_THAT(help.out, HasSubstr(std::string("usage: app migrate ") + name));
    EXPECT_EQ(help.out, flag.out);
  }
  check({{"migrate", "help", "stauts"}, 2, "did you mean 'status'?", ""});
}

// "sqlite:" is no secret: the message about a SQLite DSN shows it as typed.
TEST(command_line, sqlite_dsn_mistakes_are_configuration_errors_that_show_the_dsn) {
  temp_dir dir;
  const std::string with_query = (dir.path() / "a.db").string() + "?mode=ro";
  const usage_case cases[] = {
      {{"migrate", "status", "--dsn", "sqlite:"}, 2, "use sqlite:PATH or sqlite::memory:", "***"},
      {{"migrate", "up", "--dsn", "sqlite:" + with_query}, 2, "has a '?': query parameters", "***"},
  };
  for (const auto& c : cases) check(c);
  EXPECT_FALSE(std::filesystem::exists(with_query)) << "a file named with the query was created";
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

// The same exit code as validate gives a directory it cannot read.
TEST(command_line, a_modules_directory_that_does_not_exist_is_an_error) {
  temp_dir dir;
  const std::string missing = (dir.path() / "nosuchdir").string();
  auto validate = run_app({"migrate", "validate", "--modules-dir", missing});
  for (const char* command : {"status", "version", "up", "schemas"}) {
    SCOPED_TRACE(command);
    auto r = run_app({"migrate", command, "--modules-dir", missing, "--dsn", "sqlite::memory:"});
    EXPECT_EQ(r.code, validate.code);
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr(missing + ": cannot be read"));
    EXPECT_THAT(r.out, Not(HasSubstr("unknown")));
  }
}

TEST(command_line, schemas_names_the_module_list_it_read) {
  temp_dir dir;
  write_module_set(dir, {{"alpha", {{"01001_a.sql", migration_text("CREATE TABLE alpha.t (id int);")}}}});
  auto r = run_app({"migrate", "schemas", "--modules-dir", dir.path().string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("from the module list (" + (dir.path() / "modules.yaml").string() + ")"));
  EXPECT_THAT(r.out, Not(HasSubstr("modules/modules.yaml")));
  EXPECT_THAT(r.out, HasSubstr("CREATE SCHEMA IF NOT EXISTS alpha;"));
}

}  // namespace
