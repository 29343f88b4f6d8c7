// `--dry-run` changes nothing, watched while it runs rather than judged after:
// another session holds the history tables (ACCESS EXCLUSIVE) and, in one of
// two runs of each command, the migration's advisory lock, so the dry run is
// caught in flight, blocked on its read of the history; a monitor polls pg_locks and pg_stat_activity for
// every backend of the database from before the command starts until it
// exits. A dry run may read (AccessShareLock) and nothing else: no advisory
// lock (granted or awaited), no stronger relation lock, no transaction id (a
// write), no new relation. A control run of `up` under the same monitor must
// show those very things: the monitor can see what it looks for.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "reliability.h"

using namespace reliability;
using namespace std::chrono_literals;
using testing_support::app_process;
using testing_support::migration_text;
using testing_support::test_database;
using ::testing::HasSubstr;

namespace {

constexpr const char* goose_lock_key = "4097083626";

// What the monitor saw the command's backends do.
struct observed {
  int polls = 0;
  int backends = 0;                 // client backends of the command in the latest poll
  bool blocked_on_history = false;  // waited for our lock on the history tables
  std::set<std::string> forbidden;  // "locktype mode relation" beyond reading, "xid", "new relation"
  std::set<std::string> seen;       // every lock seen, for the failure message
};

// Polls every few milliseconds, on its own connection, every client backend of
// the database except the test's own sessions.
class monitor {
 public:
  monitor(const std::string& dsn, int holder_pid) {
    thread_ = std::thread([this, dsn, holder_pid] {
      pqxx::connection c(dsn);
      const std::string relations_sql =
          "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
          "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'";
      std::string relations;
      {
        pqxx::nontransaction tx(c);
        relations = tx.exec(relations_sql)[0][0].c_str();
      }
      while (!stop_) {
        pqxx::nontransaction tx(c);
        auto r = tx.exec(
            "SELECT a.backend_xid IS NOT NULL, coalesce(l.locktype, ''), coalesce(l.mode, ''), "
            "coalesce(l.granted, true), coalesce(l.relation::regclass::text, ''), "
            "coalesce(l.classid::text || '/' || l.objid::text, ''), a.pid "
            "FROM pg_stat_activity a LEFT JOIN pg_locks l ON l.pid = a.pid "
            "WHERE a.datname = current_database() AND a.backend_type = 'client backend' "
            "AND a.pid <> pg_backend_pid() AND a.pid <> " + std::to_string(holder_pid));
        const std::string now = tx.exec(relations_sql)[0][0].c_str();
        std::unique_lock<std::mutex> guard(mutex_);
        ++seen_.polls;
        std::set<std::string> pids;
        for (const auto& row : r) pids.insert(row[6].c_str());
        seen_.backends = static_cast<int>(pids.size());
        if (now != relations) seen_.forbidden.insert("new relation (" + relations + " -> " + now + ")");
        for (const auto& row : r) {
          const std::string type = row[1].c_str(), mode = row[2].c_str(), relation = row[4].c_str();
          const bool granted = row[3].as<bool>();
          if (row[0].as<bool>()) seen_.forbidden.insert("xid (the backend wrote)");
          if (type.empty()) continue;
          const std::string what = type + " " + mode + (granted ? "" : " (waiting)") + " " + relation + row[5].c_str();
          seen_.seen.insert(what);
          if (!granted && type == "relation" && relation.rfind("goose_db_version", 0) == 0) seen_.blocked_on_history = true;
          // Every backend holds RowExclusiveLock on its database (pg_database, class 1262)
          // while it starts up, so that the database cannot be dropped under it: connecting, not writing.
          const bool starting_up =
              type == "object" && mode == "RowExclusiveLock" && std::string(row[5].c_str()).rfind("1262/", 0) == 0;
          const bool reading =
              (type == "relation" && mode == "AccessShareLock") || type == "virtualxid" || starting_up;
          if (!reading) seen_.forbidden.insert(what);
        }
        guard.unlock();
        polled_.notify_all();
        tx.commit();
        std::this_thread::sleep_for(2ms);  // the polling interval, not a wait for anything
      }
    });
  }
  ~monitor() { stop(); }
  observed stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    std::lock_guard<std::mutex> guard(mutex_);
    return seen_;
  }
  // Waits (at most `limit`, a generous bound that only a hang reaches) until a
  // poll leaves `done` true; returns whether one did.
  bool wait_for(const std::function<bool(const observed&)>& done, std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> guard(mutex_);
    return polled_.wait_for(guard, limit, [&] { return done(seen_); });
  }
  int polls() {
    std::lock_guard<std::mutex> guard(mutex_);
    return seen_.polls;
  }

 private:
  std::atomic<bool> stop_{false};
  std::condition_variable polled_;
  std::mutex mutex_;
  observed seen_;
  std::thread thread_;
};

std::string join(const std::set<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += "\n  " + i;
  return s;
}

// Runs `args` while a holder session keeps the history tables locked (until the
// command is seen blocked on them) and, when `hold_advisory`, the migration lock
// (until the command exits). Returns the command's result and what the monitor saw.
std::pair<run_result, observed> run_watched(const std::string& plain, const std::vector<std::string>& args,
                                            bool hold_advisory) {
  pqxx::connection holder(plain);
  const int holder_pid = holder.backendpid();
  if (hold_advisory) {
    pqxx::nontransaction tx(holder);
    tx.exec(std::string("SELECT pg_advisory_lock(") + goose_lock_key + ")");
  }
  auto table_lock = std::make_unique<pqxx::work>(holder);
  table_lock->exec("LOCK TABLE goose_db_version, goose_db_version_meta IN ACCESS EXCLUSIVE MODE");

  monitor watch(plain, holder_pid);
  app_process p(args);
  // Caught in flight: blocked on the history tables. Then some more polls while it
  // waits there, so that any lock it holds while blocked is seen.
  if (watch.wait_for([](const observed& o) { return o.blocked_on_history; }, 60s)) {
    const int caught_at = watch.polls();
    EXPECT_TRUE(watch.wait_for([caught_at](const observed& o) { return o.polls >= caught_at + 20; }, 60s))
        << "the monitor stopped polling";
  }
  table_lock->commit();
  table_lock.reset();
  auto r = wait_at_most(p, 60s);
  // The backend leaves after the client: watch until a poll after the exit finds it gone.
  const int exited_at = watch.polls();
  EXPECT_TRUE(watch.wait_for([exited_at](const observed& o) { return o.polls > exited_at && o.backends == 0; }, 60s))
      << "the command's backend stayed after it exited";
  auto seen = watch.stop();
  if (hold_advisory) {
    pqxx::nontransaction tx(holder);
    tx.exec(std::string("SELECT pg_advisory_unlock(") + goose_lock_key + ")");
  }
  return {r, seen};
}

TEST(reliability_dry_run, dry_runs_take_no_lock_and_write_nothing_while_they_run) {
  ensure_secret_role(testing_support::admin_dsn());
  test_database db;
  temp_dir modules;
  testing_support::write_module_set(
      modules, {{"alpha", {{"01001_a.sql", migration_text("CREATE TABLE a (id int);", "DROP TABLE a;")},
                           {"01002_b.sql", migration_text("CREATE TABLE b (id int);\nSELECT pg_sleep(0.3);", "DROP TABLE b;")}}},
                {"beta", {{"02001_c.sql", "-- +goose NO TRANSACTION\n" +
                                              migration_text("CREATE INDEX CONCURRENTLY c ON a (id);",
                                                             "DROP INDEX CONCURRENTLY c;")}}}});
  const std::string dir = modules.path().string();
  const std::string secret = secret_dsn(db.dsn(), 0);
  // One applied, two pending: every command has work, and the history tables exist to be locked.
  ASSERT_EQ(migrate(secret, dir, {"up-by-one"}).code, 0);
  const std::string history_before = history(db.dsn());
  const std::string schema_before = schema_dump(db.dsn());

  const std::vector<std::vector<std::string>> commands{
      {"up"}, {"up-by-one"}, {"up-to", "2001"}, {"down"}, {"down-to", "0"}, {"redo"}, {"reset"}};
  // Each command twice: with the migration lock held elsewhere (a dry run must
  // not wait for it) and with it free (a dry run must not take it).
  int polls = 0, caught_in_flight = 0, runs = 0;
  for (const bool lock_held : {true, false})
  for (const auto& command : commands) {
    SCOPED_TRACE(testing::PrintToString(command) + (lock_held ? " with the lock held elsewhere" : " with the lock free"));
    std::vector<std::string> args{"migrate"};
    args.insert(args.end(), command.begin(), command.end());
    args.insert(args.end(), {"--dry-run", "--lock-timeout", "2s", "--dsn", secret, "--modules-dir", dir});
    auto [r, seen] = run_watched(db.dsn(), args, lock_held);
    ++runs;
    scan(r, "dry run " + command[0]);
    polls += seen.polls;
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("-- "));  // the plan
    EXPECT_THAT(r.err, ::testing::Not(HasSubstr("waiting for the migration lock")));
    EXPECT_TRUE(seen.blocked_on_history) << "never caught in flight; locks seen:" << join(seen.seen);
    if (seen.blocked_on_history) ++caught_in_flight;
    EXPECT_TRUE(seen.forbidden.empty()) << "a dry run did more than read:" << join(seen.forbidden);
    EXPECT_EQ(first_difference(history_before, history(db.dsn())), "");
  }
  EXPECT_EQ(first_difference(schema_before, schema_dump(db.dsn())), "");

  // The control: `up` for real, watched the same way (without our advisory
  // lock, so that it can take it), shows what a dry run must not do (01002
  // sleeps after its CREATE TABLE: its transaction id stays in view).
  std::vector<std::string> up{"migrate", "up", "--dsn", secret, "--modules-dir", dir};
  auto [r, seen] = run_watched(db.dsn(), up, false);
  scan(r, "watched up");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(seen.blocked_on_history) << join(seen.seen);
  bool advisory = false, xid = false, strong = false;
  for (const auto& f : seen.forbidden) {
    if (f.rfind("advisory", 0) == 0) advisory = true;
    if (f.rfind("xid", 0) == 0) xid = true;
    if (f.rfind("relation AccessExclusiveLock", 0) == 0 || f.rfind("relation RowExclusiveLock", 0) == 0 ||
        f.rfind("relation ShareUpdateExclusiveLock", 0) == 0)
      strong = true;
  }
  EXPECT_TRUE(xid) << "the monitor missed the writes of a real run:" << join(seen.forbidden);
  EXPECT_TRUE(advisory || strong) << "the monitor missed the locks of a real run:" << join(seen.forbidden);
  report("dry_run", {{"commands", std::to_string(commands.size())},
                     {"runs", std::to_string(runs)},
                     {"caught_in_flight", std::to_string(caught_in_flight)},
                     {"monitor_polls", std::to_string(polls)},
                     {"control_up_seen_xid", xid ? "1" : "0"},
                     {"control_up_seen_advisory_lock", advisory ? "1" : "0"},
                     {"control_up_forbidden_seen", std::to_string(seen.forbidden.size())}});
}

}  // namespace
