// SIGTERM and SIGINT during a run, with the real binary: the statement in
// flight is cancelled on the server, a transactional migration rolled back, a
// NO TRANSACTION one stopped between statements (dirty, progress recorded),
// the lock released, exit 8; a second signal exits at once. Every signal is
// sent once the test has seen the run where it wants it (pg_stat_activity,
// pg_locks, the app's log), never after a delay. Fleet runs:
// fleet_signals_test.cpp; SQLite: tests/cli/sqlite_signals_test.cpp; code
// migrations: code_migration_kill_test.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <pqxx/pqxx>
#include <thread>

#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;

namespace {

const int exit_interrupted = 8;

class signals_test : public ::testing::Test {
 protected:
  test_database db;
  temp_dir modules;

  std::vector<std::string> with_db(std::vector<std::string> args) {
    args.insert(args.end(), {"--dsn", db.dsn(), "--modules-dir", modules.path().string()});
    return args;
  }

  // Whether `sql` returns "t" within 60 s, asked again every 10 ms: a bound on
  // waiting for observable state, not a delay the test relies on.
  bool wait_until(const std::string& sql) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      if (db.scalar(sql) == "t") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return db.scalar(sql) == "t";
  }

  // Waits until a statement containing `text` runs in this test's database.
  bool wait_for_statement(const std::string& text) {
    return wait_until("SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = current_database() AND state = "
                      "'active' AND query LIKE '%" + text + "%' AND pid <> pg_backend_pid()");
  }

  // Waits until a session of the app waits for advisory lock `key`, which the test holds.
  bool wait_for_gate(const std::string& key) {
    return wait_until("SELECT count(*) > 0 FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                      "WHERE d.datname = current_database() AND l.locktype = 'advisory' AND NOT l.granted "
                      "AND l.objid = " + key);
  }

  void write_slow_transactional() {
    write_module_set(modules, {{"shop",
                                {{"01001_first.sql", migration_text("CREATE TABLE first (id int);")},
                                 {"01002_slow.sql", migration_text("CREATE TABLE slow (id int);\n"
                                                                   "SELECT pg_sleep(600);")},
                                 {"01003_after.sql", migration_text("CREATE TABLE after_slow (id int);")}}}});
  }

  void expect_slow_left_nothing() {
    EXPECT_EQ(db.scalar("SELECT string_agg(version_id::text, ',' ORDER BY version_id) FROM goose_db_version "
                        "WHERE version_id > 0"),
              "1001");
    EXPECT_EQ(db.scalar("SELECT to_regclass('slow') IS NULL AND to_regclass('after_slow') IS NULL"), "t");
    // Cancelled on the server, not left running after the client went.
    EXPECT_EQ(db.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()"),
              "0");
  }
};

TEST_F(signals_test, sigterm_during_a_transactional_migration_rolls_it_back_and_exits_8) {
  write_slow_transactional();
  // A callback is a step of the plan but no migration: "Not started" leaves it out.
  modules.write("shop/migrations/callbacks/after_migrate.sql", migration_text("SELECT 1;"));
  app_process run(with_db({"migrate", "up"}));
  ASSERT_TRUE(wait_for_statement("pg_sleep(600)"));
  run.signal(SIGTERM);
  auto r = run.wait();
  EXPECT_EQ(r.code, exit_interrupted) << r.err;
  EXPECT_THAT(r.err, HasSubstr("received SIGTERM"));
  EXPECT_THAT(r.err, HasSubstr("completed before the signal: applied shop 1001 first"));
  EXPECT_THAT(r.err, HasSubstr("shop 1002 slow was cancelled on the server and rolled back: nothing of it remains"));
  EXPECT_THAT(r.err, HasSubstr("Not started: shop 1003 after."));
  expect_slow_left_nothing();
  EXPECT_EQ(db.scalar("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                      "WHERE l.locktype = 'advisory' AND d.datname = current_database()"),
            "0");
}

TEST_F(signals_test, sigint_during_app_start_with_the_table_lock_frees_the_lease_at_once) {
  write_slow_transactional();
  app_process run(with_db({"start", "--lock", "table"}));
  ASSERT_TRUE(wait_for_statement("pg_sleep(600)"));
  EXPECT_EQ(db.scalar("SELECT locked FROM goose_lock"), "t");
  run.signal(SIGINT);
  auto r = run.wait();
  EXPECT_EQ(r.code, exit_interrupted) << r.err;
  EXPECT_THAT(r.err, HasSubstr("received SIGINT"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("ready")));
  expect_slow_left_nothing();
  // Released, not left to expire (the lease lasts 30 s).
  EXPECT_EQ(db.scalar("SELECT locked FROM goose_lock"), "f");
}

TEST_F(signals_test, sigterm_during_a_no_transaction_migration_stops_between_statements_dirty) {
  // Statement 2 waits for a lock the test holds until the signal has been
  // received: it is in flight when the signal comes, and finishes after it.
  write_module_set(modules, {{"shop",
                              {{"01001_steps.sql", "-- +goose NO TRANSACTION\n-- +goose Up\n"
                                                   "CREATE TABLE step_one (id int);\n"
                                                   "SELECT pg_advisory_xact_lock(73312);\n"
                                                   "CREATE TABLE step_three (id int);\n"},
                               {"01002_after.sql", migration_text("CREATE TABLE after_steps (id int);")}}}});
  auto gate = std::make_unique<pqxx::connection>(db.dsn());
  pqxx::nontransaction(*gate).exec("SELECT pg_advisory_lock(73312)");
  app_process run(with_db({"migrate", "up"}));
  ASSERT_TRUE(wait_for_gate("73312"));
  run.signal(SIGTERM);
  ASSERT_TRUE(run.wait_for_err("received SIGTERM", 60000)) << run.err_so_far();
  gate.reset();  // statement 2 now completes; statement 3 must not start
  auto r = run.wait();
  EXPECT_EQ(r.code, exit_interrupted) << r.err;
  EXPECT_THAT(r.err, HasSubstr("stopped between statements: statements 1..2 of 3 ran"));
  EXPECT_THAT(r.err, HasSubstr("Not started: shop 1002 after"));
  // The statement in flight finished (not cancelled); the next never ran.
  EXPECT_EQ(db.scalar("SELECT to_regclass('step_one') IS NOT NULL AND to_regclass('step_three') IS NULL "
                      "AND to_regclass('after_steps') IS NULL"),
            "t");
  EXPECT_EQ(db.scalar("SELECT state || ' ' || statements_done || '/' || statements_total FROM goose_db_version_meta "
                      "WHERE version_id = 1001"),
            "dirty 2/3");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version WHERE version_id = 1001"), "0");
}

TEST_F(signals_test, a_second_signal_exits_at_once) {
  write_module_set(modules, {{"shop",
                              {{"01001_long.sql", "-- +goose NO TRANSACTION\n-- +goose Up\n"
                                                  "SELECT pg_sleep(600);\n"}}}});
  app_process run(with_db({"migrate", "up"}));
  ASSERT_TRUE(wait_for_statement("pg_sleep(600)"));
  run.signal(SIGTERM);
  ASSERT_TRUE(run.wait_for_err("received SIGTERM", 60000)) << run.err_so_far();
  run.signal(SIGTERM);
  auto r = run.wait();
  EXPECT_EQ(r.code, exit_interrupted) << r.err;
  EXPECT_THAT(r.err, HasSubstr("received SIGTERM again: exiting at once"));
  // It did not wait for the statement: the server still runs it.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                      "AND query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()"),
            "1");
  db.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
          "AND query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()");
}

TEST_F(signals_test, a_signal_while_waiting_for_the_lock_exits_8_with_nothing_done) {
  write_module_set(modules, {{"shop", {{"01001_a.sql", migration_text("CREATE TABLE a (id int);")}}}});
  pqxx::connection holder(db.dsn());
  pqxx::nontransaction tx(holder);
  tx.exec("SELECT pg_advisory_lock(4097083626)");
  app_process run(with_db({"migrate", "up"}));
  ASSERT_TRUE(run.wait_for_err("waiting for the migration lock", 60000)) << run.err_so_far();
  run.signal(SIGTERM);
  auto r = run.wait();
  EXPECT_EQ(r.code, exit_interrupted) << r.err;
  EXPECT_THAT(r.err, HasSubstr("interrupted while waiting for the migration lock"));
  EXPECT_EQ(db.scalar("SELECT to_regclass('a') IS NULL"), "t");
}

}  // namespace
