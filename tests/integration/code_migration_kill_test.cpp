// A real program with compiled code migrations (code_migration_runner, built
// from tests/testdata/code_modules the way a program embeds its modules),
// killed with SIGKILL half-way through a no-transaction code migration:
// - the 100,000-row backfill (process_in_batches, 1000 rows a batch) is dirty
//   with its progress, resumes after repair and ends with every row's counter at 1;
// - a migration keeping its own positions resumes after its last committed step.
// The migration is stopped at a known point by a table lock this test holds,
// so the kill lands while a batch's transaction is open.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <pqxx/pqxx>
#include <thread>

#include "migrator/engine.h"
#include "migrator/source.h"
#include "test_support.h"

extern char** environ;

using namespace testing_support;

namespace {

struct runner_result {
  int code = -1;
  std::string err;
};

// The runner as a child process; its stderr goes to a file.
class runner {
 public:
  runner(const std::string& dsn, const std::string& target) {
    err_path_ = (io_.path() / "err").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    std::vector<std::string> args{MIGRATOR_CODE_MIGRATION_RUNNER, dsn};
    if (!target.empty()) args.push_back(target);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " MIGRATOR_CODE_MIGRATION_RUNNER);
  }
  ~runner() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  void signal(int sig) { kill(pid_, sig); }
  void kill9() {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  }
  runner_result wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(err_path_)};
  }

 private:
  temp_dir io_;
  std::string err_path_;
  pid_t pid_ = -1;
};

runner_result run_to_end(const std::string& dsn, const std::string& target = "") { return runner(dsn, target).wait(); }

// The same module set, read from its folder: status and repair need no compiled code.
migrator::module_set code_modules() {
  auto assembled = migrator::assemble(
      migrator::make_directory_source(MIGRATOR_SOURCE_DIR "/tests/testdata/code_modules")->load(),
      migrator::process_environment());
  EXPECT_TRUE(assembled.ok());
  return std::move(assembled.set);
}

const migrator::migration_status& status_of(const migrator::status_report& r, std::int64_t version) {
  for (const auto& m : r.migrations)
    if (m.version == version) return m;
  throw std::runtime_error("no version " + std::to_string(version));
}

// Polls `sql` until it returns `expected` or 60 s pass.
bool wait_until(const test_database& db, const std::string& sql, const std::string& expected) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (db.scalar(sql) == expected) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// Holds ACCESS EXCLUSIVE on a gate table: the migration's next read of it waits.
class gate {
 public:
  gate(const std::string& dsn, const std::string& table) : conn_(std::make_unique<pqxx::connection>(dsn)) {
    tx_ = std::make_unique<pqxx::work>(*conn_);
    pid_ = tx_->exec("SELECT pg_backend_pid()")[0][0].as<std::string>();
    tx_->exec("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
  }
  void open() { tx_->abort(); }
  const std::string& pid() const { return pid_; }

 private:
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<pqxx::work> tx_;
  std::string pid_;
};

// The killed runner's backend would hold the advisory lock until the server
// notices; end it as the server would on a dead client's next write.
void end_orphaned_backends(const test_database& db, const gate& held) {
  db.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
          "AND pid <> pg_backend_pid() AND pid <> " + held.pid() + " AND backend_type = 'client backend'");
}

const char* const waiting_on_gate =
    "SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
    "AND query LIKE '%code_gate%'";

TEST(code_migration_kill, backfill_of_100000_rows_killed_mid_way_resumes_and_processes_each_row_once) {
  test_database db;
  auto first = run_to_end(db.dsn(), "1001");
  ASSERT_EQ(first.code, 0) << first.err;

  gate batches(db.dsn(), "code_gate_batches");
  runner killed(db.dsn(), "1002");
  // Batches 1..30 commit; batch 31 waits on the gate inside its transaction.
  ASSERT_TRUE(wait_until(db, waiting_on_gate, "t"));
  EXPECT_EQ(db.scalar("SELECT last_key || ' ' || steps FROM goose_db_version_progress WHERE version_id = 1002"),
            "30000 30");
  killed.kill9();
  end_orphaned_backends(db, batches);
  batches.open();

  // Dirty, with its progress: 30 of 100 batches.
  const auto set = code_modules();
  migrator::engine engine(db.dsn(), set, migrator::engine_options{});
  const auto report = engine.status();  // held: status_of returns a reference into it
  const auto& dirty = status_of(report, 1002);
  EXPECT_EQ(dirty.state, migrator::migration_state::dirty);
  EXPECT_EQ(dirty.statements_done, 30);
  EXPECT_EQ(dirty.statements_total, 100);
  EXPECT_EQ(db.scalar("SELECT count(*) FILTER (WHERE processed = 1) || ' ' || count(*) FILTER (WHERE processed = 0) "
                      "FROM code_items"),
            "30000 70000");

  // Refused while dirty; after repair it resumes after batch 30.
  auto refused = run_to_end(db.dsn(), "1002");
  EXPECT_EQ(refused.code, 1);
  EXPECT_NE(refused.err.find("dirty: a no-transaction code migration stopped after step 30 of 100"), std::string::npos)
      << refused.err;
  engine.repair_mark_rolled_back(1002);
  auto resumed = run_to_end(db.dsn(), "1002");
  ASSERT_EQ(resumed.code, 0) << resumed.err;

  EXPECT_EQ(db.scalar("SELECT count(*) FROM code_items WHERE processed = 1"), "100000");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM code_items WHERE processed <> 1"), "0");
  EXPECT_EQ(status_of(engine.status(), 1002).state, migrator::migration_state::applied);
  EXPECT_EQ(db.scalar("SELECT statements_done FROM goose_db_version_meta WHERE version_id = 1002"), "100");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version_progress"), "0");
}

// SIGTERM instead of -9: the runner interrupts its engine. Batch 31 (waiting on
// the gate, which stays closed) is cancelled and rolled back whole; the run
// exits 8 with batches 1..30 kept, dirty with that progress, and resumes.
TEST(code_migration_kill, sigterm_mid_backfill_cancels_the_batch_in_flight_and_the_rerun_completes) {
  test_database db;
  auto first = run_to_end(db.dsn(), "1001");
  ASSERT_EQ(first.code, 0) << first.err;

  gate batches(db.dsn(), "code_gate_batches");
  runner stopped(db.dsn(), "1002");
  ASSERT_TRUE(wait_until(db, waiting_on_gate, "t"));
  stopped.signal(SIGTERM);
  // Returns while the gate is still held: the batch's wait was cancelled, not waited out.
  const auto r = stopped.wait();
  EXPECT_EQ(r.code, 8) << r.err;
  EXPECT_NE(r.err.find("interrupted: no migration was completed by this run. core 1002 count_every_row (NO "
                       "TRANSACTION code) was stopped after step 30: its step in flight, if any, was cancelled and "
                       "rolled back."),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("The migration lock was released."), std::string::npos) << r.err;
  EXPECT_EQ(db.scalar(waiting_on_gate), "f");
  EXPECT_EQ(db.scalar("SELECT last_key || ' ' || steps FROM goose_db_version_progress WHERE version_id = 1002"),
            "30000 30");
  EXPECT_EQ(db.scalar("SELECT count(*) FILTER (WHERE processed = 1) || ' ' || count(*) FILTER (WHERE processed = 0) "
                      "FROM code_items"),
            "30000 70000");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                      "WHERE d.datname = current_database() AND l.locktype = 'advisory'"),
            "0");
  batches.open();

  const auto set = code_modules();
  migrator::engine engine(db.dsn(), set, migrator::engine_options{});
  {
    const auto report = engine.status();
    const auto& dirty = status_of(report, 1002);
    EXPECT_EQ(dirty.state, migrator::migration_state::dirty);
    EXPECT_EQ(dirty.statements_done, 30);
    EXPECT_EQ(dirty.statements_total, 100);
  }
  engine.repair_mark_rolled_back(1002);
  auto resumed = run_to_end(db.dsn(), "1002");
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(db.scalar("SELECT count(*) FILTER (WHERE processed = 1) || ' ' || count(*) FILTER (WHERE processed <> 1) "
                      "FROM code_items"),
            "100000 0");
  EXPECT_EQ(status_of(engine.status(), 1002).state, migrator::migration_state::applied);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version_progress"), "0");
}

TEST(code_migration_kill, no_transaction_code_killed_half_way_is_dirty_with_progress_and_resumes_after_repair) {
  test_database db;
  auto first = run_to_end(db.dsn(), "1002");
  ASSERT_EQ(first.code, 0) << first.err;

  gate steps(db.dsn(), "code_gate_steps");
  runner killed(db.dsn(), "");
  ASSERT_TRUE(wait_until(db, waiting_on_gate, "t"));
  killed.kill9();
  end_orphaned_backends(db, steps);
  steps.open();

  EXPECT_EQ(db.query("SELECT step::text FROM code_steps ORDER BY code_steps.step"),
            (std::vector<std::string>{"1", "2", "3", "4", "5"}));
  const auto set = code_modules();
  migrator::engine engine(db.dsn(), set, migrator::engine_options{});
  const auto status = engine.status();
  const auto& dirty = status_of(status, 1003);
  EXPECT_EQ(dirty.state, migrator::migration_state::dirty);
  EXPECT_EQ(dirty.kind, migrator::migration_kind::code);
  EXPECT_EQ(dirty.statements_done, 5);
  EXPECT_EQ(dirty.statements_total, 10);
  EXPECT_EQ(status_of(status, 1004).state, migrator::migration_state::pending);

  engine.repair_mark_rolled_back(1003);
  auto resumed = run_to_end(db.dsn());
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(db.query("SELECT step::text FROM code_steps ORDER BY code_steps.step"),
            (std::vector<std::string>{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}));
  EXPECT_TRUE(engine.status().current());
}

}  // namespace
