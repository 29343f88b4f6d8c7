// What depends on the server's version, on whichever server the fixture runs
// (scripts/test --pg N): a module that requires PostgreSQL 18 (uuidv7(),
// VIRTUAL generated columns, NOT ENFORCED constraints) applies, verifies and
// lints clean on 18 and is refused before any statement on an older server;
// lint asks the server's grammar about what its own rejects; dump checks
// pg_dump's version against the server before any work. Each test reads the
// server's version and asserts what that server must do.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <pqxx/pqxx>

#include "migrator/postgres.h"
#include "migrator/schema_dump.h"
#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;

namespace {

int server_major(const test_database& db) { return testing_support::server_major(db.dsn()); }

int path_pg_dump_major() { return pg_dump_major(); }

// A module of PostgreSQL 18 syntax: parsed by no grammar before 18's.
void write_events_module(const temp_dir& dir) {
  dir.write("modules.yaml", "modules:\n  - name: events\n    requires_postgres: 18\n");
  dir.write("events/migrations/01001_happenings.sql",
            "-- +goose Up\n"
            "CREATE SCHEMA events;\n"
            "CREATE TABLE events.happenings (id uuid PRIMARY KEY DEFAULT uuidv7(), amount integer NOT NULL, "
            "doubled integer GENERATED ALWAYS AS (amount * 2) VIRTUAL);\n"
            "-- +goose Down\n"
            "DROP TABLE events.happenings;\n"
            "DROP SCHEMA events;\n");
  dir.write("events/migrations/01002_positive_amounts.sql",
            "-- +goose Up\n"
            "ALTER TABLE events.happenings ADD CONSTRAINT happenings_amount_positive CHECK (amount > 0) NOT ENFORCED;\n"
            "-- +goose Down\n"
            "ALTER TABLE events.happenings DROP CONSTRAINT happenings_amount_positive;\n");
}

TEST(postgres_versions, a_module_requiring_18_applies_verifies_and_lints_on_18_and_is_refused_before) {
  test_database db;
  temp_dir modules;
  write_events_module(modules);
  auto up = migrate_in(db.dsn(), modules.path(), {"up"});
  auto lint = migrate_in(db.dsn(), modules.path(), {"lint"});
  if (server_major(db) >= 18) {
    ASSERT_EQ(up.code, 0) << up.err;
    db.exec("INSERT INTO events.happenings (amount) VALUES (21)");
    EXPECT_EQ(db.scalar("SELECT uuid_extract_version(id)::text || ' ' || doubled FROM events.happenings"), "7 42");
    test_database scratch;
    auto verify = migrate_in(db.dsn(), modules.path(), {"verify", "--scratch-dsn", scratch.dsn()});
    EXPECT_EQ(verify.code, 0) << verify.err << verify.out;
    EXPECT_EQ(lint.code, 0) << lint.out << lint.err;
    EXPECT_THAT(lint.err, HasSubstr("lint: 0 error(s)"));
    EXPECT_THAT(lint.err, HasSubstr("2 statement(s) parse only on the PostgreSQL 18."));
  } else {
    EXPECT_EQ(up.code, 4) << up.err;
    EXPECT_THAT(up.err, HasSubstr("module events needs PostgreSQL 18 or newer (requires_postgres in modules.yaml), "
                                  "and the server runs PostgreSQL " + std::to_string(server_major(db)) + "."));
    EXPECT_THAT(up.err, HasSubstr("1001 ("));
    EXPECT_THAT(up.err, HasSubstr("nothing was changed"));
    EXPECT_EQ(db.scalar("SELECT to_regnamespace('events') IS NULL"), "t");
    // The older server's own grammar rejects the 18 syntax: a real error, said to be the server's.
    EXPECT_EQ(lint.code, 1);
    EXPECT_THAT(lint.out, HasSubstr("01001_happenings.sql:3:"));
    EXPECT_THAT(lint.out, HasSubstr("server's grammar)"));
  }
}

TEST(postgres_versions, the_example_keys_are_uuid_version_7_on_every_server) {
  test_database db;
  ASSERT_EQ(run_app({"migrate", "up", "--dsn", db.dsn()}).code, 0);
  // Native uuidv7() on 18, the same layout built by hand before: version nibble 7,
  // variant 10, and the first 48 bits the time in milliseconds.
  db.exec("INSERT INTO identity.persons (display_name) VALUES ('first')");
  db.exec("SELECT pg_sleep(0.01)");
  db.exec("INSERT INTO identity.persons (display_name) VALUES ('second')");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM identity.persons WHERE substr(id::text, 15, 1) = '7' AND substr(id::text, "
                      "20, 1) IN ('8', '9', 'a', 'b')"),
            "2");
  EXPECT_EQ(db.scalar("SELECT abs(extract(epoch FROM now()) * 1000 - ('x' || substr(replace(id::text, '-', ''), 1, 12))"
                      "::bit(48)::bigint) < 60000 FROM identity.persons WHERE display_name = 'first'"),
            "t");
  EXPECT_EQ(db.scalar("SELECT (SELECT id FROM identity.persons WHERE display_name = 'first') < "
                      "(SELECT id FROM identity.persons WHERE display_name = 'second')"),
            "t");  // time-ordered
}

TEST(postgres_versions, the_servers_grammar_is_asked_without_running_anything) {
  test_database db;
  auto s = migrator::connect_postgres(db.dsn());
  EXPECT_EQ(migrator::server_syntax_error(
                *s, "CREATE TABLE public.parse_only (a int);\nINSERT INTO public.parse_only VALUES (1);"),
            std::nullopt);
  EXPECT_EQ(db.scalar("SELECT to_regclass('public.parse_only') IS NULL"), "t");
  const auto typo = migrator::server_syntax_error(*s, "CREATE TABEL public.t (a int)");
  ASSERT_TRUE(typo);
  EXPECT_EQ(typo->details().sqlstate, "42601");
  EXPECT_EQ(typo->details().position, 8);  // at TABEL, counted in the statement as given
  // Characters, not bytes: é is one.
  const auto comma = migrator::server_syntax_error(*s, "SELECT '\xC3\xA9' ,, 1");
  ASSERT_TRUE(comma);
  EXPECT_EQ(comma->details().position, 13);
  // The session is usable afterwards: the failed request left no transaction open.
  EXPECT_EQ(s->exec("SELECT 1").text(0, 0), "1");
}

TEST(postgres_versions, lint_with_a_dsn_reports_a_real_syntax_error_at_its_place_on_every_server) {
  test_database db;
  temp_dir modules;
  write_module_set(modules, {{"shop",
                              {{"01001_init.sql", migration_text("CREATE SCHEMA shop;\nCREATE TABEL shop.items (id int);",
                                                                 "DROP SCHEMA shop;")}}}});
  auto lint = migrate_in(db.dsn(), modules.path(), {"lint"});
  EXPECT_EQ(lint.code, 1);
  EXPECT_THAT(lint.out, HasSubstr("/shop/migrations/01001_init.sql:3:8: error[syntax-error]: syntax error at or "
                                  "near \"TABEL\" (the PostgreSQL " + std::to_string(server_major(db)) + "."));
  EXPECT_THAT(lint.err, HasSubstr("lint: 1 error(s)"));
}

TEST(postgres_versions, dump_refuses_a_pg_dump_older_than_the_server_before_any_work) {
  test_database db;
  temp_dir work;
  const int server = server_major(db);
  std::vector<std::string> args{"migrate", "dump", "--dsn", db.dsn(), "--out", (work.path() / "schema").string()};
  std::string expected_dump;
  if (server > path_pg_dump_major()) {
    expected_dump = "is pg_dump " + std::to_string(path_pg_dump_major()) + ".";  // the real, older pg_dump
  } else {
    // A pg_dump one major older than the server stands in for the real one (it only says its version).
    const auto older = work.write("pg_dump", "#!/bin/sh\necho 'pg_dump (PostgreSQL) " + std::to_string(server - 1) +
                                                 ".9'\n");
    ::chmod(older.c_str(), 0755);
    args.insert(args.end(), {"--pg-dump", older.string()});
    expected_dump = "is pg_dump " + std::to_string(server - 1) + ".9";
  }
  auto r = run_app(args);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr(expected_dump));
  EXPECT_THAT(r.err, HasSubstr("the server runs PostgreSQL " + std::to_string(server) + "."));
  EXPECT_THAT(r.err, HasSubstr("postgresql-client-" + std::to_string(server)));
  EXPECT_FALSE(std::filesystem::exists(work.path() / "schema"));  // nothing was written
}

}  // namespace
