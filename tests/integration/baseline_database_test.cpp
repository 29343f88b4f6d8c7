// Baselines and stamp on the real server: the three kinds of database (fresh,
// complete history, partial history), goose's view of the history table, and
// stamp with and without a conflict.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

// alpha's history before the squash: three migrations.
const std::vector<std::pair<std::string, std::string>> alpha_history = {
    {"01001_accounts.sql", migration_text("CREATE TABLE accounts (id int PRIMARY KEY);", "DROP TABLE accounts;")},
    {"01002_accounts_name.sql",
     migration_text("ALTER TABLE accounts ADD COLUMN name text;", "ALTER TABLE accounts DROP COLUMN name;")},
    {"01003_invoices.sql",
     migration_text("CREATE TABLE invoices (id int PRIMARY KEY, account_id int REFERENCES accounts);",
                    "DROP TABLE invoices;")},
};

// The baseline that replaces them. Its first statement records that it ran, so
// a test can tell running from recording.
const std::string alpha_baseline =
    "-- alpha's schema as of version 1004.\n"
    "-- +migrator baseline replaces 1001-1003\n"
    "\n"
    "-- +goose Up\n"
    "CREATE TABLE baseline_ran (at timestamptz DEFAULT now());\n"
    "CREATE TABLE accounts (id int PRIMARY KEY, name text);\n"
    "CREATE TABLE invoices (id int PRIMARY KEY, account_id int REFERENCES accounts);\n"
    "\n"
    "-- +goose Down\n"
    "DROP TABLE invoices;\n"
    "DROP TABLE accounts;\n"
    "DROP TABLE IF EXISTS baseline_ran;\n";  // an adopted baseline never ran

const std::pair<std::string, std::string> alpha_next = {
    "01005_payments.sql", migration_text("CREATE TABLE payments (id int);", "DROP TABLE payments;")};
const std::pair<std::string, std::string> beta_init = {
    "02001_beta.sql", migration_text("CREATE TABLE beta (id int);", "DROP TABLE beta;")};

class baseline_database_test : public ::testing::Test {
 protected:
  test_database db;
  temp_dir old_build;  // still has alpha's history
  temp_dir new_build;  // the baseline instead

  void SetUp() override {
    auto old_alpha = alpha_history;
    write_module_set(old_build, {{"alpha", old_alpha}, {"beta", {beta_init}}});
    write_module_set(new_build, {{"alpha", {{"01004_baseline.sql", alpha_baseline}, alpha_next}}, {"beta", {beta_init}}});
  }

  run_result old_migrate(const std::vector<std::string>& args) { return migrate_in(db.dsn(), old_build.path(), args); }
  run_result migrate(const std::vector<std::string>& args) { return migrate_in(db.dsn(), new_build.path(), args); }

  // goose's table as goose reads it: every row, in id order.
  std::vector<std::string> goose_rows() {
    return db.query("SELECT version_id || ':' || is_applied FROM goose_db_version ORDER BY id");
  }

  nlohmann::json status_row(std::int64_t version) {
    auto r = migrate({"status", "--json"});
    const auto status = nlohmann::json::parse(r.out);  // kept: a range-for over a temporary's member dangles
    for (const auto& m : status["migrations"])
      if (m["version"] == version) return m;
    return nullptr;
  }
};

TEST_F(baseline_database_test, fresh_database_starts_from_the_baseline) {
  EXPECT_EQ(status_row(1004)["baseline"]["history"], "fresh");
  auto dry = migrate({"up", "--dry-run"});
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("-- up: alpha 1004 baseline"));
  EXPECT_THAT(dry.out, HasSubstr("a baseline replacing 1001-1003"));
  EXPECT_THAT(dry.out, HasSubstr("CREATE TABLE baseline_ran"));

  auto r = migrate({"up"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(db.scalar("SELECT count(*) FROM baseline_ran"), "0");  // the table exists: it ran
  EXPECT_EQ(db.scalar("SELECT to_regclass('payments') IS NOT NULL"), "t");
  // goose's own rows, as goose writes them: its version-0 row, then one applied row per version.
  EXPECT_EQ(goose_rows(), (std::vector<std::string>{"0:true", "1004:true", "1005:true", "2001:true"}));
  EXPECT_EQ(db.scalar("SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) "
                      "FROM information_schema.columns WHERE table_name = 'goose_db_version'"),
            "id integer, version_id bigint, is_applied boolean, tstamp timestamp without time zone");
  EXPECT_EQ(migrate({"status", "--exit-code"}).code, 0);
}

TEST_F(baseline_database_test, complete_history_records_the_baseline_without_running_it) {
  ASSERT_EQ(old_migrate({"up"}).code, 0);
  db.exec("INSERT INTO accounts VALUES (1, 'kept')");

  EXPECT_EQ(status_row(1004)["baseline"]["history"], "complete");
  auto table = migrate({"status"});
  EXPECT_THAT(table.out, HasSubstr("up records it without running it; the database has 1001-1003"));
  auto dry = migrate({"up", "--dry-run"});
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("-- record without running: alpha 1004 baseline"));
  EXPECT_THAT(dry.out, Not(HasSubstr("CREATE TABLE baseline_ran")));
  EXPECT_THAT(dry.out, HasSubstr("-- up: alpha 1005 payments"));

  auto r = migrate({"up"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("recorded baseline alpha 1004 baseline as applied without running it: the "
                               "database has every version it replaces (1001-1003)"));
  EXPECT_EQ(db.scalar("SELECT to_regclass('baseline_ran') IS NULL"), "t");  // not run
  EXPECT_EQ(db.scalar("SELECT name FROM accounts"), "kept");
  EXPECT_EQ(db.scalar("SELECT to_regclass('payments') IS NOT NULL"), "t");
  EXPECT_EQ(goose_rows(), (std::vector<std::string>{"0:true", "1001:true", "1002:true", "1003:true", "2001:true",
                                                    "1004:true", "1005:true"}));
  EXPECT_EQ(status_row(1002)["state"], "replaced");
  EXPECT_EQ(status_row(1002)["module"], "alpha");
  EXPECT_EQ(migrate({"status", "--exit-code"}).code, 0);
  // A second run has nothing to do.
  auto again = migrate({"up"});
  EXPECT_EQ(again.code, 0);
  EXPECT_THAT(again.err, HasSubstr("nothing to do"));
}

TEST_F(baseline_database_test, rolling_back_an_adopted_baseline_forgets_what_it_replaced) {
  ASSERT_EQ(old_migrate({"up"}).code, 0);
  ASSERT_EQ(migrate({"up"}).code, 0);
  auto r = migrate({"down-to", "1003"});  // 1005, 1004 and beta's 2001, most recent first
  ASSERT_EQ(r.code, 0) << r.err;
  // The baseline's Down dropped what 1001-1003 built: their rows go with it.
  EXPECT_EQ(goose_rows(), (std::vector<std::string>{"0:true"}));
  EXPECT_EQ(db.scalar("SELECT to_regclass('accounts') IS NULL"), "t");
  EXPECT_EQ(status_row(1004)["baseline"]["history"], "fresh");
}

TEST_F(baseline_database_test, partial_history_is_refused_with_the_ways_out) {
  ASSERT_EQ(old_migrate({"up-to", "1002"}).code, 0);
  const auto before = goose_rows();
  for (const std::vector<std::string>& args : {std::vector<std::string>{"up"}, {"up", "--dry-run"}, {"up-by-one"}}) {
    SCOPED_TRACE(args[0]);
    auto r = migrate(args);
    EXPECT_EQ(r.code, 4);
    EXPECT_THAT(r.err, HasSubstr("module alpha: the database has only part of the history that baseline 1004"));
    EXPECT_THAT(r.err, HasSubstr("version(s) 1003 missing, 1001-1002 applied"));
    EXPECT_THAT(r.err, HasSubstr("older build that still has migrations 1001-1003"));
    EXPECT_THAT(r.err, HasSubstr("recreate the database"));
  }
  EXPECT_EQ(goose_rows(), before);  // nothing written, beta's 2001 included
  auto status = migrate({"status"});
  EXPECT_EQ(status.code, 0);
  EXPECT_THAT(status.out, HasSubstr("(baseline: refused, 1003 missing)"));
  EXPECT_THAT(status.out, HasSubstr("refused: module alpha"));
  // The first way out: the older build completes the history, then this one adopts it.
  ASSERT_EQ(old_migrate({"up"}).code, 0);
  auto r = migrate({"up"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("without running it"));
}

TEST_F(baseline_database_test, stamp_adopts_a_database_built_by_hand) {
  db.exec("CREATE TABLE accounts (id int PRIMARY KEY, name text);"
          "CREATE TABLE invoices (id int PRIMARY KEY, account_id int REFERENCES accounts);");
  auto dry = migrate({"stamp", "1004", "--dry-run"});
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("-- record without running: alpha 1004 baseline"));
  EXPECT_EQ(db.scalar("SELECT to_regclass('goose_db_version') IS NULL"), "t");  // nothing written

  auto r = migrate({"stamp", "1004"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("recorded 1 migration(s) as applied without running them"));
  EXPECT_EQ(goose_rows(), (std::vector<std::string>{"0:true", "1004:true"}));
  EXPECT_EQ(db.scalar("SELECT to_regclass('baseline_ran') IS NULL"), "t");
  EXPECT_EQ(db.scalar("SELECT checksum IS NOT NULL AND module = 'alpha' FROM goose_db_version_meta "
                      "WHERE version_id = 1004"),
            "t");
  // Stamping again is a no-op; up then applies the rest.
  EXPECT_EQ(migrate({"stamp", "1004"}).code, 0);
  auto up = migrate({"up"});
  ASSERT_EQ(up.code, 0) << up.err;
  EXPECT_EQ(goose_rows(), (std::vector<std::string>{"0:true", "1004:true", "1005:true", "2001:true"}));
}

TEST_F(baseline_database_test, stamp_is_refused_when_a_version_is_recorded_differently) {
  ASSERT_EQ(migrate({"up-to", "1005"}).code, 0);
  auto unknown = migrate({"stamp", "1006"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("no migration in the module set has version 1006"));
  new_build.write("alpha/migrations/01005_payments.sql",
                  migration_text("CREATE TABLE payments (id bigint);", "DROP TABLE payments;"));
  const auto before = goose_rows();
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"stamp", "2001"}, {"stamp", "2001", "--dry-run"}}) {
    auto r = migrate(args);
    EXPECT_EQ(r.code, 4);
    EXPECT_THAT(r.err, HasSubstr("stamp 2001 refused"));
    EXPECT_THAT(r.err, HasSubstr("1005 payments (module alpha"));
    EXPECT_THAT(r.err, HasSubstr("recorded with another checksum"));
  }
  EXPECT_EQ(goose_rows(), before);
}

}  // namespace
