// The guards goose, golang-migrate and dbmate lack: drift, dirty, dry run,
// namespace shift, and status --exit-code for every state.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;

namespace {

class safety_test : public ::testing::Test {
 protected:
  test_database db;
  temp_dir modules;

  run_result migrate(const std::vector<std::string>& args) { return migrate_in(db.dsn(), modules.path(), args); }

  void write_two_modules() {
    write_module_set(modules, {{"alpha", {{"01001_a.sql", migration_text("CREATE TABLE a (id int);", "DROP TABLE a;")}}},
                               {"beta", {{"02001_b.sql", migration_text("CREATE TABLE b (id int);", "DROP TABLE b;")}}}});
  }

  std::string state_of(std::int64_t version) {
    auto r = migrate({"status", "--json"});
    auto j = nlohmann::json::parse(r.out);
    for (const auto& m : j["migrations"])
      if (m["version"] == version) return m["state"];
    return "absent";
  }
};

TEST_F(safety_test, an_edited_applied_migration_is_modified_and_up_refuses) {
  write_two_modules();
  ASSERT_EQ(migrate({"up"}).code, 0);
  modules.write("alpha/migrations/01001_a.sql", migration_text("CREATE TABLE a (id bigint);", "DROP TABLE a;"));
  modules.write("alpha/migrations/01002_more.sql", migration_text("CREATE TABLE more (id int);"));
  EXPECT_EQ(state_of(1001), "modified");
  auto r = migrate({"up"});
  EXPECT_EQ(r.code, 4);
  EXPECT_THAT(r.err, HasSubstr("alpha 1001"));
  EXPECT_THAT(r.err, HasSubstr("01001_a.sql"));
  EXPECT_THAT(r.err, HasSubstr("modified since it was applied"));
  EXPECT_THAT(r.err, HasSubstr("app migrate create alpha"));
  EXPECT_THAT(r.err, HasSubstr("--allow-drift"));
  EXPECT_EQ(db.scalar("SELECT to_regclass('more') IS NULL"), "t");
  auto forced = migrate({"up", "--allow-drift"});
  EXPECT_EQ(forced.code, 0) << forced.err;
  EXPECT_EQ(db.scalar("SELECT to_regclass('more') IS NOT NULL"), "t");
}

TEST_F(safety_test, crlf_checkout_is_not_drift) {
  write_two_modules();
  ASSERT_EQ(migrate({"up"}).code, 0);
  modules.write("alpha/migrations/01001_a.sql", "-- +goose Up\r\nCREATE TABLE a (id int);\r\n-- +goose Down\r\nDROP TABLE a;\r\n");
  EXPECT_EQ(state_of(1001), "applied");
}

TEST_F(safety_test, swapping_two_modules_makes_every_write_refuse) {
  write_two_modules();
  ASSERT_EQ(migrate({"up"}).code, 0);
  // beta moves to position 1: its files now carry versions in alpha's old namespace.
  temp_dir swapped;
  write_module_set(swapped, {{"beta", {{"01001_b.sql", migration_text("CREATE TABLE b (id int);", "DROP TABLE b;")}}},
                             {"alpha", {{"02001_a.sql", migration_text("CREATE TABLE a (id int);", "DROP TABLE a;")}}}});
  for (auto command : {"up", "down", "reset", "redo"}) {
    auto r = run_app({"migrate", command, "--dsn", db.dsn(), "--modules-dir", swapped.path().string()});
    EXPECT_EQ(r.code, 4) << command << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("version 1001 was applied by module 'alpha'"));
    EXPECT_THAT(r.err, HasSubstr("to module 'beta'"));
    EXPECT_THAT(r.err, HasSubstr("modules.yaml"));
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version WHERE version_id > 0"), "2");
}

TEST_F(safety_test, a_no_transaction_migration_failing_at_its_second_statement_is_dirty_until_repaired) {
  // Its second statement is no concurrent index build: a dirty version at one
  // is resumed by up instead (lock_retry_test.cpp).
  write_module_set(modules, {{"alpha",
                              {{"01001_t.sql", migration_text("CREATE TABLE t (id int);")},
                               {"01002_nt.sql", "-- +goose NO TRANSACTION\n" +
                                                    migration_text("CREATE INDEX CONCURRENTLY t_a ON t (id);\n"
                                                                   "ALTER TABLE nowhere ADD COLUMN b int;")},
                               {"01003_after.sql", migration_text("CREATE TABLE after (id int);")}}}});
  auto r = migrate({"up"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("statement 2 of 2"));
  EXPECT_THAT(r.err, HasSubstr("Statements 1..1 ran"));
  EXPECT_THAT(r.err, HasSubstr("repair 1002 --mark-applied"));
  EXPECT_EQ(state_of(1002), "dirty");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version WHERE version_id = 1002"), "0");

  auto again = migrate({"up"});
  EXPECT_EQ(again.code, 4);
  EXPECT_THAT(again.err, HasSubstr("alpha 1002"));
  EXPECT_THAT(again.err, HasSubstr("01002_nt.sql"));
  EXPECT_THAT(again.err, HasSubstr("dirty"));
  EXPECT_THAT(again.err, HasSubstr("app migrate repair 1002 --mark-rolled-back"));
  EXPECT_EQ(db.scalar("SELECT to_regclass('after') IS NULL"), "t");

  // A human drops the half-built index and the fixed file is rolled back.
  db.exec("DROP INDEX t_a");
  ASSERT_EQ(migrate({"repair", "1002", "--mark-rolled-back"}).code, 0);
  EXPECT_EQ(state_of(1002), "pending");
  modules.write("alpha/migrations/01002_nt.sql",
                "-- +goose NO TRANSACTION\n" + migration_text("CREATE INDEX CONCURRENTLY t_a ON t (id);"));
  auto fixed = migrate({"up"});
  EXPECT_EQ(fixed.code, 0) << fixed.err;
  EXPECT_EQ(state_of(1002), "applied");
  EXPECT_EQ(state_of(1003), "applied");
}

TEST_F(safety_test, repair_mark_applied_clears_a_dirty_version) {
  write_module_set(modules, {{"alpha",
                              {{"01001_nt.sql", "-- +goose NO TRANSACTION\n" +
                                                    migration_text("CREATE TABLE x (id int);\nSELECT * FROM nowhere;")}}}});
  ASSERT_EQ(migrate({"up"}).code, 1);
  EXPECT_EQ(state_of(1001), "dirty");
  auto wrong = migrate({"repair", "1001"});
  EXPECT_EQ(wrong.code, 2);  // no --mark-applied or --mark-rolled-back: a usage error
  for (const char* mark : {"--mark-applied", "--mark-rolled-back"}) {
    auto dry = migrate({"repair", "1001", mark, "--dry-run"});
    ASSERT_EQ(dry.code, 0) << dry.err;
    EXPECT_THAT(dry.out, HasSubstr("nothing was changed"));
    EXPECT_THAT(dry.out, HasSubstr("alpha 1001 nt"));
    EXPECT_THAT(dry.out, HasSubstr("is dirty after statement 1 of 2"));
    EXPECT_THAT(dry.out, HasSubstr(std::string("would record version 1001 as ") +
                                   (std::string(mark) == "--mark-applied" ? "applied" : "rolled back")));
    EXPECT_EQ(state_of(1001), "dirty");
  }
  // A version that is not dirty is refused (exit 4, not the usage code), the dry run checked as for real.
  const auto no_such = migrate({"repair", "1002", "--mark-applied", "--dry-run"});
  EXPECT_EQ(no_such.code, 4);
  EXPECT_THAT(no_such.err, HasSubstr("version 1002 is not dirty (no such version)"));
  ASSERT_EQ(migrate({"repair", "1001", "--mark-applied"}).code, 0);
  EXPECT_EQ(state_of(1001), "applied");
  for (const bool dry : {true, false}) {
    std::vector<std::string> again{"repair", "1001", "--mark-rolled-back"};
    if (dry) again.push_back("--dry-run");
    const auto applied = migrate(again);
    EXPECT_EQ(applied.code, 4) << applied.err;
    EXPECT_THAT(applied.err, HasSubstr("version 1001 is not dirty (it is applied)"));
  }
  EXPECT_EQ(state_of(1001), "applied");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version WHERE version_id = 1001"), "1");
}

TEST_F(safety_test, dry_run_on_an_empty_database_changes_nothing) {
  write_two_modules();
  for (auto command : {"up", "up-by-one", "down", "reset", "redo"}) {
    auto r = migrate({command, "--dry-run"});
    EXPECT_EQ(r.code, 0) << command << ": " << r.err;
  }
  auto r = migrate({"up", "--dry-run"});
  EXPECT_THAT(r.out, HasSubstr("CREATE TABLE a (id int);"));
  EXPECT_THAT(r.out, HasSubstr("-- up: beta 2001"));
  EXPECT_LT(r.out.find("alpha 1001"), r.out.find("beta 2001"));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                      "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"),
            "0");
  // Other tests run in parallel on the same server: only this database's locks count.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                      "(SELECT oid FROM pg_database WHERE datname = current_database())"),
            "0");
}

TEST_F(safety_test, dry_run_down_to_lists_statements_most_recent_first) {
  write_two_modules();
  ASSERT_EQ(migrate({"up"}).code, 0);
  auto r = migrate({"down-to", "0", "--dry-run"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_LT(r.out.find("DROP TABLE b;"), r.out.find("DROP TABLE a;"));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version WHERE version_id > 0"), "2");
}

TEST_F(safety_test, status_exit_code_for_each_state) {
  write_two_modules();
  EXPECT_EQ(migrate({"status", "--exit-code"}).code, 6);  // pending
  ASSERT_EQ(migrate({"up"}).code, 0);
  EXPECT_EQ(migrate({"status", "--exit-code"}).code, 0);  // applied
  modules.write("alpha/migrations/01001_a.sql", migration_text("CREATE TABLE a (id bigint);"));
  EXPECT_EQ(migrate({"status", "--exit-code"}).code, 6);  // modified
  modules.write("alpha/migrations/01001_a.sql", migration_text("CREATE TABLE a (id int);", "DROP TABLE a;"));
  EXPECT_EQ(migrate({"status", "--exit-code"}).code, 0);
  db.exec("INSERT INTO goose_db_version (version_id, is_applied) VALUES (2002, true)");
  EXPECT_EQ(state_of(2002), "unknown");
  EXPECT_EQ(migrate({"status", "--exit-code"}).code, 6);  // unknown
  db.exec("DELETE FROM goose_db_version WHERE version_id = 2002");
  db.exec("UPDATE goose_db_version_meta SET state = 'dirty' WHERE version_id = 2001;"
          "DELETE FROM goose_db_version WHERE version_id = 2001");
  EXPECT_EQ(state_of(2001), "dirty");
  EXPECT_EQ(migrate({"status", "--exit-code"}).code, 6);  // dirty
}

TEST_F(safety_test, status_json_has_a_per_module_summary) {
  write_two_modules();
  ASSERT_EQ(migrate({"up-to", "1001"}).code, 0);
  auto j = nlohmann::json::parse(migrate({"status", "--json"}).out);
  ASSERT_EQ(j["modules"].size(), 2u);
  EXPECT_EQ(j["modules"][0]["module"], "alpha");
  EXPECT_EQ(j["modules"][0]["applied"], 1);
  EXPECT_EQ(j["modules"][1]["pending"], 1);
  EXPECT_EQ(j["current"], false);
}

}  // namespace

namespace {

TEST_F(safety_test, a_migration_waiting_on_a_busy_table_fails_at_the_lock_timeout) {
  write_module_set(modules, {{"alpha", {{"01001_a.sql", migration_text("CREATE TABLE a (id int);")}}}});
  ASSERT_EQ(migrate({"up"}).code, 0);
  modules.write("alpha/migrations/01002_b.sql", migration_text("ALTER TABLE a ADD COLUMN b int;"));
  // Another session holds the table, as a long transaction of the application would.
  pqxx::connection blocker(db.dsn());
  pqxx::work hold(blocker);
  hold.exec("LOCK TABLE a IN ACCESS SHARE MODE");
  auto r = migrate({"up", "--db-lock-timeout", "200ms"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("SQLSTATE 55P03"));
  EXPECT_THAT(r.err, HasSubstr("lock timeout"));
  EXPECT_THAT(r.err, HasSubstr("01002_b.sql"));
  hold.abort();
  EXPECT_EQ(migrate({"up"}).code, 0);
}

TEST_F(safety_test, a_slow_statement_fails_at_the_statement_timeout) {
  write_module_set(modules, {{"alpha", {{"01001_slow.sql", migration_text("SELECT pg_sleep(5);")}}}});
  auto r = migrate({"up", "--statement-timeout", "100ms"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("SQLSTATE 57014"));
  EXPECT_THAT(r.err, HasSubstr("statement timeout"));
}

TEST_F(safety_test, the_migration_lock_times_out_when_another_runner_holds_it) {
  write_module_set(modules, {{"alpha", {{"01001_a.sql", migration_text("CREATE TABLE a (id int);")}}}});
  pqxx::connection other(db.dsn());
  pqxx::nontransaction n(other);
  n.exec("SELECT pg_advisory_lock(4097083626)");
  auto r = migrate({"up", "--lock-timeout", "300ms"});
  EXPECT_EQ(r.code, 3);
  EXPECT_THAT(r.err, HasSubstr("migration lock"));
  EXPECT_EQ(db.scalar("SELECT to_regclass('a') IS NULL"), "t");
}

}  // namespace
