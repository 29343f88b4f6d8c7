// `app migrate verify` against the real server: the example modules round-trip
// on a temporary database that is dropped afterwards, and deliberately broken
// downs are reported, exactly those migrations and with the objects that differ.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <thread>
#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;

namespace {

std::string result_of(const nlohmann::json& report, std::int64_t version) {
  for (const auto& m : report["migrations"])
    if (m["version"] == version) return m["result"];
  return "absent";
}

std::vector<std::string> differences_of(const nlohmann::json& report, std::int64_t version) {
  std::vector<std::string> out;
  for (const auto& m : report["migrations"])
    if (m["version"] == version)
      for (const auto& issue : m["issues"])
        for (const auto& d : issue["differences"]) out.push_back(d["change"].get<std::string>() + " " + d["object"].get<std::string>());
  return out;
}

std::vector<std::string> issue_kinds(const nlohmann::json& report, std::int64_t version) {
  std::vector<std::string> out;
  for (const auto& m : report["migrations"])
    if (m["version"] == version)
      for (const auto& issue : m["issues"]) out.push_back(issue["kind"]);
  return out;
}

TEST(verify, the_example_modules_round_trip_on_a_temporary_database_that_is_dropped) {
  test_database admin_probe;  // any database of the server, to list databases afterwards
  auto r = run_app({"migrate", "verify", "--json", "--dsn", admin_dsn()});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  const auto report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report["ok"], true);
  EXPECT_EQ(report["database"], "temporary");
  EXPECT_EQ(report["migrations"].size(), 14u);  // 13 SQL files and billing's C++ backfill
  for (const auto& m : report["migrations"]) EXPECT_EQ(m["result"], "ok") << m.dump();
  // Other tests running beside this one (ctest -j2: squash, equivalence) make
  // scratch databases of their own for a moment; one this run left behind
  // would stay. So the server is asked until none is left, for a while.
  std::string left = "?";
  for (int attempt = 0; attempt < 100 && left != "0"; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    left = admin_probe.scalar("SELECT count(*) FROM pg_database WHERE datname LIKE 'app_verify_%'");
  }
  EXPECT_EQ(left, "0") << "a scratch database was left behind";
}

class verify_broken : public ::testing::Test {
 protected:
  test_database db;
  temp_dir modules;

  nlohmann::json verify(int expected_code) {
    auto r = migrate_in(db.dsn(), modules.path(), {"verify", "--json", "--scratch-dsn", db.dsn()});
    EXPECT_EQ(r.code, expected_code) << r.err;
    return nlohmann::json::parse(r.out);
  }
};

TEST_F(verify_broken, reports_exactly_the_migrations_whose_down_is_wrong) {
  write_module_set(
      modules,
      {{"alpha",
        {{"01001_init.sql", migration_text("CREATE SCHEMA alpha;\nCREATE TABLE alpha.t (id int);",
                                           "DROP TABLE alpha.t;\nDROP SCHEMA alpha;")},
         {"01002_log.sql", "-- +goose Up\nCREATE TABLE alpha.log (id int);\n"},
         {"01003_down_fails.sql",
          migration_text("ALTER TABLE alpha.t ADD COLUMN b int;", "ALTER TABLE alpha.t DROP COLUMN no_such_column;")},
         {"01004_index_left.sql", migration_text("CREATE INDEX IF NOT EXISTS t_id_idx ON alpha.t (id);", "SELECT 1;")},
         {"01005_column_left.sql", migration_text("ALTER TABLE alpha.t ADD COLUMN IF NOT EXISTS c text;", "SELECT 1;")},
         {"01006_fine.sql", migration_text("CREATE TABLE alpha.u (id int);", "DROP TABLE alpha.u;")}}}});
  const auto report = verify(1);
  EXPECT_EQ(report["ok"], false);
  EXPECT_EQ(result_of(report, 1001), "ok");
  EXPECT_EQ(result_of(report, 1002), "irreversible");
  EXPECT_EQ(result_of(report, 1003), "failed");
  EXPECT_EQ(issue_kinds(report, 1003), std::vector<std::string>{"down_failed"});
  EXPECT_EQ(result_of(report, 1004), "failed");
  EXPECT_EQ(differences_of(report, 1004), std::vector<std::string>{"added index alpha.t_id_idx"});
  EXPECT_EQ(result_of(report, 1005), "failed");
  EXPECT_EQ(differences_of(report, 1005), std::vector<std::string>{"added column alpha.t.c"});
  EXPECT_EQ(result_of(report, 1006), "ok");
  EXPECT_THAT(report["migrations"][2]["issues"][0]["message"].get<std::string>(), HasSubstr("no_such_column"));
}

TEST_F(verify_broken, an_up_that_fails_the_second_time_stops_the_run) {
  write_module_set(modules, {{"alpha",
                              {{"01001_init.sql", migration_text("CREATE SCHEMA alpha;", "DROP SCHEMA alpha;")},
                               {"01002_table.sql", migration_text("CREATE TABLE alpha.t (id int);", "SELECT 1;")},
                               {"01003_next.sql", migration_text("CREATE TABLE alpha.v (id int);", "DROP TABLE alpha.v;")}}}});
  const auto report = verify(1);
  EXPECT_EQ(result_of(report, 1001), "ok");
  EXPECT_EQ(issue_kinds(report, 1002), (std::vector<std::string>{"down_differs", "reup_failed"}));
  EXPECT_THAT(differences_of(report, 1002), ::testing::Contains("added table alpha.t"));
  EXPECT_EQ(result_of(report, 1003), "skipped");
}

// A repeatable must survive being applied again over its own objects (what up
// does after its file changed): CREATE OR REPLACE does, a plain CREATE does not.
TEST_F(verify_broken, a_repeatable_that_cannot_be_applied_again_is_reported) {
  write_module_set(modules,
                   {{"alpha",
                     {{"01001_init.sql", migration_text("CREATE SCHEMA alpha;\nCREATE TABLE alpha.t (id int);",
                                                        "DROP SCHEMA alpha CASCADE;")},
                      {"repeatable/replaced.sql", migration_text("CREATE OR REPLACE VIEW alpha.a AS SELECT id FROM alpha.t;")},
                      {"repeatable/created.sql", migration_text("CREATE VIEW alpha.b AS SELECT id FROM alpha.t;")}}}});
  const auto report = verify(1);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& m : report["migrations"]) by_name[m["name"].get<std::string>()] = m;
  EXPECT_EQ(by_name["init"]["result"], "ok");
  ASSERT_EQ(by_name["created"]["result"], "failed");  // run order: created before replaced (name order)
  EXPECT_EQ(by_name["created"]["repeatable"], true);
  EXPECT_EQ(by_name["created"]["issues"][0]["kind"], "reup_failed");
  EXPECT_THAT(by_name["created"]["issues"][0]["message"].get<std::string>(), HasSubstr("42P07"));
  EXPECT_EQ(by_name["replaced"]["result"], "skipped");

  // Fixed, every repeatable passes and the database is left fully migrated.
  modules.write("alpha/migrations/repeatable/created.sql",
                migration_text("CREATE OR REPLACE VIEW alpha.b AS SELECT id FROM alpha.t;"));
  test_database fresh;
  auto r = migrate_in(fresh.dsn(), modules.path(), {"verify", "--json", "--scratch-dsn", fresh.dsn()});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_EQ(migrate_in(fresh.dsn(), modules.path(), {"status", "--exit-code"}).code, 0);
}

TEST_F(verify_broken, a_database_with_applied_migrations_is_refused) {
  write_module_set(modules, {{"alpha", {{"01001_init.sql", migration_text("CREATE SCHEMA alpha;", "DROP SCHEMA alpha;")}}}});
  ASSERT_EQ(migrate_in(db.dsn(), modules.path(), {"up"}).code, 0);
  auto r = migrate_in(db.dsn(), modules.path(), {"verify", "--scratch-dsn", db.dsn()});
  EXPECT_EQ(r.code, 4);
  EXPECT_THAT(r.err, HasSubstr("without applied migrations"));
}

TEST(verify_text, names_each_migration_and_the_summary) {
  test_database db;
  temp_dir modules;
  write_module_set(modules, {{"alpha", {{"01001_init.sql", migration_text("CREATE SCHEMA alpha;", "SELECT 1;")}}}});
  auto r = migrate_in(db.dsn(), modules.path(), {"verify", "--scratch-dsn", db.dsn()});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("failed       alpha 1001 init"));
  EXPECT_THAT(r.out, HasSubstr("added schema alpha"));
  EXPECT_THAT(r.out, HasSubstr("verify: 0 round-trip, 0 irreversible, 1 failed, 0 skipped"));
}

}  // namespace
