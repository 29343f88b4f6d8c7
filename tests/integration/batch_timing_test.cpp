// Migrations that travel in one request (a request group) each commit alone
// and each get their own server-side duration in the side table: a mark after
// every BEGIN (history_store::step_started_sql) restarts the clock, because
// the server's statement clock is the request's. On a direct session the mark
// is a prepared statement, like the record statement; through a pooler it is
// the plain SELECT.
#include <gtest/gtest.h>

#include "migrator/engine.h"
#include "migrator/environment.h"
#include "migrator/postgres.h"
#include "migrator/source.h"
#include "test_support.h"

using namespace testing_support;

namespace {

class batch_timing : public ::testing::Test {
 protected:
  test_database db;
  temp_dir modules;

  migrator::module_set load() {
    auto assembled = migrator::assemble(migrator::make_directory_source(modules.path())->load(),
                                        migrator::process_environment());
    EXPECT_TRUE(assembled.ok());
    return std::move(assembled.set);
  }

  // `up` on `session` with the set now in `modules`: how many steps it ran.
  std::size_t up(migrator::session& session, bool direct) {
    const migrator::module_set set = load();
    auto history = migrator::make_goose_history_store(session, "goose_db_version", direct);
    auto lock = migrator::make_advisory_lock(session, 7303);
    migrator::engine engine(session, *history, *lock, set, {});
    return engine.run({migrator::command_kind::up, 0}).steps.size();
  }

  // The side table's duration of each version, in version order, as "version:slow|fast"
  // (slow: at least `slow_ms`).
  std::string durations(int slow_ms) {
    return db.scalar("SELECT string_agg(version_id || ':' || CASE WHEN duration_ms >= " + std::to_string(slow_ms) +
                     " THEN 'slow' ELSE 'fast' END, ' ' ORDER BY version_id) FROM goose_db_version_meta");
  }
};

// Four migrations in one request on a database whose tables exist; the second
// sleeps. Were the marks missing (or run once per request), every migration
// after the sleeping one would be timed from the request's start and read slow.
TEST_F(batch_timing, each_migration_of_a_request_is_timed_from_its_own_begin_through_the_prepared_mark) {
  write_module_set(modules, {{"db", {{"01001_a.sql", migration_text("CREATE TABLE a (id int);")}}}});
  ASSERT_EQ(up(*migrator::connect_postgres(db.dsn()), /*direct=*/true), 1u);
  write_module_set(modules, {{"db",
                              {{"01001_a.sql", migration_text("CREATE TABLE a (id int);")},
                               {"01002_b.sql", migration_text("CREATE TABLE b (id int);")},
                               {"01003_slow.sql", migration_text("SELECT pg_sleep(0.4);")},
                               {"01004_c.sql", migration_text("CREATE TABLE c (id int);")},
                               {"01005_d.sql", migration_text("CREATE TABLE d (id int);")}}}});
  const auto session = migrator::connect_postgres(db.dsn());
  ASSERT_EQ(up(*session, /*direct=*/true), 4u);
  EXPECT_EQ(durations(400), "1001:fast 1002:fast 1003:slow 1004:fast 1005:fast");
  // The four marks went through the prepared statement of this session.
  EXPECT_EQ(session
                ->exec("SELECT generic_plans + custom_plans FROM pg_prepared_statements "
                       "WHERE name = 'migrator_step_started'")
                .text(0, 0),
            "4");
}

// Through a pooler (not direct) nothing is prepared: the marks are plain
// SELECTs, and the migrations are still timed each from their own BEGIN.
TEST_F(batch_timing, without_prepared_statements_the_mark_is_a_plain_select_with_the_same_timing) {
  write_module_set(modules, {{"db",
                              {{"01001_a.sql", migration_text("CREATE TABLE a (id int);")},
                               {"01002_slow.sql", migration_text("SELECT pg_sleep(0.4);")},
                               {"01003_b.sql", migration_text("CREATE TABLE b (id int);")}}}});
  const auto session = migrator::connect_postgres(db.dsn());
  ASSERT_EQ(up(*session, /*direct=*/false), 3u);
  EXPECT_EQ(durations(400), "1001:fast 1002:slow 1003:fast");
  EXPECT_EQ(session->exec("SELECT count(*) FROM pg_prepared_statements").text(0, 0), "0");
}

}  // namespace
