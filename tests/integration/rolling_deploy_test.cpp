// Rolling deploys (issue 12): an older build meets versions that a newer build
// applied. Two module sets, the old one a migration short; --modules-dir picks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <regex>
#include <sstream>

#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

std::vector<module_files> old_build() {
  return {{"alpha", {{"01001_init.sql", migration_text("CREATE SCHEMA alpha;\nCREATE TABLE alpha.things (id int);",
                                                        "DROP SCHEMA alpha CASCADE;")}}},
          {"beta", {{"02001_init.sql", migration_text("CREATE SCHEMA beta;\nCREATE TABLE beta.others (id int);",
                                                       "DROP SCHEMA beta CASCADE;")}}}};
}

// The newer build: one migration more, slow enough that a racing older build
// can see it in flight.
std::vector<module_files> new_build() {
  auto set = old_build();
  set[1].files.push_back({"02002_notes.sql", migration_text("SELECT pg_sleep(0.3);\n"
                                                            "CREATE TABLE beta.notes (body text);",
                                                            "DROP TABLE beta.notes;")});
  return set;
}

int lines_containing(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
  return n;
}

class rolling_deploy_test : public ::testing::Test {
 protected:
  test_database db;
  temp_dir old_modules, new_modules;
  void SetUp() override {
    write_module_set(old_modules, old_build());
    write_module_set(new_modules, new_build());
  }
  std::vector<std::string> start(const temp_dir& modules, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"start", "--once", "--dsn", db.dsn(), "--modules-dir", modules.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
};

TEST_F(rolling_deploy_test, an_older_build_starts_with_one_warning_naming_the_newer_versions) {
  auto newer = run_app(start(new_modules));
  ASSERT_EQ(newer.code, 0) << newer.err;
  auto older = run_app(start(old_modules));
  ASSERT_EQ(older.code, 0) << older.err;
  EXPECT_EQ(lines_containing(older.err, " warn "), 1) << older.err;
  EXPECT_TRUE(std::regex_search(older.err, std::regex(" warn .*does not know.*beta 2002 notes")))
      << older.err;
  // The warning comes before ready, and ready follows.
  EXPECT_LT(older.err.find("beta 2002"), older.err.find("ready: schema version 2002")) << older.err;
  EXPECT_THAT(older.err, Not(HasSubstr("applied alpha")));
}

TEST_F(rolling_deploy_test, on_unknown_refuse_keeps_the_strict_behaviour) {
  ASSERT_EQ(run_app(start(new_modules)).code, 0);
  auto flag = run_app(start(old_modules, {"--on-unknown", "refuse"}));
  EXPECT_EQ(flag.code, 6) << flag.err;
  EXPECT_THAT(flag.err, HasSubstr("beta 2002"));
  EXPECT_THAT(flag.err, HasSubstr("unknown"));
  EXPECT_THAT(flag.err, Not(HasSubstr("ready")));
  auto env = run_app_process(start(old_modules), {{"APP_ON_UNKNOWN", "refuse"}});
  EXPECT_EQ(env.code, 6) << env.err;
  temp_dir config;
  auto file = config.write("app.yaml", "migrations:\n  on_unknown: refuse\n");
  auto from_file = run_app(start(old_modules, {"--config", file.string()}));
  EXPECT_EQ(from_file.code, 6) << from_file.err;
}

TEST_F(rolling_deploy_test, status_exit_code_still_reports_unknown_versions) {
  ASSERT_EQ(run_app(start(new_modules)).code, 0);
  auto r = run_app({"migrate", "status", "--exit-code", "--dsn", db.dsn(), "--modules-dir", old_modules.path().string()});
  EXPECT_EQ(r.code, 6) << r.err;
  EXPECT_THAT(r.out, HasSubstr("unknown"));
}

TEST_F(rolling_deploy_test, an_older_build_still_refuses_when_a_known_migration_is_modified) {
  ASSERT_EQ(run_app(start(new_modules)).code, 0);
  old_modules.write("alpha/migrations/01001_init.sql", migration_text("CREATE SCHEMA alpha;"));
  auto r = run_app(start(old_modules));
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_THAT(r.err, HasSubstr("alpha 1001"));
  EXPECT_THAT(r.err, HasSubstr("modified"));
}

TEST_F(rolling_deploy_test, newer_and_older_builds_starting_together_all_reach_ready) {
  std::vector<std::future<run_result>> replicas;
  for (int i = 0; i < 6; ++i) {
    const temp_dir& modules = i % 2 ? old_modules : new_modules;
    replicas.push_back(std::async(std::launch::async, [&, args = start(modules)] { return run_app_process(args); }));
  }
  for (auto& replica : replicas) {
    auto r = replica.get();
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.err, HasSubstr("ready: schema version"));
  }
  EXPECT_EQ(db.scalar("SELECT string_agg(version_id::text, ',' ORDER BY version_id) FROM goose_db_version "
                      "WHERE version_id > 0"),
            "1001,2001,2002");
}

}  // namespace
