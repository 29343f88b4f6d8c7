// A fresh database's history tables are made on a connection of their own
// while the first migration's statements run on the engine's (history_store::
// tables_to_make_aside): the migration waits for them only before its history
// rows. Made or not, the migration and its rows commit together: a failure to
// make the tables rolls the migration back, and without a second connection
// the tables are made inside the migration's transaction.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <thread>

#include "migrator/engine.h"
#include "migrator/environment.h"
#include "migrator/error.h"
#include "migrator/postgres.h"
#include "migrator/source.h"
#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;

namespace {

// Drops a role made by a test (and what it owns) when the test ends, passed or not.
struct dropped_role {
  const test_database& db;
  std::string role;
  ~dropped_role() { db.exec("DROP OWNED BY " + role + "; DROP ROLE " + role); }
};

class tables_made_aside : public ::testing::Test {
 protected:
  test_database fresh;
  temp_dir modules;
  migrator::module_set set;

  // One migration, 01001, whose first statement writes to `gate`.
  void SetUp() override {
    fresh.exec("CREATE TABLE gate (id int)");
    write_module_set(modules, {{"db",
                                {{"01001_a.sql", migration_text("INSERT INTO gate VALUES (1);\nCREATE TABLE a (id int);",
                                                                "DROP TABLE a;")}}}});
    auto assembled = migrator::assemble(migrator::make_directory_source(modules.path())->load(),
                                        migrator::process_environment());
    ASSERT_TRUE(assembled.ok());
    set = std::move(assembled.set);
  }

  // `up` as `dsn` connects, its history in `table`, on libpq sessions.
  migrator::run_report up(const std::string& dsn, const std::string& table) {
    const auto session = migrator::connect_postgres(dsn);
    auto history = migrator::make_goose_history_store(*session, table);
    auto lock = migrator::make_advisory_lock(*session, 7302);
    migrator::engine engine(*session, *history, *lock, set, {});
    return engine.run({migrator::command_kind::up, 0});
  }

  // Waits (up to 30 s) until `sql` on `fresh` answers "t".
  bool eventually(const std::string& sql) const {
    for (int i = 0; i < 3000; ++i) {
      if (fresh.scalar(sql) == "t") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
};

TEST_F(tables_made_aside, the_first_migration_runs_before_its_history_tables_exist) {
  fresh.exec("CREATE SCHEMA audit");
  // Until this transaction ends, a table cannot be created in audit: the
  // history tables' CREATE waits for the schema's lock.
  const auto holder = migrator::connect_postgres(fresh.dsn());
  holder->exec("BEGIN");
  holder->exec("DROP SCHEMA audit");

  std::optional<migrator::run_report> report;
  std::thread run([&] { report = up(fresh.dsn(), "audit.goose_db_version"); });
  // The tables' transaction waits on the lock, and the migration's statements
  // have run beside it: its session is idle in its transaction, waiting for them.
  const bool both = eventually(
      "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock' AND query LIKE '%CREATE TABLE IF NOT EXISTS "
      "\"audit\".\"goose_db_version\"%') = 1 AND count(*) FILTER (WHERE state = 'idle in transaction' AND "
      "query LIKE '%INSERT INTO gate VALUES (1)%') = 1 FROM pg_stat_activity WHERE datname = current_database()");
  std::string sessions;
  if (!both)
    for (const auto& row : fresh.query("SELECT coalesce(state, '') || ' ' || coalesce(wait_event_type, '') || ' ' || "
                                       "left(query, 80) FROM pg_stat_activity WHERE datname = current_database()"))
      sessions += "\n  " + row;
  holder->exec("ROLLBACK");
  run.join();
  EXPECT_TRUE(both) << "the migration's statements did not run while the tables were being made:" << sessions;
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->steps.size(), 1u);
  EXPECT_EQ(fresh.scalar("SELECT string_agg(id || ':' || version_id, ' ' ORDER BY id) FROM audit.goose_db_version"),
            "1:0 2:1001");
  EXPECT_EQ(fresh.scalar("SELECT module || ' ' || name || ' ' || state FROM audit.goose_db_version_meta"),
            "db a applied");
  EXPECT_EQ(fresh.scalar("SELECT count(*) FROM a"), "0");
}

// The record statement and the step mark are prepared on the engine's session
// (the other connection's would not serve them), by the first request built
// once the tables are made: the first request group (100 migrations) was
// built before, and uses neither; the second sends the PREPAREs once, ahead of
// its first migration, and records each of its migrations through them. A run
// of one request prepares nothing: nothing would use them.
TEST_F(tables_made_aside, the_statements_are_prepared_with_the_first_request_built_after_they_are_made) {
  // 01001_a (SetUp's) and 103 more.
  std::vector<std::pair<std::string, std::string>> files;
  for (int v = 1002; v <= 1104; ++v)
    files.push_back({"0" + std::to_string(v) + "_m.sql",
                     migration_text("CREATE TABLE t" + std::to_string(v) + " (id int);",
                                    "DROP TABLE t" + std::to_string(v) + ";")});
  write_module_set(modules, {{"db", files}});
  auto assembled = migrator::assemble(migrator::make_directory_source(modules.path())->load(),
                                      migrator::process_environment());
  ASSERT_TRUE(assembled.ok());
  set = std::move(assembled.set);
  const auto session = migrator::connect_postgres(fresh.dsn());
  auto history = migrator::make_goose_history_store(*session, "goose_db_version");
  auto lock = migrator::make_advisory_lock(*session, 7302);
  migrator::engine engine(*session, *history, *lock, set, {});
  EXPECT_EQ(engine.run({migrator::command_kind::up, 0}).steps.size(), 104u);
  // Executions of each prepared statement (PostgreSQL counts its plans).
  EXPECT_EQ(session
                ->exec("SELECT string_agg(name || '=' || (generic_plans + custom_plans), ' ' ORDER BY name) "
                       "FROM pg_prepared_statements")
                .text(0, 0),
            "migrator_record_applied=4 migrator_step_started=4");
  EXPECT_EQ(fresh.scalar("SELECT count(*) || ' ' || max(version_id) FROM goose_db_version WHERE version_id > 0"),
            "104 1104");
  EXPECT_EQ(fresh.scalar("SELECT count(*) FROM goose_db_version_meta WHERE state = 'applied' AND duration_ms >= 0"),
            "104");
}

TEST_F(tables_made_aside, a_run_of_one_request_prepares_nothing) {
  const auto session = migrator::connect_postgres(fresh.dsn());
  auto history = migrator::make_goose_history_store(*session, "goose_db_version");
  auto lock = migrator::make_advisory_lock(*session, 7302);
  migrator::engine engine(*session, *history, *lock, set, {});
  EXPECT_EQ(engine.run({migrator::command_kind::up, 0}).steps.size(), 1u);
  EXPECT_EQ(session->exec("SELECT count(*) FROM pg_prepared_statements").text(0, 0), "0");
  EXPECT_EQ(fresh.scalar("SELECT string_agg(id || ':' || version_id, ' ' ORDER BY id) FROM goose_db_version"),
            "1:0 2:1001");
}

TEST_F(tables_made_aside, tables_that_cannot_be_made_roll_the_migration_back) {
  const std::string role = fresh.name() + "_nocreate";
  // The role may create in public (the migration) but not in audit (the history).
  fresh.exec("CREATE SCHEMA audit; CREATE ROLE " + role + " LOGIN; GRANT USAGE ON SCHEMA audit TO " + role +
             "; GRANT CREATE ON SCHEMA public TO " + role + "; GRANT INSERT ON gate TO " + role);
  const dropped_role dropped{fresh, role};
  try {
    up(fresh.dsn() + " user=" + role, "audit.goose_db_version");
    ADD_FAILURE() << role << " cannot create tables in audit";
  } catch (const migrator::error& e) {
    EXPECT_EQ(e.code(), migrator::error_code::database);
    EXPECT_THAT(e.what(), HasSubstr("creating the history tables: SQLSTATE 42501"));
    EXPECT_THAT(e.what(), HasSubstr("nothing was applied"));
    EXPECT_EQ(e.details().sqlstate, "42501");
  }
  EXPECT_EQ(fresh.scalar("SELECT to_regclass('a') IS NULL AND to_regclass('audit.goose_db_version') IS NULL"), "t");
  EXPECT_EQ(fresh.scalar("SELECT count(*) FROM gate"), "0");
}

TEST_F(tables_made_aside, without_a_second_connection_the_tables_are_made_in_the_migrations_transaction) {
  const std::string role = fresh.name() + "_single";
  // A connection limit of one: the tables' own connection is refused.
  fresh.exec("CREATE ROLE " + role + " LOGIN CONNECTION LIMIT 1; GRANT CREATE ON SCHEMA public TO " + role +
             "; GRANT INSERT ON gate TO " + role);
  const dropped_role dropped{fresh, role};
  const auto report = up(fresh.dsn() + " user=" + role, "goose_db_version");
  EXPECT_EQ(report.steps.size(), 1u);
  EXPECT_EQ(fresh.scalar("SELECT string_agg(id || ':' || version_id, ' ' ORDER BY id) FROM goose_db_version"),
            "1:0 2:1001");
  // goose's version-0 row, the migration's rows and its table: one transaction.
  EXPECT_EQ(fresh.scalar("SELECT count(DISTINCT xmin::text) FROM (SELECT xmin FROM goose_db_version UNION ALL "
                         "SELECT xmin FROM goose_db_version_meta UNION ALL SELECT xmin FROM pg_class WHERE oid = "
                         "'a'::regclass) AS rows"),
            "1");
}

}  // namespace
