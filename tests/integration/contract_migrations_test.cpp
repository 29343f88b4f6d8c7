// Rolling deploys with contract migrations (issue 26): an old build runs as a
// live `app start`; a new build whose set adds an expand and a contract
// migration starts beside it. The contract waits for the old build, by its
// entry in the build registry, until that build stops (SIGTERM) or its lease
// runs out (SIGKILL); directly and through a transaction-pooling PgBouncer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "pgbouncer.h"
#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

// The old build: alpha's table still has the column old code reads; beta stands beside it.
std::vector<module_files> old_build() {
  return {{"alpha", {{"01001_init.sql", migration_text("CREATE SCHEMA alpha;\n"
                                                       "CREATE TABLE alpha.things (id int, legacy_total int);",
                                                       "DROP SCHEMA alpha CASCADE;")}}},
          {"beta", {{"02001_init.sql", migration_text("CREATE SCHEMA beta;\nCREATE TABLE beta.others (id int);",
                                                      "DROP SCHEMA beta CASCADE;")}}}};
}

// The new build: expand (a new column), contract (drop the old one), a later
// migration of alpha that must not overtake the contract, and one of beta that may.
std::vector<module_files> new_build() {
  auto set = old_build();
  set[0].files.push_back({"01002_add_total_cents.sql",
                          migration_text("ALTER TABLE alpha.things ADD COLUMN total_cents bigint;",
                                         "ALTER TABLE alpha.things DROP COLUMN total_cents;")});
  set[0].files.push_back({"01003_drop_legacy_total.sql",
                          "-- +migrator contract\n" +
                              migration_text("ALTER TABLE alpha.things DROP COLUMN legacy_total;",
                                             "ALTER TABLE alpha.things ADD COLUMN legacy_total int;")});
  set[0].files.push_back({"01004_index_total_cents.sql",
                          migration_text("CREATE INDEX things_total_cents ON alpha.things (total_cents);",
                                         "DROP INDEX alpha.things_total_cents;")});
  set[1].files.push_back({"02002_notes.sql", migration_text("CREATE TABLE beta.notes (body text);",
                                                            "DROP TABLE beta.notes;")});
  return set;
}

bool has_column(const test_database& db, const std::string& column) {
  return db.scalar("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'alpha' AND "
                   "table_name = 'things' AND column_name = '" + column + "'") == "1";
}

std::string applied_versions(const test_database& db) {
  std::string list;
  for (const auto& v : db.query("SELECT version_id FROM goose_db_version WHERE version_id > 0 ORDER BY version_id"))
    list += (list.empty() ? "" : ",") + v;
  return list;
}

class contract_migrations_test : public ::testing::Test {
 public:
  test_database db;
  temp_dir old_modules, new_modules;
  void SetUp() override {
    write_module_set(old_modules, old_build());
    write_module_set(new_modules, new_build());
  }
  std::vector<std::string> args(const std::string& dsn, const temp_dir& modules, std::vector<std::string> command) {
    command.insert(command.end(), {"--dsn", dsn, "--modules-dir", modules.path().string(), "--build-lease", "2s"});
    return command;
  }
};

// Through `dsn` (direct or pooled): old build live, new build starts, old build stops.
void contract_waits_for_the_old_build_until_it_stops(contract_migrations_test& t, const test_database& db,
                                                     const std::string& dsn) {
  app_process old_build_process(t.args(dsn, t.old_modules, {"start"}));
  ASSERT_TRUE(old_build_process.wait_for_err("ready", 30000)) << old_build_process.err_so_far();
  const std::string old_pid = "pid " + std::to_string(old_build_process.pid());

  auto started = run_app_process(t.args(dsn, t.new_modules, {"start", "--once"}));
  ASSERT_EQ(started.code, 0) << started.err;
  EXPECT_THAT(started.err, HasSubstr("applied alpha 1002 add_total_cents"));
  EXPECT_THAT(started.err, HasSubstr("applied beta 2002 notes"));
  EXPECT_THAT(started.err, HasSubstr("deferred contract migration alpha 1003 drop_legacy_total"));
  EXPECT_THAT(started.err, HasSubstr(old_pid)) << "the log line names the build it waits for";
  EXPECT_THAT(started.err, HasSubstr("1 later migration(s) of alpha wait with it"));
  EXPECT_THAT(started.err, HasSubstr("ready"));
  EXPECT_THAT(started.err, Not(HasSubstr("applied alpha 1003")));
  EXPECT_THAT(started.err, Not(HasSubstr("applied alpha 1004")));
  EXPECT_EQ(applied_versions(db), "1001,1002,2001,2002");
  EXPECT_TRUE(has_column(db, "legacy_total")) << "the old build still reads it";
  EXPECT_TRUE(has_column(db, "total_cents"));

  // status says what waits and for whom; --exit-code tells "only deferred" apart (10).
  auto status = run_app_process(t.args(dsn, t.new_modules, {"migrate", "status", "--exit-code"}));
  EXPECT_EQ(status.code, 10) << status.out << status.err;
  EXPECT_THAT(status.out, HasSubstr("(contract, deferred: waits for"));
  EXPECT_THAT(status.out, HasSubstr(old_pid));
  EXPECT_THAT(status.out, HasSubstr("(deferred: after contract 1003 of its module)"));
  auto json = run_app_process(t.args(dsn, t.new_modules, {"migrate", "status", "--json"}));
  ASSERT_EQ(json.code, 0) << json.err;
  const auto parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed["deferred"], 2);
  EXPECT_EQ(parsed["only_deferred_pending"], true);

  // The dry run shows the decision, and the builds command lists the old build.
  auto dry = run_app_process(t.args(dsn, t.new_modules, {"migrate", "up", "--dry-run"}));
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("-- nothing to do"));
  EXPECT_THAT(dry.out, HasSubstr("-- deferred: alpha 1003 drop_legacy_total (contract): waits for"));
  auto builds = run_app_process(t.args(dsn, t.new_modules, {"migrate", "builds", "--json"}));
  ASSERT_EQ(builds.code, 0) << builds.err;
  const auto listed = nlohmann::json::parse(builds.out)["builds"];
  ASSERT_EQ(listed.size(), 1u) << builds.out << " (the new build's --once start deregistered when it ended)";
  EXPECT_EQ(listed[0]["pid"], old_build_process.pid());
  EXPECT_EQ(listed[0]["known_versions"]["alpha"], 1001);

  // The old build stops cleanly: its entry goes, and the next up applies the contract.
  old_build_process.signal(SIGTERM);
  const auto stopped = old_build_process.wait();
  EXPECT_EQ(stopped.code, 0) << stopped.err;
  auto up = run_app_process(t.args(dsn, t.new_modules, {"migrate", "up"}));
  ASSERT_EQ(up.code, 0) << up.err;
  EXPECT_THAT(up.err, HasSubstr("applied alpha 1003 drop_legacy_total"));
  EXPECT_THAT(up.err, HasSubstr("applied alpha 1004 index_total_cents"));
  EXPECT_EQ(applied_versions(db), "1001,1002,1003,1004,2001,2002");
  EXPECT_FALSE(has_column(db, "legacy_total"));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version_builds"), "0");
}

TEST_F(contract_migrations_test, a_contract_waits_for_the_old_build_until_it_stops) {
  contract_waits_for_the_old_build_until_it_stops(*this, db, db.dsn());
}

TEST_F(contract_migrations_test, the_same_through_a_transaction_pooler) {
  pgbouncer bouncer(4);
  contract_waits_for_the_old_build_until_it_stops(*this, db, bouncer.dsn_for(db.name()));
}

// Through `dsn`: an old build killed with -9 holds the contract until its lease runs out.
void a_killed_build_holds_the_contract_until_its_lease_expires(contract_migrations_test& t, const test_database& db,
                                                               const std::string& dsn) {
  app_process old_build_process(t.args(dsn, t.old_modules, {"start"}));
  ASSERT_TRUE(old_build_process.wait_for_err("ready", 30000)) << old_build_process.err_so_far();
  ASSERT_EQ(run_app_process(t.args(dsn, t.new_modules, {"migrate", "up"})).code, 0);
  EXPECT_EQ(applied_versions(db), "1001,1002,2001,2002");

  old_build_process.signal(SIGKILL);
  old_build_process.wait();
  // No clean stop: the entry stands until its lease (2 s, renewed every third of it) runs out.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version_builds WHERE lease_expires_at > now()"), "1");
  auto right_away = run_app_process(t.args(dsn, t.new_modules, {"migrate", "up"}));
  ASSERT_EQ(right_away.code, 0) << right_away.err;
  EXPECT_THAT(right_away.err, HasSubstr("deferred contract migration alpha 1003"));
  EXPECT_EQ(applied_versions(db), "1001,1002,2001,2002");

  // A post-deploy job waits for the lease to run out, then applies.
  auto waited = run_app_process(t.args(dsn, t.new_modules, {"migrate", "up", "--wait-for-builds", "30s"}));
  ASSERT_EQ(waited.code, 0) << waited.err;
  EXPECT_THAT(waited.err, HasSubstr("waiting up to 30000 ms for older builds to stop"));
  EXPECT_THAT(waited.err, HasSubstr("applied alpha 1003 drop_legacy_total"));
  EXPECT_EQ(applied_versions(db), "1001,1002,1003,1004,2001,2002");
  EXPECT_FALSE(has_column(db, "legacy_total"));
}

TEST_F(contract_migrations_test, a_killed_build_holds_the_contract_until_its_lease_expires) {
  a_killed_build_holds_the_contract_until_its_lease_expires(*this, db, db.dsn());
}

TEST_F(contract_migrations_test, a_killed_build_through_a_transaction_pooler) {
  pgbouncer bouncer(4);
  a_killed_build_holds_the_contract_until_its_lease_expires(*this, db, bouncer.dsn_for(db.name()));
}

TEST_F(contract_migrations_test, waiting_for_builds_that_do_not_stop_ends_with_exit_10) {
  app_process old_build_process(args(db.dsn(), old_modules, {"start"}));
  ASSERT_TRUE(old_build_process.wait_for_err("ready", 30000)) << old_build_process.err_so_far();
  auto waited = run_app_process(args(db.dsn(), new_modules, {"migrate", "up", "--wait-for-builds", "1500ms"}));
  EXPECT_EQ(waited.code, 10) << waited.err;
  EXPECT_THAT(waited.err, HasSubstr("waiting up to 1500 ms for older builds to stop"));
  EXPECT_THAT(waited.err, HasSubstr("applied alpha 1002"));
  EXPECT_THAT(waited.err, HasSubstr("still deferred after waiting"));
  EXPECT_TRUE(has_column(db, "legacy_total"));
}

TEST_F(contract_migrations_test, a_build_that_knows_the_contract_does_not_hold_it_back) {
  // A replica of the new build is live: it knows 1003, so nothing waits for it.
  app_process replica(args(db.dsn(), new_modules, {"start"}));
  ASSERT_TRUE(replica.wait_for_err("ready", 30000)) << replica.err_so_far();
  EXPECT_THAT(replica.err_so_far(), HasSubstr("applied alpha 1003 drop_legacy_total"));
  EXPECT_EQ(applied_versions(db), "1001,1002,1003,1004,2001,2002");
}

}  // namespace
