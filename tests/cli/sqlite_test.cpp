// The SQLite backend (docs/sqlite.md) on real SQLite files: the example
// modules up, down and up (file and in memory), eight processes racing on one
// file, a run killed with -9, errors, and validate's backend parity.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "migrator/assembler.h"
#include "migrator/dsn.h"
#include "migrator/embedded.h"
#include "migrator/engine.h"
#include "migrator/environment.h"
#include "migrator/sqlite.h"
#include "test_support.h"

using namespace std::chrono_literals;
using testing_support::app_process;
using testing_support::run_app;
using testing_support::temp_dir;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

const std::string example_modules = std::string(MIGRATOR_SOURCE_DIR) + "/modules";
const std::vector<std::string> example_schemas = {"db",           "identity", "organization", "billing",
                                                  "entitlements", "audit",    "integration"};

// A session on the file with the given schemas attached, to look at what the app did.
std::unique_ptr<migrator::session> inspect(const std::filesystem::path& main, const std::vector<std::string>& schemas) {
  std::vector<migrator::sqlite_attachment> attach;
  for (const auto& s : schemas) attach.push_back({s, migrator::sqlite_schema_path(main.string(), s)});
  return migrator::connect_sqlite(main.string(), attach, 10s);
}

std::vector<std::string> column(const migrator::query_result& r) {
  std::vector<std::string> out;
  for (const auto& row : r.rows) out.push_back(row[0].value_or("NULL"));
  return out;
}

std::vector<std::string> applied_versions(migrator::session& db) {
  return column(db.exec("SELECT version_id FROM goose_db_version WHERE version_id <> 0 ORDER BY id"));
}

std::vector<std::string> tables_in(migrator::session& db, const std::string& schema) {
  return column(db.exec("SELECT name FROM \"" + schema +
                        "\".sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"));
}

testing_support::run_result migrate(const std::string& dsn, const std::string& modules,
                                    std::vector<std::string> args) {
  std::vector<std::string> all{"migrate"};
  all.insert(all.end(), args.begin(), args.end());
  all.insert(all.end(), {"--dsn", dsn, "--modules-dir", modules});
  return run_app(all);
}

const std::vector<std::string> all_example_versions = {"1001", "1002", "2001", "2002", "2003", "3001", "4001",
                                                       "4002", "4003", "4004", "5001", "6001", "7001", "7002"};

TEST(SqliteBackend, ExampleModulesUpDownUpOnAFile) {
  temp_dir dir;
  const auto main = dir.path() / "app.db";
  const std::string dsn = "sqlite:" + main.string();

  auto r = migrate(dsn, example_modules, {"up"});
  ASSERT_EQ(r.code, 0) << r.err;
  {
    auto db = inspect(main, example_schemas);
    EXPECT_EQ(applied_versions(*db), all_example_versions);
    // Each module's tables are in its own attached file, under its schema's name.
    EXPECT_EQ(tables_in(*db, "billing"),
              (std::vector<std::string>{"accounts", "invoice_lines", "invoices", "prices", "products"}));
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "app.billing.db"));
    EXPECT_EQ(db->exec("SELECT count(*) FROM pragma_table_info('users', 'identity') WHERE name = 'last_seen_at'")
                  .text(0, 0),
              "1");
    // goose's own sqlite3 table and its version-0 row.
    EXPECT_THAT(db->exec("SELECT sql FROM sqlite_master WHERE name = 'goose_db_version'").text(0, 0),
                HasSubstr("id INTEGER PRIMARY KEY AUTOINCREMENT"));
    EXPECT_EQ(db->exec("SELECT is_applied FROM goose_db_version WHERE version_id = 0").text(0, 0), "1");
    // The schema works: a row, a unique violation, the append-only trigger.
    db->exec("INSERT INTO identity.persons (display_name) VALUES ('Ada')");
    EXPECT_EQ(db->exec("SELECT length(id) FROM identity.persons").text(0, 0), "36");
    try {
      db->exec("INSERT INTO audit.entries (action, subject_type) VALUES ('x', 'y'); DELETE FROM audit.entries");
      ADD_FAILURE() << "DELETE on audit.entries was not refused";
    } catch (const migrator::database_error& e) {
      EXPECT_THAT(e.what(), HasSubstr("append-only"));
      EXPECT_EQ(e.details().sqlstate, "SQLITE_CONSTRAINT_TRIGGER");
    }
  }

  r = migrate(dsn, example_modules, {"status"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("version 7002: 14 applied"));
  r = migrate(dsn, example_modules, {"version"});
  EXPECT_EQ(r.out, "7002\n");

  r = migrate(dsn, example_modules, {"down-to", "3001"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = migrate(dsn, example_modules, {"reset"});
  ASSERT_EQ(r.code, 0) << r.err;
  {
    auto db = inspect(main, example_schemas);
    EXPECT_TRUE(applied_versions(*db).empty());
    for (const auto& s : example_schemas) EXPECT_TRUE(tables_in(*db, s).empty()) << s;
    EXPECT_EQ(db->exec("SELECT count(*) FROM goose_db_version_meta").text(0, 0), "0");
  }

  r = migrate(dsn, example_modules, {"up-to", "2003"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = migrate(dsn, example_modules, {"up-by-one", "--dry-run"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("CREATE TABLE organization.organizations"));
  r = migrate(dsn, example_modules, {"up"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = migrate(dsn, example_modules, {"redo"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto db = inspect(main, example_schemas);
  EXPECT_EQ(applied_versions(*db).size(), all_example_versions.size());
  EXPECT_EQ(db->exec("PRAGMA integrity_check").text(0, 0), "ok");
}

// The example's SQLite code migration (billing migrations/sqlite/04003_backfill_invoice_totals.cpp),
// compiled into the app: invoices written before it get their totals in batches; 04004 then rebuilds
// the table with total_cents NOT NULL; down through it and up again.
TEST(SqliteBackend, TheSqliteCodeMigrationBackfillsInBatches) {
  temp_dir dir;
  const auto main = dir.path() / "app.db";
  const std::string dsn = "sqlite:" + main.string();
  auto r = migrate(dsn, example_modules, {"up-to", "4002"});
  ASSERT_EQ(r.code, 0) << r.err;
  {
    // 2,500 invoices (three batches of 1000): invoice i has i % 4 lines of quantity 2 at i cents.
    auto db = inspect(main, example_schemas);
    db->exec(
        "INSERT INTO billing.accounts (organization_id, billing_email) VALUES ('org-1', 'billing@acme.test');"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500) "
        "INSERT INTO billing.invoices (id, account_id, currency) SELECT i, (SELECT id FROM billing.accounts), 'EUR' "
        "FROM n;"
        "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 3) "
        "INSERT INTO billing.invoice_lines (invoice_id, description, quantity, unit_amount) "
        "SELECT i.id, 'line ' || k.n, 2, i.id FROM billing.invoices i, k WHERE k.n <= i.id % 4;");
  }
  r = migrate(dsn, example_modules, {"up"});
  ASSERT_EQ(r.code, 0) << r.err;
  {
    auto db = inspect(main, example_schemas);
    EXPECT_EQ(db->exec("SELECT count(*) FROM billing.invoices i WHERE total_cents IS NULL OR total_cents <> "
                       "(SELECT coalesce(sum(quantity * unit_amount), 0) FROM billing.invoice_lines l "
                       "WHERE l.invoice_id = i.id)")
                  .text(0, 0),
              "0");
    EXPECT_EQ(db->exec("SELECT total_cents FROM billing.invoices WHERE id = 7").text(0, 0), "42");  // 3 x 2 x 7
    EXPECT_EQ(db->exec("SELECT total_cents FROM billing.invoices WHERE id = 8").text(0, 0), "0");   // no lines
    // Three batches, each committed with its position; 04004 made the column required.
    EXPECT_EQ(db->exec("SELECT statements_done FROM goose_db_version_meta WHERE version_id = 4003").text(0, 0), "3");
    EXPECT_EQ(db->exec("SELECT \"notnull\" FROM pragma_table_info('invoices', 'billing') WHERE name = 'total_cents'")
                  .text(0, 0),
              "1");
    EXPECT_EQ(db->exec("SELECT count(*) FROM billing.invoice_lines").text(0, 0), "3750");
  }
  r = migrate(dsn, example_modules, {"down-to", "4002"});
  ASSERT_EQ(r.code, 0) << r.err;
  {
    auto db = inspect(main, example_schemas);
    EXPECT_EQ(db->exec("SELECT count(*) FROM billing.invoices WHERE total_cents IS NOT NULL").text(0, 0), "0");
  }
  r = migrate(dsn, example_modules, {"up"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto db = inspect(main, example_schemas);
  EXPECT_EQ(db->exec("SELECT count(*) FROM billing.invoices WHERE total_cents IS NULL").text(0, 0), "0");
}

TEST(SqliteBackend, ExampleModulesUpDownUpInMemory) {
  // The embedded set: its SQLite code migration (billing 04003) is compiled in.
  auto tree = migrator::make_embedded_source()->load();
  auto assembled = migrator::assemble(tree, migrator::process_environment(), migrator::parse_time::now, migrator::backend_kind::sqlite);
  ASSERT_TRUE(assembled.ok()) << assembled.problems.front().str();
  migrator::engine_options options;
  auto seams = migrator::open_backend("sqlite::memory:", assembled.set, options);
  migrator::session& db = *seams.db;
  migrator::engine engine(std::move(seams), assembled.set, options);

  EXPECT_EQ(engine.run({migrator::command_kind::up, 0}).steps.size(), 14u);
  EXPECT_EQ(tables_in(db, "organization"),
            (std::vector<std::string>{"members", "organizations", "roles", "workspaces"}));
  EXPECT_TRUE(engine.status().current());
  EXPECT_EQ(engine.run({migrator::command_kind::reset, 0}).steps.size(), 14u);
  for (const auto& s : example_schemas) EXPECT_TRUE(tables_in(db, s).empty()) << s;
  EXPECT_EQ(engine.status().current_version, 0);
  EXPECT_EQ(engine.run({migrator::command_kind::up, 0}).current_version, 7002);
  EXPECT_EQ(applied_versions(db), all_example_versions);
}

TEST(SqliteBackend, EightProcessesRaceOnOneFileAndExactlyOneApplies) {
  temp_dir dir;
  const auto main = dir.path() / "race.db";
  const std::string dsn = "sqlite:" + main.string();
  std::vector<std::unique_ptr<app_process>> runners;
  for (int i = 0; i < 8; ++i)
    runners.push_back(std::make_unique<app_process>(
        std::vector<std::string>{"migrate", "up", "--dsn", dsn, "--modules-dir", example_modules}));
  int applied = 0, idle = 0, waited = 0;
  for (auto& p : runners) {
    auto r = p->wait();
    EXPECT_EQ(r.code, 0) << r.err;
    if (r.err.find("applied 14 migration(s)") != std::string::npos) ++applied;
    if (r.err.find("nothing to do") != std::string::npos) ++idle;
    if (r.err.find("holds the migration lock; waiting") != std::string::npos) ++waited;
  }
  EXPECT_EQ(applied, 1);
  EXPECT_EQ(idle, 7);
  // How many found the lock taken depends on timing: a figure, not a check.
  std::cout << "SQLITE RACE 8 processes: 1 applied, " << waited << " waited for the lock\n";
  auto db = inspect(main, example_schemas);
  EXPECT_EQ(applied_versions(*db), all_example_versions);  // each version recorded once
}

// Migration 1002 writes far more than SQLite's page cache holds, so pages of
// the uncommitted transaction reach the file (with a hot journal) before its
// slow last statement; the kill lands there.
TEST(SqliteBackend, KillDuringARunLeavesAConsistentFileThatTheNextUpCompletes) {
  // SLOW_ROWS makes the last statement take minutes in the killed run and no time in the next.
  const std::string big_migration =
      "-- +goose Up\n"
      "-- +goose ENVSUB ON\n"
      "CREATE TABLE m.big (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);\n"
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000)\n"
      "  INSERT INTO m.big SELECT x, randomblob(100) FROM c;\n"
      "CREATE TABLE m.slow AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${SLOW_ROWS})\n"
      "  SELECT sum(x) AS s FROM c;\n"
      "-- +goose ENVSUB OFF\n"
      "-- +goose Down\n"
      "DROP TABLE m.slow;\n"
      "DROP TABLE m.big;\n";
  temp_dir dir;
  testing_support::write_module_set(
      dir, {{"m",
             {{"01001_first.sql", testing_support::migration_text("CREATE TABLE m.first (id INTEGER PRIMARY KEY);",
                                                                  "DROP TABLE m.first;")},
              {"01002_big.sql", big_migration},
              {"01003_last.sql", testing_support::migration_text("CREATE TABLE m.last (id INTEGER PRIMARY KEY);",
                                                                 "DROP TABLE m.last;")}}}});
  // The same files for SQLite (this set is SQLite only).
  for (const char* f : {"01001_first.sql", "01002_big.sql", "01003_last.sql"})
    dir.write(std::string("m/migrations/sqlite/") + f,
              testing_support::read_file(dir.path() / "m" / "migrations" / f));
  const auto main = dir.path() / "app.db";
  const std::string dsn = "sqlite:" + main.string();
  const std::string modules = dir.path().string();

  {
    app_process run({"migrate", "up", "--dsn", dsn, "--modules-dir", modules}, {{"SLOW_ROWS", "1000000000"}});
    ASSERT_TRUE(run.wait_for_err("applied m 1001", 60000)) << run.err_so_far();
    // Until the big insert has spilled into the file: its journal is then hot.
    const auto journal = dir.path() / "app.m.db-journal";
    for (int i = 0; i < 600 && std::filesystem::file_size(dir.path() / "app.m.db") < 10'000'000; ++i)
      std::this_thread::sleep_for(50ms);
    ASSERT_GT(std::filesystem::file_size(dir.path() / "app.m.db"), 10'000'000u) << "the insert never reached the file";
    run.signal(SIGKILL);
    auto r = run.wait();
    EXPECT_THAT(r.err, ::testing::Not(HasSubstr("applied m 1002"))) << "the run ended before the kill";
    EXPECT_TRUE(std::filesystem::exists(journal)) << "no hot journal: the kill did not land mid-transaction";
  }

  {
    // Opening the files rolls the hot journal back: 1001 done, nothing of 1002.
    auto db = inspect(main, {"m"});
    EXPECT_EQ(db->exec("PRAGMA m.integrity_check").text(0, 0), "ok");
    EXPECT_EQ(db->exec("PRAGMA main.integrity_check").text(0, 0), "ok");
    EXPECT_EQ(applied_versions(*db), (std::vector<std::string>{"1001"}));
    EXPECT_EQ(tables_in(*db, "m"), (std::vector<std::string>{"first"}));
  }

  testing_support::scoped_env fast("SLOW_ROWS", "10");
  auto r = migrate(dsn, modules, {"up"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto db = inspect(main, {"m"});
  EXPECT_EQ(applied_versions(*db), (std::vector<std::string>{"1001", "1002", "1003"}));
  EXPECT_EQ(db->exec("SELECT count(*) FROM m.big").text(0, 0), "200000");
}

TEST(SqliteBackend, ARunnerGivesUpAfterTheLockTimeoutWhileAnotherHoldsTheLock) {
  temp_dir dir;
  const auto main = dir.path() / "app.db";
  auto holder = migrator::make_sqlite_file_lock(main.string());
  ASSERT_FALSE(holder->acquire(1s, nullptr));
  auto r = migrate("sqlite:" + main.string(), example_modules, {"up", "--lock-timeout", "300ms"});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("waiting for the migration lock: another runner holds " + main.string() +
                               "-migrate-lock"));
  holder->release();
  r = migrate("sqlite:" + main.string(), example_modules, {"up", "--lock-timeout", "300ms"});
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST(SqliteBackend, AFailingMigrationNamesTheStatementAndTheResultCodeAndAppliesNothing) {
  temp_dir dir;
  const std::string body = "CREATE TABLE m.t (id INTEGER PRIMARY KEY, code TEXT UNIQUE);\n"
                           "INSERT INTO m.t (code) VALUES ('a');\n"
                           "INSERT INTO m.t (code) VALUES ('a');";
  testing_support::write_module_set(dir, {{"m", {{"01001_ok.sql", testing_support::migration_text("SELECT 1;")},
                                                 {"01002_dup.sql", testing_support::migration_text(body)}}}});
  dir.write("m/migrations/sqlite/01001_ok.sql", testing_support::migration_text("SELECT 1;"));
  dir.write("m/migrations/sqlite/01002_dup.sql", testing_support::migration_text(body));
  const auto main = dir.path() / "app.db";
  auto r = migrate("sqlite:" + main.string(), dir.path().string(), {"up"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("01002_dup.sql:4: migration 1002 (module m) failed (up) at statement 3 of 3"));
  EXPECT_THAT(r.err, HasSubstr("SQLITE_CONSTRAINT_UNIQUE: UNIQUE constraint failed: t.code"));
  auto db = inspect(main, {"m"});
  EXPECT_EQ(applied_versions(*db), (std::vector<std::string>{"1001"}));
  EXPECT_TRUE(tables_in(*db, "m").empty());  // nothing of 1002, not even its first statement
}

TEST(SqliteBackend, AContractMigrationRunsWhenReachedForSqliteKeepsNoBuildRegistry) {
  temp_dir dir;
  const std::string init = testing_support::migration_text("CREATE TABLE m.t (id INTEGER, legacy TEXT);");
  const std::string contract = "-- +migrator contract\n" + testing_support::migration_text("DROP TABLE m.t;");
  testing_support::write_module_set(dir, {{"m", {{"01001_init.sql", init}, {"01002_drop.sql", contract}}}});
  dir.write("m/migrations/sqlite/01001_init.sql", init);
  dir.write("m/migrations/sqlite/01002_drop.sql", contract);
  const auto main = dir.path() / "app.db";
  auto r = migrate("sqlite:" + main.string(), dir.path().string(), {"up"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("deferred")));
  auto db = inspect(main, {"m"});
  EXPECT_EQ(applied_versions(*db), (std::vector<std::string>{"1001", "1002"}));
  auto builds = migrate("sqlite:" + main.string(), dir.path().string(), {"builds"});
  EXPECT_EQ(builds.code, 2);
  EXPECT_THAT(builds.err, HasSubstr("the build registry is PostgreSQL's"));
}

TEST(SqliteBackend, SingleTransactionLeavesNothingOfARunThatFailsInItsThirdMigration) {
  temp_dir dir;
  const std::vector<std::pair<std::string, std::string>> files{
      {"01001_one.sql", testing_support::migration_text("CREATE TABLE m.one (id INTEGER);")},
      {"01002_two.sql", testing_support::migration_text("CREATE TABLE m.two (id INTEGER PRIMARY KEY);")},
      {"01003_three.sql", testing_support::migration_text("INSERT INTO m.two VALUES (1);\nINSERT INTO m.two VALUES (1);")}};
  testing_support::write_module_set(dir, {{"m", files}});
  for (const auto& [name, text] : files) dir.write("m/migrations/sqlite/" + name, text);
  const auto main = dir.path() / "app.db";
  auto r = migrate("sqlite:" + main.string(), dir.path().string(), {"up", "--single-transaction"});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("01003_three.sql:3: migration 1003 (module m) failed (up) at statement 2 of 2"));
  EXPECT_THAT(r.err, HasSubstr("the whole run was rolled back"));
  auto db = inspect(main, {"m"});
  EXPECT_TRUE(applied_versions(*db).empty());
  EXPECT_TRUE(tables_in(*db, "m").empty());
}

// Repeatable migrations and callbacks on SQLite: migrations/sqlite/repeatable/
// and migrations/sqlite/callbacks/, recorded in goose_db_version_repeatable of the main file.
TEST(SqliteBackend, ARepeatableIsAppliedAgainOnlyAfterItsFileChangedAndCallbacksRunAroundRuns) {
  temp_dir dir;
  const std::vector<std::pair<std::string, std::string>> files{
      {"01001_one.sql", testing_support::migration_text("CREATE TABLE m.items (id INTEGER, name TEXT);\n"
                                                        "CREATE TABLE m.runs (what TEXT);")}};
  testing_support::write_module_set(dir, {{"m", files}});
  for (const auto& [name, text] : files) dir.write("m/migrations/sqlite/" + name, text);
  const auto view = [](const std::string& columns) {
    return testing_support::migration_text("DROP VIEW IF EXISTS m.item_names;\nCREATE VIEW m.item_names AS SELECT " +
                                           columns + " FROM items;\nINSERT INTO m.runs VALUES ('view');");
  };
  dir.write("m/migrations/sqlite/repeatable/item_names.sql", view("name"));
  dir.write("m/migrations/sqlite/callbacks/after_migrate.sql",
            testing_support::migration_text("INSERT INTO m.runs VALUES ('after_migrate');"));
  const std::string dsn = "sqlite:" + (dir.path() / "app.db").string();
  auto runs = [&] {
    auto db = inspect(dir.path() / "app.db", {"m"});
    return column(db->exec("SELECT what FROM m.runs ORDER BY rowid"));
  };
  auto r = migrate(dsn, dir.path().string(), {"up"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(runs(), (std::vector<std::string>{"view", "after_migrate"}));
  ASSERT_EQ(migrate(dsn, dir.path().string(), {"up"}).code, 0);
  EXPECT_EQ(runs().size(), 2u);  // unchanged: nothing runs
  EXPECT_EQ(migrate(dsn, dir.path().string(), {"status", "--exit-code"}).code, 0);

  dir.write("m/migrations/sqlite/repeatable/item_names.sql", view("name, id"));
  EXPECT_THAT(migrate(dsn, dir.path().string(), {"status"}).out, HasSubstr("item_names  changed"));
  ASSERT_EQ(migrate(dsn, dir.path().string(), {"up"}).code, 0);
  EXPECT_EQ(runs(), (std::vector<std::string>{"view", "after_migrate", "view", "after_migrate"}));
  auto db = inspect(dir.path() / "app.db", {"m"});
  EXPECT_EQ(column(db->exec("SELECT name FROM pragma_table_info('item_names', 'm') ORDER BY cid")),
            (std::vector<std::string>{"name", "id"}));
  EXPECT_EQ(applied_versions(*db), (std::vector<std::string>{"1001"}));
  EXPECT_EQ(column(db->exec("SELECT module || '/' || name FROM goose_db_version_repeatable")),
            (std::vector<std::string>{"m/item_names"}));
}

TEST(SqliteBackend, SessionRunsSeveralStatementsAndTakesNumberedParameters) {
  auto db = migrator::connect_sqlite(":memory:", {}, 1s);
  auto last = db->exec("CREATE TABLE t (a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'x'); -- a comment\n"
                       "INSERT INTO t VALUES (2, NULL); SELECT a, b FROM t ORDER BY a;");
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(last.columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(last.text(0, 1), "x");
  EXPECT_FALSE(last.rows[1][1].has_value());
  // $2 before $1: bound by number, as on PostgreSQL. Values are bound as text;
  // column a's INTEGER affinity makes '2' compare as the number 2.
  auto r = db->exec_params("UPDATE t SET b = $2 WHERE a = $1", {std::string("2"), std::string("y")});
  EXPECT_EQ(r.affected, 1);
  EXPECT_EQ(db->exec_params("SELECT b FROM t WHERE a = ?", {std::string("2")}).text(0, 0), "y");
  try {
    db->exec("SELECT 1; SELEC 2");
    ADD_FAILURE() << "a syntax error was accepted";
  } catch (const migrator::database_error& e) {
    EXPECT_EQ(e.details().sqlstate, "SQLITE_ERROR");
    EXPECT_THAT(e.what(), HasSubstr("near \"SELEC\": syntax error"));
    EXPECT_EQ(e.details().position, 2);  // " SELEC": SQLite points at the token, 1-based in the statement's text
  }
}

TEST(SqliteBackend, ValidateReportsAMissingSqliteCounterpart) {
  temp_dir dir;
  testing_support::write_module_set(
      dir, {{"a", {{"01001_a_init.sql", testing_support::migration_text("SELECT 1;")},
                   {"01002_a_more.sql", testing_support::migration_text("SELECT 2;")}}},
            {"b", {{"02001_b_init.sql", testing_support::migration_text("SELECT 1;")}}}});
  dir.write("a/migrations/sqlite/01001_a_init.sql", testing_support::migration_text("SELECT 1;"));
  auto r = run_app({"migrate", "validate", "--modules-dir", dir.path().string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("a/migrations/01002_a_more.sql: has no SQLite counterpart"));
  EXPECT_THAT(r.err, HasSubstr("module 'b' has no SQLite migrations: create"));
  EXPECT_THAT(r.err, HasSubstr("b/migrations/02001_b_init.sql: has no SQLite counterpart"));

  // A name that differs between the backends.
  dir.write("a/migrations/sqlite/01002_a_other.sql", testing_support::migration_text("SELECT 2;"));
  dir.write("b/migrations/sqlite/02001_b_init.sql", testing_support::migration_text("SELECT 1;"));
  r = run_app({"migrate", "validate", "--modules-dir", dir.path().string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("01002_a_other.sql: is named 'a_other' but its PostgreSQL counterpart"));
  std::filesystem::remove(dir.path() / "a/migrations/sqlite/01002_a_other.sql");
  dir.write("a/migrations/sqlite/01002_a_more.sql", testing_support::migration_text("SELECT 2;"));
  r = run_app({"migrate", "validate", "--modules-dir", dir.path().string()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("3 migrations for each of PostgreSQL and SQLite"));
}

TEST(SqliteBackend, AModuleWithoutSqliteMigrationsIsReportedWhenTheDsnIsSqlite) {
  temp_dir dir;
  testing_support::write_module_set(dir, {{"a", {{"01001_a_init.sql", testing_support::migration_text("SELECT 1;")}}}});
  const auto main = dir.path() / "app.db";
  auto r = migrate("sqlite:" + main.string(), dir.path().string(), {"up"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("module 'a' has no SQLite migrations"));
  EXPECT_FALSE(std::filesystem::exists(main));  // refused before opening anything
}

TEST(SqliteBackend, RepairRecordsChecksumsOfRowsGooseWrote) {
  temp_dir dir;
  const auto main = dir.path() / "app.db";
  const std::string dsn = "sqlite:" + main.string();
  ASSERT_EQ(migrate(dsn, example_modules, {"up-to", "2002"}).code, 0);
  // As if goose had applied 2002: its row, no side row.
  inspect(main, example_schemas)->exec("DELETE FROM goose_db_version_meta WHERE version_id = 2002");
  auto r = migrate(dsn, example_modules, {"status"});
  EXPECT_THAT(r.out, HasSubstr("1 applied migration(s) have no checksum"));
  r = migrate(dsn, example_modules, {"repair", "--checksums"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("recorded 1 checksum(s)"));
  auto db = inspect(main, example_schemas);
  EXPECT_EQ(db->exec("SELECT module || ' ' || name FROM goose_db_version_meta WHERE version_id = 2002").text(0, 0),
            "identity users_last_seen");
  r = migrate(dsn, example_modules, {"status"});
  EXPECT_THAT(r.out, Not(HasSubstr("no checksum")));
}

TEST(SqliteBackend, AFileInWalModeIsRefusedBeforeAnyStatement) {
  temp_dir dir;
  const auto main = dir.path() / "app.db";
  migrator::connect_sqlite(main.string(), {}, 1s)->exec("PRAGMA journal_mode=WAL");
  auto r = migrate("sqlite:" + main.string(), example_modules, {"up"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("is in WAL journal mode"));
  EXPECT_THAT(r.err, HasSubstr("PRAGMA journal_mode=DELETE"));
  // Our session refuses the file too: look with the sqlite3 tool.
  const std::string count = (dir.path() / "count").string();
  ASSERT_EQ(std::system(("sqlite3 '" + main.string() + "' 'SELECT count(*) FROM sqlite_master' > '" + count + "'").c_str()), 0);
  EXPECT_EQ(testing_support::read_file(count), "0\n");
}

TEST(SqliteBackend, StartSaysItRunsOnPostgresqlOnly) {
  temp_dir dir;
  auto r = run_app({"start", "--once", "--dsn", "sqlite:" + (dir.path() / "app.db").string(), "--modules-dir",
                    example_modules});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("app start runs on PostgreSQL only"));
}

TEST(SqliteBackend, TheEmbeddedSetCarriesTheSqliteMigrations) {
  temp_dir dir;
  const auto main = dir.path() / "app.db";
  auto r = run_app({"migrate", "up", "--dsn", "sqlite:" + main.string()});  // no --modules-dir: the embedded set
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("applied 14 migration(s)"));
  auto db = inspect(main, example_schemas);
  EXPECT_EQ(db->exec("SELECT count(*) FROM goose_db_version_meta WHERE checksum IS NOT NULL").text(0, 0), "14");
}

TEST(SqliteBackend, ANoTransactionMigrationThatFailsIsDirtyUntilRepaired) {
  temp_dir dir;
  const std::string body = "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE TABLE m.a (id INTEGER PRIMARY KEY);\n"
                           "CREATE TABLE m.a (id INTEGER PRIMARY KEY);\n-- +goose Down\nDROP TABLE IF EXISTS m.a;\n";
  testing_support::write_module_set(dir, {{"m", {{"01001_two.sql", body}}}});
  dir.write("m/migrations/sqlite/01001_two.sql", body);
  const auto main = dir.path() / "app.db";
  const std::string dsn = "sqlite:" + main.string();
  auto r = migrate(dsn, dir.path().string(), {"up"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("failed (up, NO TRANSACTION) at statement 2 of 2"));
  EXPECT_THAT(r.err, HasSubstr("SQLITE_ERROR: table a already exists"));
  r = migrate(dsn, dir.path().string(), {"status"});
  EXPECT_THAT(r.out, HasSubstr("dirty"));
  EXPECT_THAT(r.out, HasSubstr("(stopped after statement 1 of 2)"));
  r = migrate(dsn, dir.path().string(), {"up"});
  EXPECT_EQ(r.code, 4) << r.err;  // refused: dirty
  r = migrate(dsn, dir.path().string(), {"repair", "1001", "--mark-applied"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto db = inspect(main, {"m"});
  EXPECT_EQ(applied_versions(*db), (std::vector<std::string>{"1001"}));
  EXPECT_EQ(db->exec("SELECT state FROM goose_db_version_meta WHERE version_id = 1001").text(0, 0), "applied");
}

TEST(SqliteBackend, SqliteDsnsSelectTheBackend) {
  using migrator::backend_kind;
  EXPECT_EQ(migrator::backend_of("sqlite:app.db"), backend_kind::sqlite);
  EXPECT_EQ(migrator::backend_of(" SQLite::memory: "), backend_kind::sqlite);
  EXPECT_EQ(migrator::backend_of("postgresql://u@h/db"), backend_kind::postgres);
  EXPECT_EQ(migrator::backend_of("host=sqlite dbname=x"), backend_kind::postgres);
  EXPECT_EQ(migrator::sqlite_path("sqlite:data/app.db"), "data/app.db");
  EXPECT_EQ(migrator::sqlite_path("sqlite:///srv/app.db"), "/srv/app.db");
  EXPECT_EQ(migrator::sqlite_path("sqlite::memory:"), ":memory:");
  EXPECT_THROW(migrator::sqlite_path("sqlite:"), migrator::error);
  EXPECT_EQ(migrator::normalize_dsn(" sqlite:app.db "), "sqlite:app.db");
}

TEST(SqliteBackend, SchemaFilesSitBesideTheMainFile) {
  EXPECT_EQ(migrator::sqlite_schema_path("data/app.db", "billing"), "data/app.billing.db");
  EXPECT_EQ(migrator::sqlite_schema_path("data/app", "billing"), "data/app.billing");
  EXPECT_EQ(migrator::sqlite_schema_path("data.d/app", "billing"), "data.d/app.billing");
  EXPECT_EQ(migrator::sqlite_schema_path("/tmp/.hidden", "billing"), "/tmp/.hidden.billing");
  EXPECT_EQ(migrator::sqlite_schema_path(":memory:", "billing"), ":memory:");
}

}  // namespace
