// SIGTERM and SIGINT during a fleet run (`app migrate up --targets`), with the
// real binary: every running target's statement in flight is cancelled on its
// server and rolled back, every target's lock released, no other target
// starts, the report says per target what was applied, interrupted or not
// started, and the run exits 8 like an interrupted single run.
//
// Each target's second migration waits on an advisory lock this test holds in
// that target's database, so the test knows every target is mid-migration by
// seeing the wait in pg_locks, not by sleeping.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <thread>

#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;

namespace {

const int exit_interrupted = 8;
const char* const gate_key = "73311";  // the advisory lock the blocked migration waits on

// Polls `ready` (observable state, never a fixed delay) until it holds or 60 s pass.
template <typename F>
bool wait_until(F&& ready) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return ready();
}

class fleet_signals_test : public ::testing::Test {
 protected:
  temp_dir dir;
  std::vector<std::unique_ptr<test_database>> dbs;
  std::vector<std::unique_ptr<pqxx::connection>> gates;  // each holds gate_key in its database
  std::map<std::string, std::string> env;

  // `count` targets t0..t<count-1>, each its own database; the first `gated` are gated.
  std::string make_fleet(int count, int gated) {
    write_module_set(dir, {{"shop",
                            {{"01001_first.sql", migration_text("CREATE TABLE first (id int);")},
                             {"01002_blocked.sql", migration_text(std::string("CREATE TABLE blocked (id int);\n"
                                                                              "SELECT pg_advisory_xact_lock(") +
                                                                  gate_key + ");")},
                             {"01003_after.sql", migration_text("CREATE TABLE after_blocked (id int);")}}}});
    std::string fleet = "targets:\n";
    for (int i = 0; i < count; ++i) {
      dbs.push_back(std::make_unique<test_database>());
      const std::string var = "FLEET_SIGNALS_DSN_" + std::to_string(i);
      env[var] = dbs.back()->dsn();
      fleet += "  - name: t" + std::to_string(i) + "\n    dsn_env: " + var + "\n    modules: .\n";
      if (i < gated) {
        gates.push_back(std::make_unique<pqxx::connection>(dbs.back()->dsn()));
        pqxx::nontransaction(*gates.back()).exec("SELECT pg_advisory_lock(" + std::string(gate_key) + ")");
      }
    }
    return dir.write("fleet.yaml", fleet).string();
  }

  // A session of the app waits for the gate in `db`: its migration 1002 is in flight.
  static bool waiting_at_gate(const test_database& db) {
    return db.scalar("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                     "WHERE d.datname = current_database() AND l.locktype = 'advisory' AND NOT l.granted "
                     "AND l.objid = " + std::string(gate_key)) == "1";
  }

  void open_gates() { gates.clear(); }

  // What an interrupted target keeps: 1001 recorded, nothing of 1002 or 1003,
  // no statement of the app left running, no lock of any kind left held.
  static void expect_rolled_back_and_unlocked(const test_database& db, const std::string& lock) {
    SCOPED_TRACE(db.name());
    EXPECT_EQ(db.scalar("SELECT string_agg(version_id::text, ',' ORDER BY version_id) FROM goose_db_version "
                        "WHERE version_id > 0"),
              "1001");
    EXPECT_EQ(db.scalar("SELECT (to_regclass('first') IS NOT NULL)::text || (to_regclass('blocked') IS NULL)::text "
                        "|| (to_regclass('after_blocked') IS NULL)::text"),
              "truetruetrue");
    EXPECT_EQ(db.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND query LIKE '%pg_advisory_xact_lock%' AND pid <> pg_backend_pid()"),
              "0");
    // The gates are open: any advisory lock left would be the migration lock.
    EXPECT_EQ(db.scalar("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                        "WHERE d.datname = current_database() AND l.locktype = 'advisory'"),
              "0");
    if (lock == "table") {
      EXPECT_EQ(db.scalar("SELECT string_agg(locked::text, ',') FROM goose_lock"), "false");
    }
  }
};

TEST_F(fleet_signals_test, sigterm_stops_every_target_mid_migration_rolls_back_and_exits_8) {
  const auto file = make_fleet(3, 3);
  app_process run({"migrate", "up", "--targets", file, "--jobs", "3", "--json"}, env);
  for (const auto& db : dbs) ASSERT_TRUE(wait_until([&] { return waiting_at_gate(*db); })) << db->name();
  run.signal(SIGTERM);
  auto r = run.wait();
  EXPECT_EQ(r.code, exit_interrupted) << r.err;
  EXPECT_THAT(r.err, HasSubstr("received SIGTERM: stopping the fleet run"));
  open_gates();
  for (const auto& db : dbs) expect_rolled_back_and_unlocked(*db, "advisory");

  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["total"], 3);
  EXPECT_EQ(j["interrupted"], 3);
  EXPECT_EQ(j["ok"], 0);
  EXPECT_EQ(j["failed"], 0);
  EXPECT_EQ(j["skipped"], 0);
  ASSERT_EQ(j["targets"].size(), 3u);
  for (const auto& t : j["targets"]) {
    SCOPED_TRACE(t.dump());
    EXPECT_EQ(t["result"], "interrupted");
    EXPECT_EQ(t["error_code"], "interrupted");
    EXPECT_EQ(t["applied"], 1);
    EXPECT_EQ(t["from_version"], 0);
    EXPECT_EQ(t["to_version"], 1001);
    const std::string error = t["error"];
    EXPECT_THAT(error, HasSubstr("completed before the signal: applied shop 1001 first"));
    EXPECT_THAT(error, HasSubstr("shop 1002 blocked was cancelled on the server and rolled back"));
    EXPECT_THAT(error, HasSubstr("Not started: shop 1003 after"));
    EXPECT_THAT(error, HasSubstr("The migration lock was released"));
  }

  // Nothing is left in the way: the next run completes every target.
  app_process rerun({"migrate", "up", "--targets", file, "--jobs", "3", "--json"}, env);
  const auto done = rerun.wait();
  ASSERT_EQ(done.code, 0) << done.err;
  for (const auto& db : dbs)
    EXPECT_EQ(db->scalar("SELECT string_agg(version_id::text, ',' ORDER BY version_id) FROM goose_db_version "
                         "WHERE version_id > 0"),
              "1001,1002,1003");
}

TEST_F(fleet_signals_test, sigint_with_the_table_lock_frees_every_lease_and_starts_no_other_target) {
  // Four targets, three at a time: the fourth waits for a free worker, which
  // never comes before the signal, so it must not start at all.
  const auto file = make_fleet(4, 3);
  app_process run({"migrate", "up", "--targets", file, "--jobs", "3", "--lock", "table"}, env);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(wait_until([&] { return waiting_at_gate(*dbs[i]); })) << dbs[i]->name();
    EXPECT_EQ(dbs[i]->scalar("SELECT locked::text FROM goose_lock"), "true");
  }
  run.signal(SIGINT);
  auto r = run.wait();
  EXPECT_EQ(r.code, exit_interrupted) << r.err;
  EXPECT_THAT(r.err, HasSubstr("received SIGINT: stopping the fleet run"));
  open_gates();
  for (int i = 0; i < 3; ++i) expect_rolled_back_and_unlocked(*dbs[i], "table");
  // Never connected to by a migration: no history table, no lease table.
  EXPECT_EQ(dbs[3]->scalar("SELECT (to_regclass('goose_db_version') IS NULL AND to_regclass('goose_lock') IS NULL "
                           "AND to_regclass('first') IS NULL)::text"),
            "true");

  // The table: one row per target, saying what each did.
  for (int i = 0; i < 3; ++i) {
    const std::string row_start = "t" + std::to_string(i) + " ";
    const auto at = r.out.find(row_start);
    ASSERT_NE(at, std::string::npos) << r.out;
    const std::string row = r.out.substr(at, r.out.find('\n', at) - at);
    EXPECT_THAT(row, ::testing::MatchesRegex("t[0-9] +0 +1001 +1 +.*  interrupted: completed before the signal: "
                                             "applied shop 1001 first\\. shop 1002 blocked was cancelled.*"));
  }
  EXPECT_THAT(r.out, ::testing::ContainsRegex("t3 +- +- +- +-  skipped: not started: the run was interrupted"));
  EXPECT_THAT(r.out, HasSubstr("up: 4 target(s): 0 ok, 0 failed, 1 skipped, 3 interrupted, in "));
}

}  // namespace
