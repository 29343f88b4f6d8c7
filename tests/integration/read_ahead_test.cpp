// backend_opener asks, on its connecting thread, what opening and the
// engine's first look at the history will ask (pg_session::read_ahead), so the
// server answers while the module set loads. The answers serve only the same
// requests made first, in order; any other request drops them. A statement
// that failed answers with its error in its turn.
//
// Which answer the engine got is seen through a change made by another
// connection after the opener connected: an answer read ahead is from before it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "migrator/backend.h"
#include "migrator/engine.h"
#include "test_support.h"
#include "two_table_set.h"

using namespace testing_support;
using migrator::history_look;

namespace {

class read_ahead : public two_table_database {
 protected:
  // An engine on a connection opened with `first` asked ahead; open() has
  // waited for the connecting thread, so the answers are in.
  migrator::engine opened(const migrator::engine_options& options, history_look first) const {
    migrator::backend_opener opener(db.dsn(), options, first);
    return migrator::engine(opener.open(set, options), set, options);
  }

  // Another runner applies up to `version`.
  void applied_elsewhere(std::int64_t version) const {
    migrator::engine(db.dsn(), set, {}).run({migrator::command_kind::up_to, version});
  }
};

TEST_F(read_ahead, the_first_read_is_the_one_asked_when_the_connection_opened) {
  applied_elsewhere(1001);
  auto e = opened(reading(), history_look::status);
  applied_elsewhere(1002);
  EXPECT_EQ(e.status().current_version, 1001) << "status did not take the history read ahead";
  EXPECT_EQ(e.status().current_version, 1002) << "a second read was answered from before";
}

// A plan (and a dry run) reads every history row: history_look::read.
TEST_F(read_ahead, a_plan_takes_the_full_read_asked_ahead) {
  applied_elsewhere(1001);
  auto e = opened(reading(), history_look::read);
  applied_elsewhere(1002);
  std::int64_t current = 0;
  EXPECT_EQ(e.plan({migrator::command_kind::up, 0}, &current).size(), 1u) << "the plan did not take the read ahead";
  EXPECT_EQ(current, 1001);
  EXPECT_TRUE(e.plan({migrator::command_kind::up, 0}, &current).empty()) << "a second read was answered from before";
  EXPECT_EQ(current, 1002);
}

TEST_F(read_ahead, a_request_other_than_the_one_asked_ahead_reads_the_server) {
  applied_elsewhere(1001);
  auto e = opened(reading(), history_look::up_to_date_check);
  applied_elsewhere(1002);
  // read() is not the comparison asked ahead: it goes to the server, and the
  // comparison's answer is dropped with it.
  EXPECT_EQ(e.status().current_version, 1002);
  EXPECT_EQ(e.version_if_current(), std::optional<std::int64_t>(1002));
}

TEST_F(read_ahead, up_plans_again_from_the_server_under_the_lock) {
  applied_elsewhere(1001);
  auto e = opened({}, history_look::up_to_date_check);
  applied_elsewhere(1002);
  // The up-to-date check answered ahead (1002 pending then); the reads after it
  // are the server's: nothing is applied twice.
  const auto report = e.run({migrator::command_kind::up, 0});
  EXPECT_TRUE(report.steps.empty());
  EXPECT_EQ(report.current_version, 1002);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version WHERE version_id = 1002"), "1");
}

TEST_F(read_ahead, a_fresh_database_is_read_again_and_migrated) {
  // No history table: the read asked ahead failed (42P01) and is asked again.
  auto reader = opened(reading(), history_look::read);
  const auto fresh = reader.status();
  EXPECT_EQ(fresh.current_version, 0);
  ASSERT_EQ(fresh.migrations.size(), 2u);
  EXPECT_EQ(fresh.migrations[0].state, migrator::migration_state::pending);

  auto writer = opened({}, history_look::up_to_date_check);
  const auto report = writer.run({migrator::command_kind::up, 0});
  EXPECT_EQ(report.steps.size(), 2u);
  EXPECT_EQ(report.current_version, 1002);
}

// A statement that failed ahead answers with its error, as if sent then: the
// history another runner creates after the connection opened is not seen by
// that answer, only by the next request.
TEST_F(read_ahead, an_error_read_ahead_answers_in_its_turn) {
  auto e = opened({}, history_look::up_to_date_check);  // no history yet: 42P01 ahead
  applied_elsewhere(1002);
  EXPECT_EQ(e.version_if_current(), std::nullopt) << "the error read ahead did not answer";
  EXPECT_EQ(e.version_if_current(), std::optional<std::int64_t>(1002)) << "the next request did not read the server";
}

TEST_F(read_ahead, a_broken_request_ahead_is_reported_in_its_turn) {
  applied_elsewhere(1002);
  // The table the options name does not exist: the read asked ahead fails,
  // and the engine's own read reports the database as fresh, as without it.
  auto options = reading();
  options.table = "elsewhere.goose_db_version";
  auto e = opened(options, history_look::read);
  EXPECT_EQ(e.status().current_version, 0);
}

// ready(): open() would not wait. It turns true once the thread has connected
// and asked ahead, or failed; a SQLite file has nothing to wait for.
bool ready_within(const migrator::backend_opener& opener, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!opener.ready()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

TEST_F(read_ahead, ready_once_connected_then_open_reads_what_was_asked) {
  applied_elsewhere(1001);
  migrator::backend_opener opener(db.dsn(), reading(), history_look::status);
  ASSERT_TRUE(ready_within(opener, std::chrono::seconds(10)));
  applied_elsewhere(1002);
  migrator::engine e(opener.open(set, reading()), set, reading());
  EXPECT_EQ(e.status().current_version, 1001) << "ready before the history was read ahead";
}

TEST_F(read_ahead, ready_once_the_attempt_failed_and_open_reports_it) {
  migrator::backend_opener opener("host=" + modules.path().string() + " port=1 dbname=none connect_timeout=5", reading(),
                                  history_look::read);
  ASSERT_TRUE(ready_within(opener, std::chrono::seconds(10)));
  EXPECT_THROW(opener.open(set, reading()), migrator::error);
}

TEST_F(read_ahead, a_sqlite_file_is_ready_at_once) {
  const migrator::backend_opener opener("sqlite:" + (modules.path() / "app.db").string(), reading(), history_look::read);
  EXPECT_TRUE(opener.ready());
}

}  // namespace
