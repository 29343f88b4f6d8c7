// A runner killed with SIGKILL while it holds the table lease (goose_lock,
// `--lock table`) cannot release it: its heartbeat stops, the lease expires,
// and the next runner, already waiting, takes it over, says whose lease it took
// and migrates. The lease is shortened (`--lock-lease 2s`) so that happens
// within seconds; the holder is held inside its first migration by an advisory
// lock this test owns, so the kill lands while it holds the lease.
#include <pqxx/pqxx>

#include <csignal>
#include <thread>

#include <gtest/gtest.h>

#include "reliability.h"

namespace {

using namespace reliability;
using namespace std::chrono_literals;
using testing_support::app_process;
using testing_support::migration_text;
using testing_support::test_database;
using testing_support::write_module_set;

// The key of the session advisory lock the test holds; the first migration waits for it.
constexpr int gate_key = 7301;

// Polls a one-value query until it returns `wanted`; false when `limit` passed first.
bool wait_for_value(const std::string& dsn, const std::string& sql, const std::string& wanted,
                    std::chrono::milliseconds limit) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < limit) {
    if (value(dsn, sql) == wanted) return true;
    std::this_thread::sleep_for(20ms);
  }
  return value(dsn, sql) == wanted;
}

// The backends waiting for the gate (pg_advisory_xact_lock(bigint) puts the key's low half in objid).
const std::string gate_waiters =
    "FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = 0 AND objid = " +
    std::to_string(gate_key) + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";

TEST(reliability_lease_takeover, kill_9_of_the_lease_holder_then_the_next_runner_takes_over_and_migrates) {
  ensure_secret_role(testing_support::admin_dsn());
  test_database db;
  const std::string plain = db.dsn(), dsn = secret_dsn(plain, 0);
  temp_dir modules;
  write_module_set(modules, {{"ledger",
                              {{"01001_accounts.sql",
                                migration_text("SELECT pg_advisory_xact_lock(" + std::to_string(gate_key) +
                                                   ");\nCREATE SCHEMA ledger;\n"
                                                   "CREATE TABLE ledger.accounts (id int PRIMARY KEY);",
                                               "DROP SCHEMA ledger CASCADE;")},
                               {"01002_entries.sql",
                                migration_text("CREATE TABLE ledger.entries (account int REFERENCES ledger.accounts "
                                               "(id), amount numeric NOT NULL);",
                                               "DROP TABLE ledger.entries;")}}}});
  const std::vector<std::string> args{"migrate", "up", "--dsn", dsn, "--modules-dir", modules.path().string(),
                                      "--lock", "table", "--lock-lease", "2s", "--lock-timeout", "2m"};

  pqxx::connection gate(plain);
  pqxx::nontransaction gate_tx(gate);
  gate_tx.exec("SELECT pg_advisory_lock(" + std::to_string(gate_key) + ")");

  app_process holder(args);
  const std::string holder_pid = std::to_string(holder.pid());
  // It runs migrations only once it holds the lease: its backend waiting at the gate means both.
  ASSERT_TRUE(wait_for_value(plain, "SELECT count(*) " + gate_waiters, "1", 60s))
      << "the first runner never reached its first migration:\n" << holder.err_so_far();
  const std::string holder_backend = value(plain, "SELECT pid " + gate_waiters);
  ASSERT_EQ(value(plain, "SELECT count(*) FROM goose_lock WHERE locked AND locked_by LIKE '% pid " + holder_pid +
                             " #%' AND lease_expires_at > now()"),
            "1")
      << "no live lease of pid " << holder_pid << " in goose_lock";

  // The next runner finds the lease held (the heartbeat renews it while the holder lives) and waits.
  app_process next(args);
  ASSERT_TRUE(next.wait_for_err("waiting for the migration lock", 60000)) << next.err_so_far();
  EXPECT_NE(next.err_so_far().find("pid " + holder_pid + " #"), std::string::npos)
      << "the wait does not name the holder:\n" << next.err_so_far();

  holder.signal(SIGKILL);
  auto killed = holder.wait();
  EXPECT_EQ(killed.code, 128 + SIGKILL) << killed.err;
  scan(killed, "app migrate up (the lease holder, killed)");
  // A client killed while its backend waits for a lock leaves that backend waiting (the server
  // notices the lost client only when it next talks to it). End it, as a DBA would, before the gate
  // opens, so its half-run migration is rolled back instead of finished by nobody.
  EXPECT_EQ(value(plain, "SELECT pg_terminate_backend(" + holder_backend + ")"), "t");
  ASSERT_TRUE(wait_for_value(plain, "SELECT count(*) FROM pg_stat_activity WHERE pid = " + holder_backend, "0", 60s));
  // The dead holder never released its row: it is still locked, in its name.
  EXPECT_EQ(value(plain, "SELECT count(*) FROM goose_lock WHERE locked AND locked_by LIKE '% pid " + holder_pid + " #%'"),
            "1");
  gate_tx.exec("SELECT pg_advisory_unlock(" + std::to_string(gate_key) + ")");

  auto r = wait_at_most(next, 120s);
  scan(r, "app migrate up (the next runner)");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("took over the migration lock from '"), std::string::npos) << r.err;
  const auto took_over = r.err.find("took over the migration lock from '");
  EXPECT_NE(r.err.find("pid " + holder_pid + " #", took_over), std::string::npos)
      << "the takeover line does not name the killed holder (pid " << holder_pid << "):\n" << r.err;
  EXPECT_TRUE(logged_applied(r.err, "ledger", 1001)) << r.err;
  EXPECT_TRUE(logged_applied(r.err, "ledger", 1002)) << r.err;
  EXPECT_EQ(applied_counts(plain), (std::map<std::int64_t, int>{{1001, 1}, {1002, 1}}));
  EXPECT_EQ(value(plain, "SELECT count(*) FROM goose_db_version_meta WHERE state = 'dirty'"), "0");
  EXPECT_EQ(value(plain, "SELECT to_regclass('ledger.entries') IS NOT NULL"), "t");
  // The new holder released the row when it finished.
  EXPECT_EQ(value(plain, "SELECT count(*) FROM goose_lock WHERE locked"), "0");
  report("lease_takeover", {{"lease_s", "2"}, {"holder_exit", std::to_string(killed.code)},
                            {"next_exit", std::to_string(r.code)},
                            {"applied_after_takeover", std::to_string(applied_counts(plain).size())}});
}

}  // namespace
