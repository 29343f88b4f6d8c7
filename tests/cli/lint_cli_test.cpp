// `app migrate lint` and `validate --lint` in process, without a database:
// output format, exit codes, --json, and the `lint:` section of the config file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;

namespace {

struct lint_tree {
  temp_dir dir;
  lint_tree() {
    write_module_set(dir, {{"shop",
                            {{"01001_init.sql", migration_text("CREATE SCHEMA shop;\nCREATE TABLE shop.items (id int);",
                                                               "DROP TABLE shop.items;\nDROP SCHEMA shop;")},
                             {"01002_index.sql", migration_text("CREATE INDEX items_id_idx ON shop.items (id);",
                                                                "DROP INDEX shop.items_id_idx;")}}}});
  }
  run_result app(std::vector<std::string> args) const {
    args.insert(args.begin(), "migrate");
    args.push_back("--modules-dir");
    args.push_back(dir.path().string());
    return run_app(args);
  }
};

TEST(lint_cli, an_error_is_printed_with_position_and_hint_and_exits_1) {
  lint_tree t;
  auto r = t.app({"lint"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("/shop/migrations/01002_index.sql:2:30: error[index-not-concurrent]: "));
  EXPECT_THAT(r.out, HasSubstr("  hint: use CREATE INDEX CONCURRENTLY"));
  EXPECT_THAT(r.err, HasSubstr("lint: 1 error(s), 0 warning(s), 0 suppressed in 2 migrations (6 statements)"));
}

TEST(lint_cli, json_output) {
  lint_tree t;
  auto r = t.app({"lint", "--json"});
  EXPECT_EQ(r.code, 1);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["errors"], 1);
  ASSERT_EQ(j["findings"].size(), 1u);
  EXPECT_EQ(j["findings"][0]["rule"], "index-not-concurrent");
  EXPECT_EQ(j["findings"][0]["version"], 1002);
  EXPECT_EQ(j["findings"][0]["line"], 2);
}

TEST(lint_cli, without_a_dsn_lint_names_the_grammar_it_parsed_with) {
  temp_dir dir;
  write_module_set(dir, {{"shop",
                          {{"01001_init.sql",
                            migration_text("CREATE SCHEMA shop;\nCREATE TABLE shop.items (amount int, doubled int "
                                           "GENERATED ALWAYS AS (amount * 2) VIRTUAL);",
                                           "DROP TABLE shop.items;\nDROP SCHEMA shop;")}}}});
  scoped_env no_migrate_dsn("MIGRATE_DSN", nullptr), no_database_url("DATABASE_URL", nullptr);
  auto r = run_app({"migrate", "lint", "--modules-dir", dir.path().string()});
  EXPECT_EQ(r.code, 1);
  // PostgreSQL 18 syntax: lint's grammar (libpg_query, PostgreSQL 15) rejects it and says whose verdict that is.
  EXPECT_THAT(r.out, HasSubstr("01001_init.sql:3:83: error[syntax-error]: syntax error at or near \"VIRTUAL\" "
                               "(PostgreSQL 15.1's grammar; with a --dsn, lint asks the server's)"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("cannot ask the server")));  // no DSN: no server was asked
  EXPECT_THAT(r.err, HasSubstr("(4 statements); PostgreSQL 15.1's grammar\n"));
  auto json = run_app({"migrate", "lint", "--json", "--modules-dir", dir.path().string()});
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["grammar"], "PostgreSQL 15.1");
  EXPECT_TRUE(j["server"].is_null());
  EXPECT_EQ(j["server_parsed"], 0);
}

TEST(lint_cli, the_config_file_sets_a_rule_to_warn_or_off) {
  lint_tree t;
  t.dir.write("warn.yaml", "lint:\n  index-not-concurrent: warn\n");
  auto warned = t.app({"lint", "--config", (t.dir.path() / "warn.yaml").string()});
  EXPECT_EQ(warned.code, 0) << warned.err;
  EXPECT_THAT(warned.out, HasSubstr("warning[index-not-concurrent]"));
  t.dir.write("off.yaml", "lint:\n  index-not-concurrent: off\n");
  auto off = t.app({"lint", "--config", (t.dir.path() / "off.yaml").string()});
  EXPECT_EQ(off.code, 0);
  EXPECT_EQ(off.out, "");
}

TEST(lint_cli, an_unknown_rule_or_level_in_the_config_file_is_a_located_error) {
  lint_tree t;
  t.dir.write("bad.yaml", "lint:\n  index-not-concurent: off\n");
  auto r = t.app({"lint", "--config", (t.dir.path() / "bad.yaml").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("bad.yaml:2: unknown key 'lint.index-not-concurent' (did you mean 'lint.index-not-concurrent'?)"));
  t.dir.write("level.yaml", "lint:\n  index-not-concurrent: fatal\n");
  auto level = t.app({"lint", "--config", (t.dir.path() / "level.yaml").string()});
  EXPECT_EQ(level.code, 2);
  EXPECT_THAT(level.err, HasSubstr("'fatal' is not one of off|warn|error"));
}

// Issue #26: a drop is an error in an ordinary migration, nothing once the file
// is marked "-- +migrator contract"; an addition in a contract migration is a
// warning (exit 0), an error when the config file says so.
TEST(lint_cli, a_contract_migration_may_drop_and_is_warned_when_it_adds) {
  const std::string init = migration_text("CREATE SCHEMA shop;\nCREATE TABLE shop.items (id int, legacy_code text);",
                                          "DROP TABLE shop.items;\nDROP SCHEMA shop;");
  const std::string drop = migration_text("SET LOCAL lock_timeout = '5s';\nALTER TABLE shop.items DROP COLUMN legacy_code;",
                                          "ALTER TABLE shop.items ADD COLUMN legacy_code text;");
  struct phase_run {
    const char* name;
    std::string second;  // 01002's text
    int code;
    std::string out;     // a line of the findings; "" = none
  };
  const std::vector<phase_run> runs{
      {"ordinary drop", drop, 1,
       "/shop/migrations/01002_drop.sql:3:13: error[drop-table-or-column]: DROP COLUMN shop.items.legacy_code in an "
       "ordinary migration"},
      {"contract drop", "-- +migrator contract\n" + drop, 0, ""},
      {"contract that adds", "-- +migrator contract\n" + migration_text("CREATE TABLE shop.tags (id int);"), 0,
       "/shop/migrations/01002_drop.sql:3:1: warning[contract-adds]: CREATE TABLE shop.tags in a contract migration"},
  };
  for (const auto& run : runs) {
    SCOPED_TRACE(run.name);
    temp_dir dir;
    write_module_set(dir, {{"shop", {{"01001_init.sql", init}, {"01002_drop.sql", run.second}}}});
    auto r = run_app({"migrate", "lint", "--modules-dir", dir.path().string()});
    EXPECT_EQ(r.code, run.code) << r.out << r.err;
    if (run.out.empty()) EXPECT_EQ(r.out, "");
    else EXPECT_THAT(r.out, HasSubstr(run.out));
  }
  temp_dir dir;
  write_module_set(dir, {{"shop", {{"01001_init.sql", init}, {"01002_drop.sql", drop}}}});
  auto ordinary = run_app({"migrate", "lint", "--modules-dir", dir.path().string()});
  EXPECT_THAT(ordinary.out, HasSubstr("  hint: deploy a build that no longer reads it, then drop it in a migration "
                                      "marked \"-- +migrator contract\""));
  // contract-adds takes the `lint:` severities like every rule.
  write_module_set(dir, {{"shop", {{"01001_init.sql", init},
                                   {"01002_drop.sql", "-- +migrator contract\n" + migration_text("CREATE TABLE shop.tags (id int);")}}}});
  dir.write("strict.yaml", "lint:\n  contract-adds: error\n");
  auto strict = run_app({"migrate", "lint", "--modules-dir", dir.path().string(), "--config",
                         (dir.path() / "strict.yaml").string()});
  EXPECT_EQ(strict.code, 1);
  EXPECT_THAT(strict.out, HasSubstr("error[contract-adds]"));
}

TEST(lint_cli, validate_lint_validates_then_lints) {
  lint_tree t;
  auto r = t.app({"validate", "--lint"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("ok: 1 modules, 2 migrations"));
  EXPECT_THAT(r.out, HasSubstr("error[index-not-concurrent]"));
}

TEST(lint_cli, the_embedded_example_modules_lint_without_error) {
  auto r = run_app({"migrate", "lint"});
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.err, HasSubstr("lint: 0 error(s)"));
}

}  // namespace
