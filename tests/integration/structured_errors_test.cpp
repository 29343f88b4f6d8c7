// A failing migration's error carries structured fields: module, version,
// file, line, statement number, and the server's SQLSTATE, message, detail,
// hint and position from libpq's diagnostic fields. Also the PostgreSQL
// session's results, and the engine built from seams the caller passes in.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "migrator/engine.h"
#include "migrator/postgres.h"
#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;

namespace {

// A module set in memory: module "shop" at position 2 (versions 2001..2999).
// Each statement is {sql, first line in the file}.
migrator::module_set shop_with(std::int64_t version, std::vector<migrator::statement> up,
                               bool use_transaction = true) {
  migrator::module_set set;
  set.modules = {migrator::module_spec{"base", "base", "", 1}, migrator::module_spec{"shop", "shop", "", 2}};
  migrator::migration m;
  m.version = version;
  m.module = "shop";
  m.name = "m";
  m.path = "modules/shop/migrations/0" + std::to_string(version) + "_m.sql";
  m.checksum = "c";
  migrator::migration_body body;
  body.use_transaction = use_transaction;
  body.up = std::move(up);
  m.set_body(std::move(body));
  set.migrations.push_back(std::move(m));
  return set;
}

migrator::run_error run_failing(const std::string& dsn, const migrator::module_set& set) {
  migrator::engine engine(dsn, set, {});
  try {
    engine.run({migrator::command_kind::up, 0});
  } catch (const migrator::run_error& e) {
    return e;
  }
  ADD_FAILURE() << "the run did not fail";
  return migrator::run_error(migrator::error_code::database, "", {});
}

class structured_errors : public ::testing::Test {
 protected:
  test_database db;
};

TEST_F(structured_errors, a_missing_relation_names_statement_line_sqlstate_and_position) {
  // Statement 2 starts on file line 5; "nope" is on its second line, file line 6.
  const auto set = shop_with(2001, {{"CREATE TABLE t (id int);", 3}, {"SELECT id\nFROM nope;", 5}});
  const auto e = run_failing(db.dsn(), set);
  const auto& d = e.details();
  EXPECT_EQ(e.code(), migrator::error_code::database);
  EXPECT_EQ(d.module, "shop");
  EXPECT_EQ(d.version, 2001);
  EXPECT_EQ(d.file, "modules/shop/migrations/02001_m.sql");
  EXPECT_EQ(d.statement, 2);
  EXPECT_EQ(d.sqlstate, "42P01");
  EXPECT_EQ(d.server_message, "relation \"nope\" does not exist");
  EXPECT_EQ(d.position, 16) << "1-based character position of 'nope' in the statement";
  EXPECT_EQ(d.line, 6) << "the file line of the position";
  EXPECT_THAT(e.what(), HasSubstr("modules/shop/migrations/02001_m.sql:6: migration 2001 (module shop) failed (up) "
                                  "at statement 2 of 2"));
  EXPECT_THAT(e.what(), HasSubstr("SQLSTATE 42P01: relation \"nope\" does not exist"));
  // Nothing of it was applied.
  EXPECT_EQ(db.scalar("SELECT to_regclass('t') IS NULL"), "t");
}

TEST_F(structured_errors, the_position_counts_characters_not_bytes) {
  // "é" is two bytes in UTF-8 and one character for the server.
  const auto set = shop_with(2001, {{"SELECT 'é',\n'é', nope;", 10}});
  const auto e = run_failing(db.dsn(), set);
  EXPECT_EQ(e.details().sqlstate, "42703");
  EXPECT_EQ(e.details().position, 18);
  EXPECT_EQ(e.details().line, 11);
}

TEST_F(structured_errors, detail_of_a_unique_violation) {
  const auto set = shop_with(2001, {{"CREATE TABLE u (id int PRIMARY KEY);", 1},
                                    {"INSERT INTO u VALUES (1);", 2},
                                    {"INSERT INTO u VALUES (1);", 3}});
  const auto e = run_failing(db.dsn(), set);
  EXPECT_EQ(e.details().statement, 3);
  EXPECT_EQ(e.details().line, 3);
  EXPECT_EQ(e.details().sqlstate, "23505");
  EXPECT_EQ(e.details().detail, "Key (id)=(1) already exists.");
  EXPECT_EQ(e.details().position, 0) << "the server gives no position for this error";
  EXPECT_THAT(e.what(), HasSubstr("\nDETAIL:  Key (id)=(1) already exists."));
}

TEST_F(structured_errors, fields_the_migration_itself_raises_come_back_unchanged) {
  const auto set = shop_with(
      2001, {{"DO $$ BEGIN RAISE EXCEPTION 'price % is negative', -1 USING ERRCODE = 'P0042', "
              "DETAIL = 'prices are cents', HINT = 'fix the price'; END $$;",
              7}});
  const auto e = run_failing(db.dsn(), set);
  const auto& d = e.details();
  EXPECT_EQ(d.sqlstate, "P0042");
  EXPECT_EQ(d.server_message, "price -1 is negative");
  EXPECT_EQ(d.detail, "prices are cents");
  EXPECT_EQ(d.hint, "fix the price");
  EXPECT_THAT(d.context, HasSubstr("PL/pgSQL"));
  EXPECT_EQ(d.line, 7);
  EXPECT_THAT(e.what(), HasSubstr("\nHINT:  fix the price"));
}

TEST_F(structured_errors, hint_of_an_unknown_function) {
  const auto set = shop_with(2001, {{"SELECT no_such_function(1);", 4}});
  const auto e = run_failing(db.dsn(), set);
  EXPECT_EQ(e.details().sqlstate, "42883");
  EXPECT_FALSE(e.details().hint.empty());
  EXPECT_EQ(e.details().position, 8);
}

TEST_F(structured_errors, a_no_transaction_migration_carries_them_too) {
  const auto set = shop_with(2001, {{"CREATE TABLE n (id int);", 2}, {"SELECT 1\nFROM missing;", 4}},
                             /*use_transaction=*/false);
  const auto e = run_failing(db.dsn(), set);
  const auto& d = e.details();
  EXPECT_EQ(d.statement, 2);
  EXPECT_EQ(d.sqlstate, "42P01");
  EXPECT_EQ(d.line, 5);
  EXPECT_EQ(d.version, 2001);
  EXPECT_THAT(e.what(), HasSubstr("marked dirty"));
}

TEST_F(structured_errors, database_errors_outside_a_migration_carry_the_server_fields) {
  db.exec("CREATE TABLE goose_db_version (wrong int)");
  migrator::engine engine(db.dsn(), shop_with(2001, {{"SELECT 1;", 1}}), {});
  try {
    engine.status();
    FAIL() << "status read a table without goose's columns";
  } catch (const migrator::error& e) {
    EXPECT_EQ(e.code(), migrator::error_code::database);
    EXPECT_EQ(e.details().sqlstate, "42703");
    EXPECT_THAT(e.what(), HasSubstr("reading the migration history: SQLSTATE 42703"));
  }
}

TEST(postgres_session, results_come_back_in_our_types) {
  test_database db;
  auto s = migrator::connect_postgres(db.dsn());
  auto r = s->exec("CREATE TABLE v (a int, b text); INSERT INTO v VALUES (1, 'x'), (2, NULL); SELECT a, b FROM v "
                   "ORDER BY a");
  EXPECT_EQ(r.columns, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r.integer(0, 0), 1);
  EXPECT_EQ(r.text(0, 1), "x");
  EXPECT_FALSE(r.rows[1][1].has_value());
  EXPECT_THROW(r.text(1, 1), migrator::error);
  EXPECT_EQ(s->exec("UPDATE v SET b = 'y'").affected, 2);
  auto p = s->exec_params("SELECT $1::text IS NULL, $2::int + 1, $3::text", {std::nullopt, "41", "it's"});
  EXPECT_TRUE(p.boolean(0, 0));
  EXPECT_EQ(p.text(0, 1), "42");
  EXPECT_EQ(p.text(0, 2), "it's");
  EXPECT_EQ(s->exec("SELECT " + s->quote("it's") + "::text").text(0, 0), "it's");
  EXPECT_EQ(s->quote_qualified("ops.Goose"), "\"ops\".\"Goose\"");
}

TEST(postgres_session, an_unreachable_server_is_a_lost_connection_without_the_password) {
  try {
    migrator::connect_postgres("postgresql://someone:hunter2secret@127.0.0.1:1/x?connect_timeout=2");
    FAIL() << "connected to port 1";
  } catch (const migrator::database_error& e) {
    EXPECT_TRUE(e.connection_lost());
    EXPECT_THAT(e.what(), ::testing::Not(HasSubstr("hunter2secret")));
  }
}

TEST(engine_seams, an_engine_runs_on_seams_the_caller_built) {
  test_database db;
  auto session = migrator::connect_postgres(db.dsn());
  auto history = migrator::make_goose_history_store(*session, "ops.history");
  auto lock = migrator::make_advisory_lock(*session, 42);
  const auto set = shop_with(2001, {{"CREATE TABLE s (id int);", 1}});
  migrator::engine engine(*session, *history, *lock, set, {});
  auto report = engine.run({migrator::command_kind::up, 0});
  ASSERT_EQ(report.steps.size(), 1u);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM ops.history WHERE version_id = 2001"), "1");
  EXPECT_EQ(db.scalar("SELECT module FROM ops.history_meta WHERE version_id = 2001"), "shop");
  EXPECT_TRUE(engine.status().current());
  // The lock the caller chose was taken and released: key 42 is free again.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 42"), "0");
}

}  // namespace
