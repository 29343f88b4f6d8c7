// up --single-transaction (issue 28): every migration of the run and its
// history rows in one transaction. A failure in the third migration leaves no
// trace of the first two; a migration that commits on its own is refused up
// front. Directly, through a transaction-pooling PgBouncer, by flag and by
// environment.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pgbouncer.h"
#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

std::vector<module_files> release(bool third_fails, bool no_transaction_second = false) {
  return {{"alpha",
           {{"01001_init.sql", migration_text("CREATE SCHEMA alpha;", "DROP SCHEMA alpha;")},
            {"01002_accounts.sql", std::string(no_transaction_second ? "-- +goose NO TRANSACTION\n" : "") +
                                       migration_text("CREATE TABLE alpha.accounts (id int PRIMARY KEY);",
                                                      "DROP TABLE alpha.accounts;")},
            {"01003_seed.sql",
             migration_text(std::string("INSERT INTO alpha.accounts VALUES (1);\n") +
                                (third_fails ? "INSERT INTO alpha.accounts VALUES (1);" : "INSERT INTO alpha.accounts VALUES (2);"),
                            "DELETE FROM alpha.accounts;")}}}};
}

std::string applied(const test_database& db) {
  if (db.scalar("SELECT to_regclass('goose_db_version') IS NOT NULL") != "t") return "no history table";
  std::string list;
  for (const auto& v : db.query("SELECT version_id FROM goose_db_version WHERE version_id > 0 ORDER BY id"))
    list += (list.empty() ? "" : ",") + v;
  return list;
}

bool schema_exists(const test_database& db) {
  return db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'alpha'") == "1";
}

class single_transaction_test : public ::testing::Test {
 protected:
  test_database db;
  temp_dir modules;
  run_result up(const std::string& dsn, std::vector<std::string> extra = {}, std::map<std::string, std::string> env = {}) {
    std::vector<std::string> args{"migrate", "up", "--dsn", dsn, "--modules-dir", modules.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_app_process(args, env);
  }
};

void a_failing_third_migration_leaves_no_trace_of_the_first_two(const test_database& db, const temp_dir& modules,
                                                                 const run_result& r) {
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("01003_seed.sql:3: migration 1003 (module alpha) failed (up) at statement 2 of 2"));
  EXPECT_THAT(r.err, HasSubstr("SQLSTATE 23505"));
  EXPECT_THAT(r.err, HasSubstr("--single-transaction: the whole run was rolled back; nothing of it was applied (2 "
                               "migration(s) before this one in the run were rolled back with it)"));
  EXPECT_THAT(r.err, Not(HasSubstr("applied alpha 1001")));
  EXPECT_FALSE(schema_exists(db)) << "1001's schema was rolled back";
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version_meta"), "0");
  const std::string history = applied(db);
  EXPECT_TRUE(history.empty()) << history;
  (void)modules;
}

TEST_F(single_transaction_test, a_failing_third_migration_leaves_no_trace_of_the_first_two) {
  write_module_set(modules, release(/*third_fails=*/true));
  a_failing_third_migration_leaves_no_trace_of_the_first_two(db, modules, up(db.dsn(), {"--single-transaction"}));

  // Without it, each migration commits alone: the first two stay.
  auto plain = up(db.dsn());
  EXPECT_EQ(plain.code, 1) << plain.err;
  EXPECT_EQ(applied(db), "1001,1002");
}

TEST_F(single_transaction_test, the_same_through_a_transaction_pooler) {
  write_module_set(modules, release(true));
  pgbouncer bouncer(2);
  a_failing_third_migration_leaves_no_trace_of_the_first_two(db, modules,
                                                             up(bouncer.dsn_for(db.name()), {"--single-transaction"}));
}

TEST_F(single_transaction_test, from_the_environment_and_the_configuration_file) {
  write_module_set(modules, release(true));
  a_failing_third_migration_leaves_no_trace_of_the_first_two(db, modules,
                                                             up(db.dsn(), {}, {{"APP_SINGLE_TRANSACTION", "true"}}));
  temp_dir config;
  const auto file = config.write("app.yaml", "migrations:\n  single_transaction: true\n");
  a_failing_third_migration_leaves_no_trace_of_the_first_two(db, modules, up(db.dsn(), {"--config", file.string()}));
}

TEST_F(single_transaction_test, callbacks_in_the_transaction_are_not_counted_as_migrations) {
  write_module_set(modules, release(true));
  modules.write("alpha/migrations/callbacks/before_migrate.sql", migration_text("SELECT 1;", ""));
  modules.write("alpha/migrations/callbacks/after_each_migration.sql", migration_text("SELECT 2;", ""));
  auto r = up(db.dsn(), {"--single-transaction"});
  EXPECT_EQ(r.code, 1) << r.err;
  // before_migrate and two after_each_migration ran before 1003 in the same
  // transaction: the message counts the two migrations only.
  EXPECT_THAT(r.err, HasSubstr("nothing of it was applied (2 migration(s) before this one in the run were rolled "
                               "back with it)"));
  EXPECT_EQ(applied(db), "");
}

TEST_F(single_transaction_test, a_run_that_succeeds_is_recorded_whole_and_then_has_nothing_to_do) {
  write_module_set(modules, release(false));
  auto r = up(db.dsn(), {"--single-transaction"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("applied alpha 1003 seed"));
  EXPECT_EQ(applied(db), "1001,1002,1003");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM alpha.accounts"), "2");
  EXPECT_EQ(db.scalar("SELECT string_agg(version_id::text, ',' ORDER BY version_id) FROM goose_db_version_meta "
                      "WHERE checksum IS NOT NULL"),
            "1001,1002,1003");
  auto again = up(db.dsn(), {"--single-transaction"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_THAT(again.err, HasSubstr("nothing to do"));
}

TEST_F(single_transaction_test, a_migration_without_a_transaction_is_refused_up_front_and_named) {
  write_module_set(modules, release(false, /*no_transaction_second=*/true));
  auto r = up(db.dsn(), {"--single-transaction"});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_THAT(r.err, HasSubstr("refusing --single-transaction: migration 1002 (module alpha"));
  EXPECT_THAT(r.err, HasSubstr("runs without a transaction (-- +goose NO TRANSACTION)"));
  EXPECT_FALSE(schema_exists(db)) << "not even 1001 ran";
  auto dry = up(db.dsn(), {"--single-transaction", "--dry-run"});
  EXPECT_EQ(dry.code, 4) << dry.err << dry.out;
  // Up to the migration before it, the run is one transaction again.
  auto before = run_app_process({"migrate", "up-to", "1001", "--single-transaction", "--dsn", db.dsn(),
                                 "--modules-dir", modules.path().string()});
  EXPECT_EQ(before.code, 0) << before.err;
  EXPECT_EQ(applied(db), "1001");
}

}  // namespace
