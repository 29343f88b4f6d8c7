// `up` on an up-to-date database: one request reads goose's table and the side
// table (and the repeatables' when the set has some), whose rows compare equal
// to the whole set applied, and the engine reads nothing more. Whatever
// makes the history differ (an edited checksum, a version rolled back by goose,
// a version of a newer deploy, a row goose wrote, no history yet) leads to the
// full read, which decides exactly as before.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "migrator/engine.h"
#include "migrator/environment.h"
#include "migrator/postgres.h"
#include "migrator/source.h"
#include "test_support.h"
#include "three_migration_set.h"

using namespace testing_support;
using ::testing::HasSubstr;

namespace {

// A real PostgreSQL session that keeps the text of every request it sends.
class recording_session : public migrator::session {
 public:
  explicit recording_session(const std::string& dsn) : inner_(migrator::connect_postgres(dsn)) {}
  migrator::query_result exec(const std::string& sql) override {
    sent.push_back(sql);
    return inner_->exec(sql);
  }
  migrator::query_result exec_params(const std::string& sql,
                                     const std::vector<migrator::field>& params) override {
    sent.push_back(sql);
    return inner_->exec_params(sql, params);
  }
  std::vector<migrator::query_result> exec_each(const std::vector<std::string>& statements) override {
    std::string request;  // one request, as libpq's session sends them
    for (const auto& s : statements) request += s + ";\n";
    sent.push_back(request);
    return inner_->exec_each(statements);
  }
  std::string quote(const std::string& value) override { return inner_->quote(value); }
  std::string quote_name(const std::string& identifier) override { return inner_->quote_name(identifier); }

  bool sent_containing(const std::string& part) const {
    return std::any_of(sent.begin(), sent.end(),
                       [&](const std::string& s) { return s.find(part) != std::string::npos; });
  }
  std::vector<std::string> sent;

 private:
  std::unique_ptr<migrator::session> inner_;
};

// The full read of goose's table (with each row's time), which the comparison spares.
const char* const full_read = "is_applied, CASE WHEN isfinite(tstamp)";
// The comparison's read of it (no applied-at times, no order: compared in
// memory), a COPY: not planned, so a new server process opens no index for it.
const char* const comparison = "COPY \"goose_db_version\" (id, version_id, is_applied) TO STDOUT;";

// Drops a role made by a test (and what it owns) when the test ends, passed or not.
struct dropped_role {
  const test_database& db;
  std::string role;
  ~dropped_role() { db.exec("DROP OWNED BY " + role + "; DROP ROLE " + role); }
};

class applied_history : public three_migration_set {
 protected:
  // A repeatable migration in db's folder, db's a_view, and the set assembled again.
  void add_repeatable() {
    modules.write("db/migrations/repeatable/a_view.sql",
                  migration_text("CREATE OR REPLACE VIEW a_view AS SELECT 1 AS one;"));
    ASSERT_NO_FATAL_FAILURE(load_set());
  }

  // One `up` on a session of its own, which `session` records.
  migrator::run_report up(recording_session& session) {
    auto history = migrator::make_goose_history_store(session, "goose_db_version");
    auto lock = migrator::make_advisory_lock(session, 7301);
    migrator::engine engine(session, *history, *lock, set, {});
    return engine.run({migrator::command_kind::up, 0});
  }
};

TEST_F(applied_history, an_up_to_date_database_answers_up_in_one_query) {
  recording_session first(db.dsn());
  ASSERT_EQ(up(first).steps.size(), 3u);

  recording_session second(db.dsn());
  const auto report = up(second);
  EXPECT_TRUE(report.steps.empty());
  EXPECT_EQ(report.current_version, 2001);
  EXPECT_EQ(report.starting_version, 2001);
  ASSERT_EQ(second.sent.size(), 1u) << second.sent.back();
  EXPECT_THAT(second.sent[0], HasSubstr(comparison));
}

TEST_F(applied_history, a_fresh_database_has_no_history_to_compare_and_is_migrated) {
  recording_session session(db.dsn());
  EXPECT_EQ(up(session).steps.size(), 3u);
  ASSERT_GE(session.sent.size(), 2u);
  EXPECT_THAT(session.sent[0], HasSubstr(comparison));  // failed with 42P01: no table yet
  EXPECT_TRUE(session.sent_containing(full_read));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version WHERE version_id > 0"), "3");
}

// What fleet status asks first: the version of a current database, in one request.
TEST_F(applied_history, a_current_database_tells_its_version_in_one_request_and_a_behind_one_does_not) {
  recording_session behind(db.dsn());
  {
    auto history = migrator::make_goose_history_store(behind, "goose_db_version");
    auto lock = migrator::make_advisory_lock(behind, 7301);
    migrator::engine engine(behind, *history, *lock, set, {});
    EXPECT_EQ(engine.version_if_current(), std::nullopt);  // no history yet
  }
  recording_session first(db.dsn());
  ASSERT_EQ(up(first).steps.size(), 3u);

  recording_session current(db.dsn());
  auto history = migrator::make_goose_history_store(current, "goose_db_version");
  auto lock = migrator::make_advisory_lock(current, 7301);
  migrator::engine engine(current, *history, *lock, set, {});
  EXPECT_EQ(engine.version_if_current(), 2001);
  ASSERT_EQ(current.sent.size(), 1u);
  EXPECT_THAT(current.sent[0], HasSubstr(comparison));

  db.exec("DELETE FROM goose_db_version WHERE version_id = 2001; DROP TABLE c");
  EXPECT_EQ(engine.version_if_current(), std::nullopt);  // 2001 pending
  EXPECT_EQ(engine.status().current_version, 1002);
}

struct difference {
  const char* what;
  const char* change;  // SQL run on the migrated database
  int steps;           // what `up` then applies; -1: it refuses
};

TEST_F(applied_history, whatever_makes_the_history_differ_leads_to_the_full_read) {
  const difference cases[] = {
      {"an applied file was edited (its recorded checksum differs)",
       "UPDATE goose_db_version_meta SET checksum = 'edited' WHERE version_id = 1002", -1},
      {"goose v3 rolled 2001 back (deleted its row)",
       "DELETE FROM goose_db_version WHERE version_id = 2001; DROP TABLE c", 1},
      {"goose v2 rolled 2001 back (appended is_applied = false)",
       "INSERT INTO goose_db_version (version_id, is_applied) VALUES (2001, false); DROP TABLE c", 1},
      {"a newer deploy applied 2002, which this set lacks",
       "INSERT INTO goose_db_version (version_id, is_applied) VALUES (2002, true)", 0},
      {"goose applied 1001 (no side row)", "DELETE FROM goose_db_version_meta WHERE version_id = 1001", 0},
      {"1001 was recorded by another module",
       "UPDATE goose_db_version_meta SET module = 'shop' WHERE version_id = 1001", -1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    test_database each;
    recording_session first(each.dsn());
    ASSERT_EQ(up(first).steps.size(), 3u);
    each.exec(c.change);
    // The changes are made by hand, as no run of this tool makes them: the
    // digests, which vouch for the side rows until a run that takes the lock
    // writes them again (status_digest_test.cpp), are deleted with them.
    each.exec("DELETE FROM goose_db_version_digest");

    recording_session session(each.dsn());
    if (c.steps < 0) {
      EXPECT_THROW(up(session), migrator::error);
    } else {
      EXPECT_EQ(up(session).steps.size(), static_cast<std::size_t>(c.steps));
    }
    EXPECT_TRUE(session.sent_containing(full_read));
  }
}

// With repeatable migrations in the set, the same one query also compares their
// recorded checksums; a changed or never-applied one leads to the full read and
// is applied, and a recorded one the set no longer has does not matter.
TEST_F(applied_history, repeatables_are_compared_in_the_same_one_query) {
  ASSERT_NO_FATAL_FAILURE(add_repeatable());
  ASSERT_EQ(set.repeatables.size(), 1u);

  recording_session first(db.dsn());
  ASSERT_EQ(up(first).steps.size(), 4u);  // three versions and the repeatable

  recording_session second(db.dsn());
  EXPECT_TRUE(up(second).steps.empty());
  ASSERT_EQ(second.sent.size(), 1u) << second.sent.back();
  EXPECT_THAT(second.sent[0], HasSubstr(comparison));
  EXPECT_THAT(second.sent[0], HasSubstr("goose_db_version_repeatable"));

  const difference cases[] = {
      {"the repeatable was recorded with another checksum",
       "UPDATE goose_db_version_repeatable SET checksum = 'edited'", 1},
      {"the repeatable's row is gone", "DELETE FROM goose_db_version_repeatable", 1},
      {"a repeatable the set no longer has is recorded",
       "INSERT INTO goose_db_version_repeatable (module, name, checksum) VALUES ('db', 'old_view', 'x')", 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    db.exec(c.change);
    recording_session session(db.dsn());
    EXPECT_EQ(up(session).steps.size(), static_cast<std::size_t>(c.steps));
    EXPECT_EQ(session.sent_containing(full_read), c.steps > 0);
  }
}

// The full read (status, and up before and under the lock): a history the tool
// migrated is one request, which also asks which tables exist; the repeatables'
// rows, when their table exists, a second. A fresh database or goose's table
// without ours takes the request that fails (42P01) and then asks first.
TEST_F(applied_history, a_migrated_history_is_read_in_one_request_and_its_repeatables_in_a_second) {
  const auto read = [](const std::string& dsn, std::size_t requests) {
    recording_session session(dsn);
    auto history = migrator::make_goose_history_store(session, "goose_db_version");
    auto snap = history->read();
    EXPECT_EQ(session.sent.size(), requests);
    return snap;
  };
  {
    SCOPED_TRACE("a fresh database");
    const auto snap = read(db.dsn(), 2);
    EXPECT_FALSE(snap.exists);
  }
  recording_session first(db.dsn());
  ASSERT_EQ(up(first).steps.size(), 3u);
  {
    SCOPED_TRACE("migrated, no repeatables");
    const auto snap = read(db.dsn(), 1);
    EXPECT_TRUE(snap.exists);
    EXPECT_EQ(snap.applied.size(), 3u);
    EXPECT_EQ(snap.meta.size(), 3u);
    EXPECT_EQ(snap.meta.at(2001).module, "shop");
    EXPECT_TRUE(snap.repeatables.empty());
  }
  ASSERT_NO_FATAL_FAILURE(add_repeatable());
  recording_session second(db.dsn());
  ASSERT_EQ(up(second).steps.size(), 1u);  // the repeatable
  {
    SCOPED_TRACE("migrated, with a repeatable");
    const auto snap = read(db.dsn(), 2);
    EXPECT_EQ(snap.applied.size(), 3u);
    ASSERT_EQ(snap.repeatables.size(), 1u);
    EXPECT_EQ(snap.repeatables.begin()->first, std::make_pair(std::string("db"), std::string("a_view")));
  }
  db.exec("DROP TABLE goose_db_version_meta");
  {
    SCOPED_TRACE("goose's table without the side table");
    const auto snap = read(db.dsn(), 3);
    EXPECT_TRUE(snap.exists);
    EXPECT_EQ(snap.applied.size(), 3u);
    EXPECT_TRUE(snap.meta.empty());
    EXPECT_EQ(snap.repeatables.size(), 1u);
  }
}

// The history read through libpq's own session reads values in place, where an
// empty value and NULL both come back as "": each must still read as itself.
TEST_F(applied_history, an_empty_value_and_null_read_apart_through_libpq) {
  recording_session first(db.dsn());
  ASSERT_EQ(up(first).steps.size(), 3u);
  ASSERT_NO_FATAL_FAILURE(add_repeatable());
  recording_session second(db.dsn());
  ASSERT_EQ(up(second).steps.size(), 1u);
  db.exec("UPDATE goose_db_version_meta SET module = NULL, name = '', checksum = '' WHERE version_id = 1001");
  db.exec("UPDATE goose_db_version_meta SET module = '', checksum = NULL, statements_done = NULL "
          "WHERE version_id = 1002");
  db.exec("UPDATE goose_db_version_repeatable SET checksum = ''");

  const auto session = migrator::connect_postgres(db.dsn());
  auto history = migrator::make_goose_history_store(*session, "goose_db_version");
  const auto snap = history->read();
  ASSERT_EQ(snap.meta.size(), 3u);
  const auto& a = snap.meta.at(1001);
  EXPECT_EQ(a.module, std::nullopt);
  EXPECT_EQ(a.name, std::optional<std::string>(""));
  EXPECT_EQ(a.checksum, std::optional<std::string>(""));
  const auto& b = snap.meta.at(1002);
  EXPECT_EQ(b.module, std::optional<std::string>(""));
  EXPECT_EQ(b.name, std::optional<std::string>("b"));
  EXPECT_EQ(b.checksum, std::nullopt);
  EXPECT_EQ(b.statements_done, std::nullopt);
  EXPECT_EQ(snap.meta.at(2001).checksum, set.migrations.at(2).checksum);
  ASSERT_EQ(snap.repeatables.size(), 1u);
  EXPECT_EQ(snap.repeatables.begin()->second.checksum, "");

  // The comparison reads the same values in place: the emptied checksums differ from the files'.
  const auto same = history->compare_applied(set.migrations, set.repeatables);
  ASSERT_TRUE(same.has_value());
  EXPECT_FALSE(same->equal);
}

// The history comes as COPY's text, which escapes what a value may hold: each
// value reads as it was stored, through libpq's own session (the read) and a
// session that only passes statements on (the comparison, exec_each).
TEST_F(applied_history, values_with_tabs_newlines_and_backslashes_read_as_stored) {
  recording_session first(db.dsn());
  ASSERT_EQ(up(first).steps.size(), 3u);
  db.exec("UPDATE goose_db_version_meta SET name = E'tab\\there\\nnew line\\\\back\\rslash', "
          "module = E'\\\\N' WHERE version_id = 1001");
  db.exec("UPDATE goose_db_version_meta SET name = E'caf\\u00e9 \\\\x41', checksum = E'a\\tb' "
          "WHERE version_id = 1002");
  ASSERT_EQ(db.scalar("SELECT module FROM goose_db_version_meta WHERE version_id = 1001"), "\\N");
  db.exec("DELETE FROM goose_db_version_digest");  // edited by hand: the digests vouch no more

  const auto session = migrator::connect_postgres(db.dsn());
  auto history = migrator::make_goose_history_store(*session, "goose_db_version");
  const auto snap = history->read();
  ASSERT_EQ(snap.meta.size(), 3u);
  EXPECT_EQ(snap.meta.at(1001).name, std::optional<std::string>("tab\there\nnew line\\back\rslash"));
  EXPECT_EQ(snap.meta.at(1001).module, std::optional<std::string>("\\N")) << "a text, not NULL";
  EXPECT_EQ(snap.meta.at(1002).name, std::optional<std::string>("caf\xc3\xa9 \\x41"));
  EXPECT_EQ(snap.meta.at(1002).checksum, std::optional<std::string>("a\tb"));

  // The comparison sees the same texts: 1001's module is not "db", so the history differs.
  recording_session passing(db.dsn());
  auto compared = migrator::make_goose_history_store(passing, "goose_db_version");
  const auto same = compared->compare_applied(set.migrations, set.repeatables);
  ASSERT_TRUE(same.has_value());
  EXPECT_FALSE(same->equal);
  db.exec("UPDATE goose_db_version_meta SET module = 'db' WHERE version_id = 1001");
  db.exec("UPDATE goose_db_version_meta SET checksum = '" + set.migrations.at(1).checksum +
          "' WHERE version_id = 1002");
  const auto equal_again = compared->compare_applied(set.migrations, set.repeatables);
  ASSERT_TRUE(equal_again.has_value());
  EXPECT_TRUE(equal_again->equal) << "names are not compared; module and checksum are as the set has them";
}

// A COPY the server refuses (no right to read the side table) fails the read
// with the server's SQLSTATE, and the session is ready for its next request:
// the rest of the request was read before the error was thrown.
TEST_F(applied_history, a_refused_copy_fails_the_read_and_leaves_the_session_usable) {
  recording_session first(db.dsn());
  ASSERT_EQ(up(first).steps.size(), 3u);
  const std::string role = db.name() + "_reader";
  db.exec("CREATE ROLE " + role + " LOGIN; GRANT SELECT ON goose_db_version TO " + role);
  const dropped_role dropped{db, role};

  const auto session = migrator::connect_postgres(db.dsn() + " user=" + role);
  auto history = migrator::make_goose_history_store(*session, "goose_db_version");
  try {
    history->read();
    ADD_FAILURE() << "the side table cannot be read by " << role;
  } catch (const migrator::database_error& e) {
    EXPECT_EQ(e.details().sqlstate, "42501") << e.what();
    EXPECT_FALSE(e.connection_lost());
  }
  EXPECT_THROW(history->compare_applied(set.migrations, set.repeatables), migrator::database_error);
  EXPECT_EQ(session->exec("SELECT current_user").text(0, 0), role);
  db.exec("GRANT SELECT ON goose_db_version_meta TO " + role);
  EXPECT_EQ(history->read().applied.size(), 3u);
}

// Under the lock, BEGIN, the tables and the read go in one request and the
// transaction stays open: the tables exist for others only once the engine
// commits, and a rollback takes them back.
TEST_F(applied_history, the_tables_made_with_the_read_commit_only_with_the_transaction) {
  test_database fresh;
  const auto session = migrator::connect_postgres(fresh.dsn());
  auto history = migrator::make_goose_history_store(*session, "goose_db_version");
  ASSERT_TRUE(history->ensures_in_transaction());
  const auto exists = [&] { return fresh.scalar("SELECT to_regclass('goose_db_version') IS NOT NULL"); };
  const auto read = history->ensure_and_read();
  EXPECT_TRUE(read.exists);
  EXPECT_TRUE(read.applied.empty());
  EXPECT_EQ(exists(), "f") << "not committed yet";
  session->exec("ROLLBACK");
  EXPECT_EQ(exists(), "f");
  EXPECT_TRUE(history->ensure_and_read().exists);
  session->exec("COMMIT");
  EXPECT_EQ(exists(), "t");
  EXPECT_EQ(fresh.scalar("SELECT string_agg(version_id::text, ',') FROM goose_db_version"), "0");
}

// A role that may not create the tables: the request fails with the server's
// SQLSTATE, and its transaction ends there, so the session's next request (the
// lock's release, in a run) is not refused as part of an aborted transaction.
TEST_F(applied_history, tables_that_cannot_be_made_end_their_transaction_with_the_failure) {
  test_database fresh;
  const std::string role = fresh.name() + "_nocreate";
  fresh.exec("REVOKE CREATE ON SCHEMA public FROM PUBLIC; CREATE ROLE " + role + " LOGIN");
  const dropped_role dropped{fresh, role};
  const auto session = migrator::connect_postgres(fresh.dsn() + " user=" + role);
  auto history = migrator::make_goose_history_store(*session, "goose_db_version");
  try {
    history->ensure_and_read();
    ADD_FAILURE() << role << " cannot create tables in public";
  } catch (const migrator::database_error& e) {
    EXPECT_EQ(e.details().sqlstate, "42501") << e.what();
  }
  EXPECT_NO_THROW(session->exec("SELECT 1")) << "the failed transaction was ended";
}

}  // namespace
