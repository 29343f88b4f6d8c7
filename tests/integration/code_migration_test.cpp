// Code migrations run by the engine against the real PostgreSQL, in process:
// a module mixing SQL and code up, down and up; a failing code migration that
// leaves nothing behind; a no-transaction one that fails half-way, is dirty
// with its progress and resumes after repair; an edited one shown as modified.
// (Killing a real program half-way: code_migration_kill_test.cpp.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "migrator/batches.h"
#include "migrator/code_migration.h"
#include "migrator/engine.h"
#include "migrator/parser.h"
#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;

namespace {

const char* const manifest = "modules:\n  - name: core\n";
// The text of a .cpp migration (its checksum and the text checks use it; the
// code itself is the object beside it).
std::string code_text(const std::string& macro = "MIGRATOR_CODE_MIGRATION(up, down);", const std::string& body = "") {
  return "#include <migrator/code_migration.h>\n// " + body + "\n" + macro + "\n";
}

// --- the code of the test migrations -----------------------------------------

void fill_up(migrator::code_transaction& tx) {
  for (int i = 1; i <= 3; ++i) tx.exec("INSERT INTO items (n) VALUES ($1)", {std::to_string(i * 10)});
  const auto r = tx.exec("SELECT sum(n) FROM items");
  tx.exec("INSERT INTO totals (total) VALUES ($1)", {r.text(0, 0)});
}
void fill_down(migrator::code_transaction& tx) {
  tx.exec("DELETE FROM totals");
  tx.exec("DELETE FROM items");
}
const migrator::code_migration fill("01002_fill.cpp", 3, migrator::transactional, &fill_up, &fill_down);

void throwing_up(migrator::code_transaction& tx) {
  tx.exec("INSERT INTO items (n) VALUES (99)");
  tx.exec("CREATE TABLE made_by_failing_code (id int)");
  throw std::runtime_error("invoice 17 has no currency");
}
const migrator::code_migration throwing("01002_fill.cpp", 3, migrator::transactional, &throwing_up);

void bad_sql_up(migrator::code_transaction& tx) {
  tx.exec("INSERT INTO items (n) VALUES (1)");
  tx.exec("INSERT INTO no_such_table VALUES (1)");
}
const migrator::code_migration bad_sql("01002_fill.cpp", 3, migrator::transactional, &bad_sql_up);

// Five steps, each its own transaction with its position; fails at step
// `fail_at` (0: never) after committing the steps before it.
int fail_at = 0;
void steps_up(migrator::code_connection& db) {
  const auto saved = db.saved_position("steps");
  for (int step = saved ? static_cast<int>(saved->steps) + 1 : 1; step <= 5; ++step) {
    if (step == fail_at) throw std::runtime_error("step " + std::to_string(step) + " found bad data");
    db.in_transaction([&](migrator::code_transaction& tx) {
      tx.exec("INSERT INTO items (n) VALUES ($1)", {std::to_string(step)});
      db.save_position(tx, "steps", {std::to_string(step), step});
    });
    db.record_progress(step, 5);
  }
}
void steps_down(migrator::code_connection& db) { db.exec("DELETE FROM items"); }
const migrator::code_migration steps("01002_fill.cpp", 3, migrator::no_transaction, &steps_up, &steps_down);

class code_migration_test : public ::testing::Test {
 protected:
  test_database db;

  // core: 01001 (SQL: items, totals), 01002 (code), 01003 (SQL: more).
  migrator::module_set set_with(const migrator::code_migration& code, const std::string& text) {
    migrator::source_tree tree;
    tree.root = "modules";
    tree.manifest_path = "modules/modules.yaml";
    tree.manifest_text = manifest;
    migrator::source_folder core;
    core.name = "core";
    core.has_migrations_dir = true;
    core.files.push_back({"modules/core/migrations/01001_init.sql",
                          migration_text("CREATE TABLE items (n int);\nCREATE TABLE totals (total int);",
                                         "DROP TABLE totals;\nDROP TABLE items;"),
                          nullptr});
    core.files.push_back({"modules/core/migrations/01002_fill.cpp", text, &code});
    core.files.push_back({"modules/core/migrations/01003_more.sql",
                          migration_text("CREATE TABLE more (id int);", "DROP TABLE more;"), nullptr});
    tree.folders.push_back(std::move(core));
    auto assembled = migrator::assemble(tree, migrator::process_environment());
    std::string problems;
    for (const auto& p : assembled.problems) problems += p.str() + "\n";
    EXPECT_TRUE(assembled.ok()) << problems;
    return std::move(assembled.set);
  }

  migrator::run_report run(const migrator::module_set& set, migrator::command_kind kind, std::int64_t target = 0) {
    migrator::engine engine(db.dsn(), set, migrator::engine_options{});
    return engine.run({kind, target});
  }

  migrator::migration_state state_of(const migrator::module_set& set, std::int64_t version) {
    migrator::engine engine(db.dsn(), set, migrator::engine_options{});
    for (const auto& m : engine.status().migrations)
      if (m.version == version) return m.state;
    ADD_FAILURE() << "no version " << version;
    return migrator::migration_state::unknown;
  }

  std::vector<std::string> applied() {
    return db.query("SELECT version_id::text FROM goose_db_version WHERE version_id > 0 ORDER BY id");
  }
};

TEST_F(code_migration_test, sql_and_code_apply_up_down_and_up_in_one_sequence) {
  const auto set = set_with(fill, code_text());
  auto report = run(set, migrator::command_kind::up);
  ASSERT_EQ(report.steps.size(), 3u);
  EXPECT_EQ(applied(), (std::vector<std::string>{"1001", "1002", "1003"}));
  EXPECT_EQ(db.scalar("SELECT total FROM totals"), "60");
  EXPECT_EQ(db.scalar("SELECT module || ' ' || name || ' ' || checksum FROM goose_db_version_meta WHERE version_id = 1002"),
            "core fill " + migrator::migration_checksum(code_text()));

  report = run(set, migrator::command_kind::down_to, 1001);  // 1003, then the code's down
  ASSERT_EQ(report.steps.size(), 2u);
  EXPECT_EQ(report.steps[1].version, 1002);
  EXPECT_EQ(applied(), (std::vector<std::string>{"1001"}));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM items"), "0");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM totals"), "0");

  report = run(set, migrator::command_kind::reset);
  EXPECT_EQ(applied(), std::vector<std::string>{});
  report = run(set, migrator::command_kind::up);
  ASSERT_EQ(report.steps.size(), 3u);
  EXPECT_EQ(db.scalar("SELECT total FROM totals"), "60");
  EXPECT_EQ(state_of(set, 1002), migrator::migration_state::applied);
}

TEST_F(code_migration_test, a_throwing_code_migration_leaves_nothing_of_itself) {
  const auto set = set_with(throwing, code_text("MIGRATOR_CODE_MIGRATION(up);"));
  try {
    run(set, migrator::command_kind::up);
    FAIL() << "the run succeeded";
  } catch (const migrator::run_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("modules/core/migrations/01002_fill.cpp: migration 1002 (module core) failed "
                                    "(up): invoice 17 has no currency"));
    EXPECT_THAT(e.what(), HasSubstr("Nothing of migration 1002 (module core) was applied."));
    EXPECT_EQ(e.details().version, 1002);
    EXPECT_EQ(e.details().file, "modules/core/migrations/01002_fill.cpp");
    ASSERT_EQ(e.done().steps.size(), 1u);  // 1001 before it stays applied
  }
  EXPECT_EQ(applied(), (std::vector<std::string>{"1001"}));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM items"), "0");
  EXPECT_EQ(db.scalar("SELECT to_regclass('made_by_failing_code') IS NULL"), "t");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version_meta WHERE version_id = 1002"), "0");
  EXPECT_EQ(state_of(set, 1002), migrator::migration_state::pending);
}

TEST_F(code_migration_test, a_database_error_in_code_names_the_sqlstate_and_leaves_nothing) {
  const auto set = set_with(bad_sql, code_text("MIGRATOR_CODE_MIGRATION(up);"));
  try {
    run(set, migrator::command_kind::up);
    FAIL() << "the run succeeded";
  } catch (const migrator::run_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("failed (up): SQLSTATE 42P01: "));
    EXPECT_EQ(e.details().sqlstate, "42P01");
    EXPECT_EQ(e.details().module, "core");
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM items"), "0");
  EXPECT_EQ(applied(), (std::vector<std::string>{"1001"}));
}

TEST_F(code_migration_test, an_edited_code_migration_shows_as_modified) {
  const auto set = set_with(fill, code_text());
  run(set, migrator::command_kind::up);
  const auto edited = set_with(fill, code_text("MIGRATOR_CODE_MIGRATION(up, down);", "now also fixes rounding"));
  EXPECT_EQ(state_of(edited, 1002), migrator::migration_state::modified);
  EXPECT_EQ(state_of(edited, 1001), migrator::migration_state::applied);
  // Like an edited SQL file, it stops further runs until reverted (or --allow-drift).
  try {
    run(edited, migrator::command_kind::reset);
    FAIL() << "ran over a modified code migration";
  } catch (const migrator::error& e) {
    EXPECT_EQ(e.code(), migrator::error_code::refused);
    EXPECT_THAT(e.what(), HasSubstr("01002_fill.cpp: modified since it was applied"));
  }
}

TEST_F(code_migration_test, no_transaction_code_fails_half_way_dirty_with_progress_and_resumes_after_repair) {
  const auto set = set_with(steps, code_text("MIGRATOR_CODE_MIGRATION_NO_TRANSACTION(up, down);"));
  fail_at = 4;
  try {
    run(set, migrator::command_kind::up);
    FAIL() << "the run succeeded";
  } catch (const migrator::run_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("failed (up, NO TRANSACTION) after step 3: step 4 found bad data"));
    EXPECT_THAT(e.what(), HasSubstr("repair 1002 --mark-rolled-back"));
  }
  // Steps 1..3 committed as they went; the version is dirty with its progress.
  EXPECT_EQ(db.query("SELECT n::text FROM items ORDER BY items.n"), (std::vector<std::string>{"1", "2", "3"}));
  migrator::engine engine(db.dsn(), set, migrator::engine_options{});
  const auto status = engine.status();
  const auto& dirty = status.migrations[1];
  EXPECT_EQ(dirty.state, migrator::migration_state::dirty);
  EXPECT_EQ(dirty.kind, migrator::migration_kind::code);
  EXPECT_EQ(dirty.statements_done, 3);
  EXPECT_EQ(dirty.statements_total, 5);
  EXPECT_THROW(run(set, migrator::command_kind::up), migrator::error);  // refused while dirty

  engine.repair_mark_rolled_back(1002);
  fail_at = 0;
  run(set, migrator::command_kind::up);
  // Resumed after step 3: each step ran once.
  EXPECT_EQ(db.query("SELECT n::text FROM items ORDER BY items.n"), (std::vector<std::string>{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(applied(), (std::vector<std::string>{"1001", "1002", "1003"}));
  EXPECT_EQ(db.scalar("SELECT statements_done || ' ' || state FROM goose_db_version_meta WHERE version_id = 1002"),
            "5 applied");
  // Its positions end with it, so a later down and up start afresh.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version_progress"), "0");
  run(set, migrator::command_kind::down_to, 1001);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM items"), "0");
  run(set, migrator::command_kind::up);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM items"), "5");
}

TEST_F(code_migration_test, a_code_migration_read_from_a_directory_is_listed_but_not_run) {
  auto set = set_with(fill, code_text());
  set.migrations[1].code = nullptr;  // as read by --modules-dir in a program built without it
  migrator::engine engine(db.dsn(), set, migrator::engine_options{});
  const auto plan = engine.plan({migrator::command_kind::up, 0});
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[1].file->kind, migrator::migration_kind::code);
  try {
    engine.run({migrator::command_kind::up, 0});
    FAIL() << "ran code it does not have";
  } catch (const migrator::run_error& e) {
    EXPECT_EQ(e.code(), migrator::error_code::plan);
    EXPECT_THAT(e.what(), HasSubstr("is a code migration this program was not built with"));
  }
  EXPECT_EQ(applied(), (std::vector<std::string>{"1001"}));
}

}  // namespace
