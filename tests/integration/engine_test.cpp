// The engine against the real PostgreSQL: every command, allow-missing across
// modules, atomicity, NO TRANSACTION, the lock under concurrency, goose adoption.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

class engine_test : public ::testing::Test {
 protected:
  test_database db;
  temp_dir modules;

  run_result migrate(const std::vector<std::string>& args) { return migrate_in(db.dsn(), modules.path(), args); }

  std::vector<std::string> applied_versions() {
    return db.query("SELECT version_id::text FROM goose_db_version WHERE version_id > 0 ORDER BY id");
  }

  bool table_exists(const std::string& name) {
    return db.scalar("SELECT to_regclass('" + name + "') IS NOT NULL") == "t";
  }

  // Two modules: db (1001, 1002) and shop (2001).
  void write_two_modules() {
    write_module_set(modules, {{"db",
                                {{"01001_init.sql", migration_text("CREATE SCHEMA db;\nCREATE TABLE db.a (id int);",
                                                                   "DROP TABLE db.a;\nDROP SCHEMA db;")},
                                 {"01002_b.sql", migration_text("CREATE TABLE db.b (id int);", "DROP TABLE db.b;")}}},
                               {"shop",
                                {{"02001_init.sql",
                                  migration_text("CREATE SCHEMA shop;\nCREATE TABLE shop.c (id int);",
                                                 "DROP TABLE shop.c;\nDROP SCHEMA shop;")}}}});
  }
};

TEST_F(engine_test, up_applies_everything_in_order_and_records_goose_rows) {
  write_two_modules();
  auto r = migrate({"up"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(applied_versions(), (std::vector<std::string>{"1001", "1002", "2001"}));
  EXPECT_TRUE(table_exists("db.b"));
  EXPECT_TRUE(table_exists("shop.c"));
  // goose's version-0 row exists, as goose creates it.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version WHERE version_id = 0 AND is_applied"), "1");
  // The side table records module and checksum.
  EXPECT_EQ(db.scalar("SELECT module FROM goose_db_version_meta WHERE version_id = 2001"), "shop");
  EXPECT_EQ(db.scalar("SELECT length(checksum) FROM goose_db_version_meta WHERE version_id = 1001"), "64");
}

TEST_F(engine_test, second_up_has_nothing_to_do) {
  write_two_modules();
  ASSERT_EQ(migrate({"up"}).code, 0);
  auto rows_before = db.scalar("SELECT count(*) FROM goose_db_version");
  auto r = migrate({"up"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version"), rows_before);
}

// Files are parsed on first use: an applied file is only hashed, but a malformed
// pending one still stops `up` before any migration of the run is applied.
TEST_F(engine_test, a_pending_malformed_file_stops_up_before_anything_is_applied) {
  write_two_modules();
  ASSERT_EQ(migrate({"up"}).code, 0);
  const std::string history_before = db.scalar("SELECT string_agg(version_id::text, ',' ORDER BY id) FROM goose_db_version");
  modules.write("db/migrations/01003_late.sql", migration_text("CREATE TABLE db.late (id int);", "DROP TABLE db.late;"));
  modules.write("shop/migrations/02002_bad.sql", "-- +goose Up\nSELECT 1;\n-- +goose StatementEnd\n");
  for (const char* command : {"up", "up-to"}) {
    std::vector<std::string> args{command};
    if (std::string(command) == "up-to") args.push_back("2002");
    auto r = migrate(args);
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr((modules.path() / "shop/migrations/02002_bad.sql").string() +
                                 ":3: StatementEnd without a StatementBegin"));
    EXPECT_THAT(r.err, HasSubstr("nothing was changed"));
    EXPECT_EQ(db.scalar("SELECT string_agg(version_id::text, ',' ORDER BY id) FROM goose_db_version"), history_before);
    EXPECT_FALSE(table_exists("db.late")) << "1003 comes first in the plan but must not run";
  }
  // What does not run is not parsed: up-by-one applies 1003 and never reads 2002's statements.
  auto one = migrate({"up-by-one"});
  ASSERT_EQ(one.code, 0) << one.err;
  EXPECT_TRUE(table_exists("db.late"));
  // status shows the set without parsing it.
  EXPECT_EQ(migrate({"status"}).code, 0);
}

// On a fresh database the run creates the history tables before the plan's
// files are parsed (the parse goes on beside that request): a malformed file
// rolls them back, so the database is as it was.
TEST_F(engine_test, a_malformed_file_on_a_fresh_database_leaves_no_history_table) {
  write_two_modules();
  modules.write("shop/migrations/02002_bad.sql", "-- +goose Up\nSELECT 1;\n-- +goose StatementEnd\n");
  auto r = migrate({"up"});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("02002_bad.sql:3: StatementEnd without a StatementBegin"));
  EXPECT_THAT(r.err, HasSubstr("nothing was changed"));
  EXPECT_FALSE(table_exists("goose_db_version"));
  EXPECT_FALSE(table_exists("goose_db_version_meta"));
  EXPECT_FALSE(table_exists("db.a")) << "1001 comes first in the plan but must not run";
  // This database's: pg_locks is the whole server's, where other tests run at the same time.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                      "WHERE d.datname = current_database() AND l.locktype = 'advisory'"),
            "0");
}

TEST_F(engine_test, allow_missing_applies_a_later_file_in_an_earlier_module) {
  write_two_modules();
  ASSERT_EQ(migrate({"up"}).code, 0);
  modules.write("db/migrations/01003_late.sql", migration_text("CREATE TABLE db.late (id int);", "DROP TABLE db.late;"));
  auto r = migrate({"up"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(applied_versions(), (std::vector<std::string>{"1001", "1002", "2001", "1003"}));
  EXPECT_THAT(r.err, HasSubstr("applied 1 migration(s)"));
  EXPECT_THAT(r.err, HasSubstr("the database is at version 2001"));
  // down undoes the most recently applied (1003), not the highest version (2001).
  ASSERT_EQ(migrate({"down"}).code, 0);
  EXPECT_FALSE(table_exists("db.late"));
  EXPECT_TRUE(table_exists("shop.c"));
  EXPECT_EQ(applied_versions(), (std::vector<std::string>{"1001", "1002", "2001"}));
}

TEST_F(engine_test, every_command) {
  write_two_modules();
  ASSERT_EQ(migrate({"up-by-one"}).code, 0);
  EXPECT_EQ(applied_versions(), (std::vector<std::string>{"1001"}));
  ASSERT_EQ(migrate({"up-to", "1002"}).code, 0);
  EXPECT_EQ(applied_versions(), (std::vector<std::string>{"1001", "1002"}));
  auto version = migrate({"version"});
  EXPECT_EQ(version.code, 0);
  EXPECT_EQ(version.out, "1002\n");
  ASSERT_EQ(migrate({"up"}).code, 0);
  ASSERT_EQ(migrate({"redo"}).code, 0);
  EXPECT_EQ(applied_versions(), (std::vector<std::string>{"1001", "1002", "2001"}));
  EXPECT_TRUE(table_exists("shop.c"));
  ASSERT_EQ(migrate({"down-to", "1001"}).code, 0);
  EXPECT_EQ(applied_versions(), (std::vector<std::string>{"1001"}));
  EXPECT_FALSE(table_exists("db.b"));
  ASSERT_EQ(migrate({"reset"}).code, 0);
  EXPECT_TRUE(applied_versions().empty());
  EXPECT_FALSE(table_exists("db.a"));
  auto status = migrate({"status"});
  EXPECT_EQ(status.code, 0);
  EXPECT_THAT(status.out, HasSubstr("3 pending"));
}

// redo observed in the database, not in its message: the last migration's Down and
// then its Up ran once each (a journal table that neither touches otherwise records
// every run; the table the Up creates comes back as a new object; its history row
// is a new one), and nothing before it was touched.
TEST_F(engine_test, redo_rolls_back_and_reapplies_exactly_the_last_migration) {
  write_module_set(
      modules,
      {{"db",
        {{"01001_init.sql",
          migration_text("CREATE SCHEMA db;\nCREATE TABLE db.runs (n serial PRIMARY KEY, what text NOT NULL);\n"
                         "CREATE TABLE db.a (id int);\nINSERT INTO db.runs (what) VALUES ('up 1001');",
                         "DROP SCHEMA db CASCADE;")},
         {"01002_b.sql", migration_text("CREATE TABLE db.b (id int);\nINSERT INTO db.runs (what) VALUES ('up 1002');",
                                        "DROP TABLE db.b;\nINSERT INTO db.runs (what) VALUES ('down 1002');")},
         {"01003_c.sql", migration_text("CREATE TABLE db.c (id int);\nINSERT INTO db.runs (what) VALUES ('up 1003');",
                                        "DROP TABLE db.c;\nINSERT INTO db.runs (what) VALUES ('down 1003');")}}}});
  ASSERT_EQ(migrate({"up"}).code, 0);
  const auto journal = [&] { return db.query("SELECT what FROM db.runs ORDER BY n"); };
  ASSERT_EQ(journal(), (std::vector<std::string>{"up 1001", "up 1002", "up 1003"}));
  const std::string a_oid = db.scalar("SELECT 'db.a'::regclass::oid::text");
  const std::string b_oid = db.scalar("SELECT 'db.b'::regclass::oid::text");
  const std::string c_oid = db.scalar("SELECT 'db.c'::regclass::oid::text");
  const auto ids = [&] {
    return db.query("SELECT version_id || ':' || id FROM goose_db_version WHERE version_id > 0 ORDER BY id");
  };
  const auto ids_before = ids();
  ASSERT_EQ(ids_before.size(), 3u);
  const std::string c_row_before = db.scalar("SELECT id::text FROM goose_db_version WHERE version_id = 1003");

  auto r = migrate({"redo"});
  ASSERT_EQ(r.code, 0) << r.err;
  // 1003 alone: its Down, then its Up; 1001 and 1002 did not run.
  EXPECT_EQ(journal(), (std::vector<std::string>{"up 1001", "up 1002", "up 1003", "down 1003", "up 1003"}));
  EXPECT_NE(db.scalar("SELECT 'db.c'::regclass::oid::text"), c_oid) << "db.c was not dropped and created again";
  EXPECT_EQ(db.scalar("SELECT 'db.b'::regclass::oid::text"), b_oid);
  EXPECT_EQ(db.scalar("SELECT 'db.a'::regclass::oid::text"), a_oid);
  // History: the rows of 1001 and 1002 are the same rows; 1003's is a new one, once.
  const auto ids_after = ids();
  ASSERT_EQ(ids_after.size(), 3u);
  EXPECT_EQ(ids_after[0], ids_before[0]);
  EXPECT_EQ(ids_after[1], ids_before[1]);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version WHERE version_id = 1003"), "1");
  EXPECT_GT(std::stoll(db.scalar("SELECT id::text FROM goose_db_version WHERE version_id = 1003")),
            std::stoll(c_row_before));
  EXPECT_EQ(db.scalar("SELECT state FROM goose_db_version_meta WHERE version_id = 1003"), "applied");
}

TEST_F(engine_test, status_lists_modules_in_version_order_as_json) {
  write_two_modules();
  ASSERT_EQ(migrate({"up-to", "1001"}).code, 0);
  auto r = migrate({"status", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["current_version"], 1001);
  ASSERT_EQ(j["migrations"].size(), 3u);
  EXPECT_EQ(j["migrations"][0]["module"], "db");
  EXPECT_EQ(j["migrations"][0]["state"], "applied");
  EXPECT_TRUE(j["migrations"][0]["applied_at"].is_string());
  EXPECT_EQ(j["migrations"][2]["module"], "shop");
  EXPECT_EQ(j["migrations"][2]["state"], "pending");
  EXPECT_TRUE(j["migrations"][2]["applied_at"].is_null());
}

TEST_F(engine_test, a_failing_third_statement_leaves_no_trace) {
  write_module_set(modules, {{"db",
                              {{"01001_ok.sql", migration_text("CREATE TABLE ok (id int);")},
                               {"01002_bad.sql", migration_text("CREATE TABLE one (id int);\n"
                                                                "CREATE TABLE two (id int);\n"
                                                                "INSERT INTO nowhere VALUES (1);\n"
                                                                "CREATE TABLE four (id int);")}}}});
  auto r = migrate({"up"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(table_exists("ok"));  // applied before the failure: stays
  EXPECT_FALSE(table_exists("one"));
  EXPECT_FALSE(table_exists("two"));
  EXPECT_EQ(applied_versions(), (std::vector<std::string>{"1001"}));
  // The report names file:line, module, version, statement number and first line, SQLSTATE, message.
  EXPECT_THAT(r.err, HasSubstr("01002_bad.sql:4:"));
  EXPECT_THAT(r.err, HasSubstr("migration 1002 (module db"));
  EXPECT_THAT(r.err, HasSubstr("statement 3 of 4"));
  EXPECT_THAT(r.err, HasSubstr("INSERT INTO nowhere VALUES (1);"));
  EXPECT_THAT(r.err, HasSubstr("SQLSTATE 42P01"));
  EXPECT_THAT(r.err, HasSubstr("relation \"nowhere\" does not exist"));
}

// Pending transactional migrations travel in one request, each in its own
// transaction: a failure in the middle keeps the ones before it, leaves no trace
// of it and runs none after it, and is reported like a single migration's.
TEST_F(engine_test, a_failure_inside_a_batch_keeps_the_migrations_before_it_and_names_its_statement) {
  write_module_set(modules, {{"db",
                              {{"01001_a.sql", migration_text("CREATE TABLE a (id int);")},
                               {"01002_b.sql", migration_text("CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);")},
                               {"01003_bad.sql", migration_text("CREATE TABLE c (id int);\n"
                                                                "INSERT INTO missing VALUES (1);")},
                               {"01004_d.sql", migration_text("CREATE TABLE d (id int);")}}}});
  auto r = migrate({"up"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(applied_versions(), (std::vector<std::string>{"1001", "1002"}));
  EXPECT_TRUE(table_exists("a"));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM b"), "1");
  EXPECT_FALSE(table_exists("c"));
  EXPECT_FALSE(table_exists("d"));
  EXPECT_THAT(r.err, HasSubstr("01003_bad.sql:3:"));
  EXPECT_THAT(r.err, HasSubstr("migration 1003 (module db"));
  EXPECT_THAT(r.err, HasSubstr("statement 2 of 2"));
  EXPECT_THAT(r.err, HasSubstr("SQLSTATE 42P01"));
  EXPECT_THAT(r.err, HasSubstr("Nothing of migration 1003"));
  // Each migration that committed has its own side row with its own duration.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version_meta WHERE state = 'applied' AND duration_ms >= 0"),
            "2");
  // The rest applies once the file is fixed.
  write_module_set(modules, {{"db",
                              {{"01001_a.sql", migration_text("CREATE TABLE a (id int);")},
                               {"01002_b.sql", migration_text("CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);")},
                               {"01003_bad.sql", migration_text("CREATE TABLE c (id int);")},
                               {"01004_d.sql", migration_text("CREATE TABLE d (id int);")}}}});
  r = migrate({"up"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(applied_versions(), (std::vector<std::string>{"1001", "1002", "1003", "1004"}));
}

// A migration whose error comes only at its COMMIT (a deferred constraint):
// it is not applied, the ones before it are, none after it runs.
TEST_F(engine_test, a_failure_at_commit_inside_a_batch) {
  write_module_set(modules,
                   {{"db",
                     {{"01001_parent.sql", migration_text("CREATE TABLE parent (id int PRIMARY KEY);")},
                      {"01002_child.sql",
                       migration_text("CREATE TABLE child (p int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);\n"
                                      "INSERT INTO child VALUES (42);")},
                      {"01003_after.sql", migration_text("CREATE TABLE after_it (id int);")}}}});
  auto r = migrate({"up"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(applied_versions(), (std::vector<std::string>{"1001"}));
  EXPECT_TRUE(table_exists("parent"));
  EXPECT_FALSE(table_exists("child"));
  EXPECT_FALSE(table_exists("after_it"));
  EXPECT_THAT(r.err, HasSubstr("migration 1002 (module db"));
  EXPECT_THAT(r.err, HasSubstr("SQLSTATE 23503"));
  EXPECT_THAT(r.err, HasSubstr("Nothing of migration 1002"));
}

// A NO TRANSACTION migration between transactional ones ends a batch: it runs
// alone, statement by statement, and the ones after it still apply.
TEST_F(engine_test, a_no_transaction_migration_splits_the_batches) {
  write_module_set(modules, {{"db",
                              {{"01001_t.sql", migration_text("CREATE TABLE t (id int);")},
                               {"01002_u.sql", migration_text("CREATE TABLE u (id int);")},
                               {"01003_idx.sql", "-- +goose NO TRANSACTION\n" +
                                                     migration_text("CREATE INDEX CONCURRENTLY t_id ON t (id);")},
                               {"01004_v.sql", migration_text("CREATE TABLE v (id int);")},
                               {"01005_w.sql", migration_text("CREATE TABLE w (id int);")}}}});
  auto r = migrate({"up"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(applied_versions(), (std::vector<std::string>{"1001", "1002", "1003", "1004", "1005"}));
  EXPECT_TRUE(table_exists("t_id"));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version_meta WHERE state = 'applied'"), "5");
}

TEST_F(engine_test, no_transaction_migration_runs_create_index_concurrently) {
  write_module_set(modules, {{"db",
                              {{"01001_t.sql", migration_text("CREATE TABLE t (id int);", "DROP TABLE t;")},
                               {"01002_idx.sql", "-- +goose NO TRANSACTION\n" +
                                                     migration_text("CREATE INDEX CONCURRENTLY t_id ON t (id);",
                                                                    "DROP INDEX CONCURRENTLY t_id;")}}}});
  auto r = migrate({"up"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(table_exists("t_id"));
  EXPECT_EQ(db.scalar("SELECT state FROM goose_db_version_meta WHERE version_id = 1002"), "applied");
  ASSERT_EQ(migrate({"down"}).code, 0);
  EXPECT_FALSE(table_exists("t_id"));
}

TEST_F(engine_test, a_goose_written_history_is_adopted) {
  write_two_modules();
  // Exactly what goose v3 does: its DDL, its version-0 row, then one row per applied migration.
  db.exec(
      "CREATE TABLE goose_db_version (id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, "
      "version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NOT NULL DEFAULT now());"
      "INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true);"
      "CREATE SCHEMA db; CREATE TABLE db.a (id int);"
      "INSERT INTO goose_db_version (version_id, is_applied) VALUES (1001, true);");
  auto status = migrate({"status"});
  ASSERT_EQ(status.code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("1 applied migration(s) have no checksum"));
  auto r = migrate({"up"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(applied_versions(), (std::vector<std::string>{"1001", "1002", "2001"}));
  // goose reads its table as before: one row per version, latest applied.
  EXPECT_EQ(db.scalar("SELECT max(version_id) FROM goose_db_version"), "2001");
  const std::string recorded = db.scalar("SELECT count(checksum) FROM goose_db_version_meta");
  auto dry = migrate({"repair", "--checksums", "--dry-run"});
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("1 checksum(s) would be recorded; nothing was changed"));
  EXPECT_THAT(dry.out, HasSubstr("-- record the checksum of db 1001 "));
  EXPECT_EQ(db.scalar("SELECT count(checksum) FROM goose_db_version_meta"), recorded);
  ASSERT_EQ(migrate({"repair", "--checksums"}).code, 0);
  EXPECT_EQ(db.scalar("SELECT count(checksum) FROM goose_db_version_meta"), "3");
}

// goose's version-0 row goes in only with the table that `up` creates: a table
// that exists keeps its rows, the version-0 row included or not, and a second
// `up` adds no second one.
TEST_F(engine_test, the_version_0_row_comes_only_with_a_table_up_creates) {
  write_two_modules();
  const std::string goose_ddl =
      "CREATE TABLE goose_db_version (id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, "
      "version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NOT NULL DEFAULT now());";
  struct start {
    std::string name, setup, zero_rows_after;
  };
  const start starts[] = {
      {"no table", "", "1"},
      {"goose's table with its version-0 row", goose_ddl + "INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true);", "1"},
      {"an empty table made by hand", goose_ddl, "0"},
  };
  for (const auto& s : starts) {
    SCOPED_TRACE(s.name);
    db.exec("DROP TABLE IF EXISTS goose_db_version, goose_db_version_meta, goose_db_version_digest;"
            "DROP SCHEMA IF EXISTS db CASCADE; DROP SCHEMA IF EXISTS shop CASCADE;" + s.setup);
    for (int run = 0; run < 2; ++run) {
      auto r = migrate({"up"});
      ASSERT_EQ(r.code, 0) << r.err;
      EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version WHERE version_id = 0"), s.zero_rows_after);
    }
    EXPECT_EQ(applied_versions(), (std::vector<std::string>{"1001", "1002", "2001"}));
  }
}

// The server sends goose's rows in its own (heap) order and each time as whole
// seconds; status puts them in id order and writes the time as to_char did.
TEST_F(engine_test, status_reads_goose_rows_in_id_order_and_times_as_to_char_writes_them) {
  write_two_modules();
  db.exec(
      "CREATE TABLE goose_db_version (id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, "
      "version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NOT NULL DEFAULT now());"
      // Stored out of id order: 1002's later row (rolled back, as goose v2 wrote it) comes first.
      "INSERT INTO goose_db_version (id, version_id, is_applied, tstamp) VALUES "
      "(9, 1002, false, '2001-01-01 00:00:00'), (1, 0, true, now()), (5, 1002, true, '2000-02-29 12:34:56.999999'), "
      "(3, 1001, true, '1969-12-31 23:59:59.5'), (7, 2001, true, 'infinity');"
      "CREATE SCHEMA db; CREATE TABLE db.a (id int); CREATE SCHEMA shop; CREATE TABLE shop.c (id int);");
  ASSERT_EQ(db.scalar("SELECT string_agg(id::text, ',') FROM goose_db_version"), "9,1,5,3,7");
  auto r = migrate({"status", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto migrations = nlohmann::json::parse(r.out)["migrations"];
  ASSERT_EQ(migrations.size(), 3u);
  EXPECT_EQ(migrations[0]["version"], 1001);
  EXPECT_EQ(migrations[0]["state"], "applied");
  EXPECT_EQ(migrations[0]["applied_at"],
            db.scalar("SELECT to_char(tstamp, 'YYYY-MM-DD HH24:MI:SS') FROM goose_db_version WHERE id = 3"));
  EXPECT_EQ(migrations[0]["applied_at"], "1969-12-31 23:59:59");
  EXPECT_EQ(migrations[1]["version"], 1002);
  EXPECT_EQ(migrations[1]["state"], "pending") << "row 9, the latest of 1002, rolled it back";
  EXPECT_TRUE(migrations[1]["applied_at"].is_null());
  EXPECT_EQ(migrations[2]["version"], 2001);
  EXPECT_EQ(migrations[2]["state"], "applied");
  EXPECT_TRUE(migrations[2]["applied_at"].is_null()) << "an infinite time has no text";
  db.exec("UPDATE goose_db_version SET is_applied = true WHERE id = 9");
  r = migrate({"status", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto again = nlohmann::json::parse(r.out)["migrations"];
  EXPECT_EQ(again[1]["state"], "applied");
  EXPECT_EQ(again[1]["applied_at"], "2001-01-01 00:00:00") << "the latest row's time";
}

// goose's tstamp is read as its own text when the server writes times as
// DateStyle ISO does, and as seconds under any other DateStyle: either way status
// shows what to_char(tstamp, 'YYYY-MM-DD HH24:MI:SS') shows, BC years included.
TEST_F(engine_test, status_shows_the_same_times_under_every_date_style) {
  write_two_modules();
  ASSERT_EQ(migrate({"up"}).code, 0);
  db.exec("UPDATE goose_db_version SET tstamp = '0044-03-15 12:00:00.75 BC' WHERE version_id = 1001;"
          "UPDATE goose_db_version SET tstamp = '2026-12-05 16:08:56.999999' WHERE version_id = 1002;"
          "UPDATE goose_db_version SET tstamp = 'infinity' WHERE version_id = 2001;");
  const std::vector<std::string> expected = {"0044-03-15 12:00:00", "2026-12-05 16:08:56"};
  for (const char* style : {"ISO, MDY", "SQL, DMY", "Postgres, MDY", "German", "ISO, YMD"}) {
    SCOPED_TRACE(style);
    db.exec("ALTER DATABASE " + db.name() + " SET DateStyle = '" + style + "'");
    auto r = migrate({"status", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto migrations = nlohmann::json::parse(r.out)["migrations"];
    ASSERT_EQ(migrations.size(), 3u);
    EXPECT_EQ(migrations[0]["applied_at"], expected[0]);
    EXPECT_EQ(migrations[1]["applied_at"], expected[1]);
    EXPECT_EQ(migrations[2]["state"], "applied");
    EXPECT_TRUE(migrations[2]["applied_at"].is_null()) << "an infinite time has no text";
  }
  EXPECT_EQ(db.query("SELECT to_char(tstamp, 'YYYY-MM-DD HH24:MI:SS') FROM goose_db_version "
                     "WHERE version_id IN (1001, 1002) ORDER BY version_id"),
            expected);
}

TEST_F(engine_test, schema_qualified_table_option) {
  write_two_modules();
  auto r = migrate({"up", "--table", "ops.migrations"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(db.scalar("SELECT count(*) FROM ops.migrations WHERE version_id > 0"), "3");
  EXPECT_FALSE(table_exists("goose_db_version"));
}

// Regression: the subcommand was removed from the arguments by value, so a global
// option's value spelled like it ("--table up ... up") was removed instead.
TEST_F(engine_test, a_table_named_like_the_command_before_it) {
  write_two_modules();
  auto r = migrate({"--table", "up", "--lock-timeout", "5s", "up"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(db.scalar("SELECT count(*) FROM up WHERE version_id > 0"), "3");
  EXPECT_FALSE(table_exists("goose_db_version"));
  auto status = migrate({"--table", "status", "status", "--json"});
  ASSERT_EQ(status.code, 0) << status.err;
  EXPECT_TRUE(table_exists("up"));
}

TEST_F(engine_test, eight_processes_running_up_at_once_record_each_migration_once) {
  std::vector<module_files> set;
  for (int m = 0; m < 4; ++m) {
    module_files mod{"m" + std::to_string(m), {}};
    for (int i = 1; i <= 10; ++i) {
      auto version = std::to_string((m + 1) * 1000 + i);
      mod.files.push_back({"0" + version + "_t.sql",
                           migration_text("CREATE TABLE t" + version + " (id int);\nSELECT pg_sleep(0.005);")});
    }
    set.push_back(mod);
  }
  write_module_set(modules, set);
  std::vector<std::future<run_result>> runs;
  for (int i = 0; i < 8; ++i)
    runs.push_back(std::async(std::launch::async, [&] {
      return run_app_process({"migrate", "up", "--dsn", db.dsn(), "--modules-dir", modules.path().string()});
    }));
  for (auto& f : runs) {
    auto r = f.get();
    EXPECT_EQ(r.code, 0) << r.err;
  }
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version WHERE version_id > 0"), "40");
  EXPECT_EQ(db.scalar("SELECT count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0"), "40");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version WHERE version_id = 0"), "1");
}

}  // namespace
