// SIGTERM during a run on SQLite (`--dsn sqlite:FILE`), with the real binary.
// The migration waits on SQLITE_BUSY because this test holds a write lock on
// its module's file (BEGIN IMMEDIATE on another connection); the app logs that
// wait, which is how the test knows the migration is in flight. The signal
// must end the wait at once (not after the 5-minute lock timeout), roll the
// migration back, exit 8 and leave files that hold exactly what the history
// says, so that the next `up` completes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>

#include "migrator/session.h"
#include "migrator/sqlite.h"
#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

namespace {

const int exit_interrupted = 8;

// The same text as the default migration and as its SQLite counterpart.
void write_both(temp_dir& dir, const std::string& module, const std::string& file, const std::string& text) {
  dir.write(module + "/migrations/" + file, text);
  dir.write(module + "/migrations/sqlite/" + file, text);
}

std::vector<std::string> column(const migrator::query_result& r) {
  std::vector<std::string> out;
  for (const auto& row : r.rows) out.push_back(row[0].value_or(""));
  return out;
}

TEST(sqlite_signals, sigterm_while_a_migration_waits_on_sqlite_busy_rolls_it_back_exits_8_and_up_completes) {
  temp_dir dir;
  write_module_set(dir, {{"a",
                          {{"01001_first.sql", migration_text("CREATE TABLE a.first (id INTEGER);")},
                           {"01002_second.sql", migration_text("CREATE TABLE a.second (id INTEGER);")}}},
                         {"shop",
                          {{"02002_blocked.sql", migration_text("CREATE TABLE shop.blocked (id INTEGER);\n"
                                                                "INSERT INTO shop.blocked VALUES (1);")},
                           {"02003_after.sql", migration_text("CREATE TABLE shop.after_blocked (id INTEGER);")}}}});
  for (const auto& [module, file] : std::vector<std::pair<std::string, std::string>>{
           {"a", "01001_first.sql"}, {"a", "01002_second.sql"}, {"shop", "02002_blocked.sql"}, {"shop", "02003_after.sql"}})
    write_both(dir, module, file, read_file(dir.path() / module / "migrations" / file));
  const auto main = (dir.path() / "app.db").string();
  const std::string dsn = "sqlite:" + main;
  const std::string modules = dir.path().string();

  // The history exists before the lock is taken: creating it takes every
  // attached file's write lock (BEGIN IMMEDIATE), so it would wait first.
  auto first = migrate_in(dsn, modules, {"up-to", "1001"});
  ASSERT_EQ(first.code, 0) << first.err;
  // Another connection writes to shop's file: 1002 (module a) can commit,
  // 2002 waits for this lock.
  auto holder = migrator::connect_sqlite(migrator::sqlite_schema_path(main, "shop"), {}, 0ms);
  holder->exec("CREATE TABLE IF NOT EXISTS holder (id INTEGER)");
  holder->exec("BEGIN IMMEDIATE");
  holder->exec("INSERT INTO holder VALUES (1)");

  // An hour's lock timeout: without the stop ending the wait, this run would outlast the test.
  app_process run({"migrate", "up", "--dsn", dsn, "--modules-dir", modules, "--lock-timeout", "1h"});
  ASSERT_TRUE(run.wait_for_err("(SQLITE_BUSY)", 60000)) << run.err_so_far();
  run.signal(SIGTERM);
  auto r = run.wait();
  EXPECT_EQ(r.code, exit_interrupted) << r.err;
  EXPECT_THAT(r.err, HasSubstr("received SIGTERM"));
  EXPECT_THAT(r.err, HasSubstr("completed before the signal: applied a 1002 second"));
  EXPECT_THAT(r.err, HasSubstr("shop 2002 blocked was cancelled on the server and rolled back"));
  EXPECT_THAT(r.err, HasSubstr("Not started: shop 2003 after"));
  holder->exec("ROLLBACK");
  holder.reset();

  {
    // Consistent: 1001 and 1002 recorded and present, nothing of 2002, nothing dirty.
    auto db = migrator::connect_sqlite(main, {{"a", migrator::sqlite_schema_path(main, "a")},
                                              {"shop", migrator::sqlite_schema_path(main, "shop")}},
                                       0ms);
    for (const char* schema : {"main", "a", "shop"})
      EXPECT_EQ(db->exec(std::string("PRAGMA ") + schema + ".integrity_check").text(0, 0), "ok") << schema;
    EXPECT_EQ(column(db->exec("SELECT version_id FROM goose_db_version WHERE version_id > 0 ORDER BY version_id")),
              (std::vector<std::string>{"1001", "1002"}));
    EXPECT_EQ(column(db->exec("SELECT version_id || ' ' || state FROM goose_db_version_meta ORDER BY version_id")),
              (std::vector<std::string>{"1001 applied", "1002 applied"}));
    EXPECT_EQ(column(db->exec("SELECT name FROM a.sqlite_master WHERE type = 'table' ORDER BY name")),
              (std::vector<std::string>{"first", "second"}));
    EXPECT_EQ(column(db->exec("SELECT name FROM shop.sqlite_master WHERE type = 'table' ORDER BY name")),
              (std::vector<std::string>{"holder"}));
  }

  // The lock file was released with the process: the next run takes it and completes.
  auto again = migrate_in(dsn, modules, {"up"});
  ASSERT_EQ(again.code, 0) << again.err;
  auto db = migrator::connect_sqlite(main, {{"shop", migrator::sqlite_schema_path(main, "shop")}}, 0ms);
  EXPECT_EQ(column(db->exec("SELECT version_id FROM goose_db_version WHERE version_id > 0 ORDER BY version_id")),
            (std::vector<std::string>{"1001", "1002", "2002", "2003"}));
  EXPECT_EQ(db->exec("SELECT count(*) FROM shop.blocked").text(0, 0), "1");
}

}  // namespace
