// Through a real transaction-pooling PgBouncer, and the table lease lock
// (goose's goose_lock format) on a direct connection: racing runners, goose's
// own lock row, an expired lease, and who holds the lock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <pqxx/pqxx>

#include "migrator/lock.h"
#include "pgbouncer.h"
#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

// goose's table locker's lock id since v3.26 (tests/unit/goose_lock_id_test.cpp pins its derivation).
const std::string goose_lock_id = std::to_string(migrator::goose_lock_id);

// A type (42710 when two runners create it), a NO TRANSACTION index and data.
void write_shop(const temp_dir& dir) {
  write_module_set(
      dir, {{"shop",
             {{"01001_mood.sql", migration_text("CREATE TYPE mood AS ENUM ('happy', 'sad');\n"
                                                "CREATE TABLE customers (id bigint PRIMARY KEY, name text, m mood);",
                                                "DROP TABLE customers;\nDROP TYPE mood;")},
              {"01002_index.sql", "-- +goose NO TRANSACTION\n-- +goose Up\n"
                                  "CREATE INDEX CONCURRENTLY customers_name ON customers (name);\n"
                                  "-- +goose Down\nDROP INDEX CONCURRENTLY customers_name;\n"},
              {"01003_orders.sql",
               migration_text("CREATE TABLE orders (id bigint PRIMARY KEY, customer bigint REFERENCES customers);\n"
                              "INSERT INTO customers VALUES (1, 'first', 'happy');",
                              "DROP TABLE orders;")}}}});
}

// The schema as the catalog describes it, without the lock table (only a lease run has it).
// The registry of running builds (goose_db_version_builds) is left out with the
// lock's table: `app start` racers create it, the reference `migrate up` does not.
std::string schema_of(const test_database& db) {
  return db.scalar(
      "SELECT string_agg(x, E'\\n' ORDER BY x) FROM ("
      " SELECT 'column ' || table_schema || '.' || table_name || '.' || column_name || ' ' || data_type || ' ' ||"
      "   coalesce(column_default, '') FROM information_schema.columns"
      "   WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
      "   AND table_name NOT IN ('goose_lock', 'goose_db_version_builds')"
      " UNION ALL SELECT 'index ' || indexdef || ' valid ' || i.indisvalid FROM pg_indexes x"
      "   JOIN pg_class c ON c.relname = x.indexname JOIN pg_index i ON i.indexrelid = c.oid"
      "   WHERE schemaname = 'public' AND tablename NOT IN ('goose_lock', 'goose_db_version_builds')"
      " UNION ALL SELECT 'enum ' || t.typname || ' ' || e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid"
      ") s(x)");
}

std::string direct_schema(const temp_dir& dir) {
  test_database reference;
  auto r = migrate_in(reference.dsn(), dir.path(), {"up"});
  EXPECT_EQ(r.code, 0) << r.err;
  return schema_of(reference);
}

// 16 `app start --once` at once; returns their stderr, each checked for exit 0.
std::vector<std::string> race(const std::string& dsn, const temp_dir& dir, const std::vector<std::string>& extra) {
  std::vector<std::unique_ptr<app_process>> racers;
  for (int i = 0; i < 16; ++i) {
    std::vector<std::string> args{"start", "--once", "--dsn", dsn, "--modules-dir", dir.path().string(),
                                  "--lock-timeout", "120s"};
    args.insert(args.end(), extra.begin(), extra.end());
    racers.push_back(std::make_unique<app_process>(args));
  }
  std::vector<std::string> errs;
  for (auto& p : racers) {
    auto r = p->wait();
    EXPECT_EQ(r.code, 0) << r.err;
    errs.push_back(r.err);
  }
  return errs;
}

void expect_each_version_once(const test_database& db) {
  EXPECT_EQ(db.scalar("SELECT string_agg(version_id || ':' || n, ',' ORDER BY version_id) FROM "
                      "(SELECT version_id, count(*) AS n FROM goose_db_version WHERE version_id > 0 GROUP BY 1) c"),
            "1001:1,1002:1,1003:1");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM customers"), "1");
}

void expect_no_lock_left(const test_database& db) {
  EXPECT_EQ(db.scalar("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                      "WHERE l.locktype = 'advisory' AND d.datname = current_database()"),
            "0");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_lock WHERE locked"), "0");
}

TEST(pooler_test, sixteen_racers_through_a_transaction_pooler_all_start) {
  temp_dir dir;
  write_shop(dir);
  const std::string reference = direct_schema(dir);
  test_database db;
  pgbouncer bouncer(4);
  auto errs = race(bouncer.dsn_for(db.name()), dir, {});
  int switched = 0;
  for (const auto& err : errs) switched += err.find("goes through a transaction pooler") != std::string::npos;
  EXPECT_EQ(switched, 16) << "each runner says once that it switched to the table lease";
  for (const auto& err : errs) EXPECT_THAT(err, Not(HasSubstr("prepared statement")));
  expect_each_version_once(db);
  EXPECT_EQ(schema_of(db), reference);
  expect_no_lock_left(db);
}

TEST(pooler_test, sixteen_racers_with_the_table_lock_on_a_direct_connection) {
  temp_dir dir;
  write_shop(dir);
  const std::string reference = direct_schema(dir);
  test_database db;
  auto errs = race(db.dsn(), dir, {"--lock", "table"});
  for (const auto& err : errs) EXPECT_THAT(err, Not(HasSubstr("transaction pooler")));
  expect_each_version_once(db);
  EXPECT_EQ(schema_of(db), reference);
  expect_no_lock_left(db);
  // The row stays, released, in goose's format.
  EXPECT_EQ(db.scalar("SELECT lock_id || ' ' || locked || ' ' || (locked_by IS NULL) FROM goose_lock"),
            goose_lock_id + " false true");
}

void create_goose_lock_table(const test_database& db) {
  // The columns goose's table locker creates (lock/internal/store/postgres.go).
  db.exec("CREATE TABLE goose_lock (lock_id bigint NOT NULL PRIMARY KEY, locked boolean NOT NULL DEFAULT false, "
          "locked_at timestamptz NULL, locked_by text NULL, lease_expires_at timestamptz NULL, "
          "updated_at timestamptz NULL)");
}

// goose's table locker's own table and a row as it holds one: its default lock
// id, and locked_by in its "<hostname>-<pid>-<random hex>" form.
void goose_holds_the_lock(const test_database& db, const std::string& lease_expires_at) {
  create_goose_lock_table(db);
  db.exec("INSERT INTO goose_lock VALUES (" + goose_lock_id + ", true, now() - interval '2 minutes', "
          "'goose-deploy-7f9c-4242-a1b2c3d4', " + lease_expires_at + ", now())");
}

// goose v3.26+'s acquire, as its table locker sends it with its defaults (lock id
// 4097083626, a 30 s lease): take the row when it is free or its lease expired.
// Returns the rows it got back: one when goose got the lock, none when not.
pqxx::result goose_tries_to_acquire(const test_database& db, const std::string& instance) {
  pqxx::connection c(db.dsn());
  pqxx::nontransaction tx(c);
  return tx.exec_params(
      "INSERT INTO goose_lock (lock_id, locked, locked_at, locked_by, lease_expires_at, updated_at) "
      "VALUES ($1, true, now(), $2, now() + $3::interval, now()) "
      "ON CONFLICT (lock_id) DO UPDATE SET locked = true, locked_at = now(), locked_by = $2, "
      "lease_expires_at = now() + $3::interval, updated_at = now() "
      "WHERE goose_lock.locked = false OR goose_lock.lease_expires_at < now() "
      "RETURNING locked_by, lease_expires_at",
      migrator::goose_lock_id, instance, "30 seconds");
}

TEST(pooler_test, a_lease_goose_holds_excludes_us_and_the_timeout_names_it) {
  temp_dir dir;
  write_shop(dir);
  test_database db;
  goose_holds_the_lock(db, "now() + interval '5 minutes'");
  auto r = migrate_in(db.dsn(), dir.path(), {"up", "--lock", "table", "--lock-timeout", "1s"});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("waiting for the migration lock"));
  EXPECT_THAT(r.err, HasSubstr("goose-deploy-7f9c-4242-a1b2c3d4"));
  EXPECT_THAT(r.err, HasSubstr("lease expires at"));
  EXPECT_EQ(db.scalar("SELECT to_regclass('customers') IS NULL"), "t");
  EXPECT_EQ(db.scalar("SELECT locked_by FROM goose_lock"), "goose-deploy-7f9c-4242-a1b2c3d4");
}

// goose's advisory id from before v3.26 in the row is another lock: not goose v3.26+'s, not ours.
TEST(pooler_test, a_row_under_another_lock_id_does_not_exclude_us_and_lock_id_selects_it) {
  temp_dir dir;
  write_shop(dir);
  test_database db;
  create_goose_lock_table(db);
  const std::string old_id = std::to_string(migrator::goose_lock_id_before_v3_26);
  db.exec("INSERT INTO goose_lock VALUES (" + old_id +
          ", true, now(), 'other-tool', now() + interval '5 minutes', now())");
  auto r = migrate_in(db.dsn(), dir.path(), {"up", "--lock", "table", "--lock-id", old_id, "--lock-timeout", "1s"});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("'other-tool'"));
  r = migrate_in(db.dsn(), dir.path(), {"up", "--lock", "table", "--lock-timeout", "1s"});
  EXPECT_EQ(r.code, 0) << r.err;
  expect_each_version_once(db);
  EXPECT_EQ(db.scalar("SELECT string_agg(lock_id || ' ' || locked, ',' ORDER BY lock_id) FROM goose_lock"),
            goose_lock_id + " false," + old_id + " true");
}

// The other direction: while this tool holds its lease, goose's acquire gets no
// row; once it released, the same statement takes the row (so the statement is
// goose's working acquire, not one that never matches).
TEST(pooler_test, while_we_hold_the_lease_gooses_acquire_gets_no_row) {
  temp_dir dir;
  // The migration waits on an advisory lock the test holds, so the run holds its
  // lease for as long as the test needs.
  write_module_set(dir, {{"shop", {{"01001_wait.sql", migration_text("SELECT pg_advisory_xact_lock(7321);\n"
                                                                      "CREATE TABLE customers (id bigint);",
                                                                      "DROP TABLE customers;")}}}});
  test_database db;
  pqxx::connection blocker(db.dsn());
  pqxx::nontransaction block(blocker);
  block.exec("SELECT pg_advisory_lock(7321)");
  app_process runner({"migrate", "up", "--lock", "table", "--lock-timeout", "30s", "--dsn", db.dsn(),
                      "--modules-dir", dir.path().string()});
  // Observable state: the runner's migration is waiting on the test's advisory lock.
  bool waiting = false;
  for (int i = 0; i < 600 && !waiting; ++i) {
    waiting = db.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 7321 AND NOT granted") == "1";
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(waiting) << runner.err_so_far();
  EXPECT_EQ(db.scalar("SELECT lock_id || ' ' || locked FROM goose_lock"), goose_lock_id + " true");
  EXPECT_EQ(goose_tries_to_acquire(db, "goose-host-77-0badf00d").size(), 0u);
  EXPECT_THAT(db.scalar("SELECT locked_by FROM goose_lock"), ::testing::StartsWith("app migrate up"));
  block.exec("SELECT pg_advisory_unlock(7321)");
  auto r = runner.wait();
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version WHERE version_id = 1001"), "1");
  auto taken = goose_tries_to_acquire(db, "goose-host-77-0badf00d");
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0][0].as<std::string>(), "goose-host-77-0badf00d");
}

TEST(pooler_test, an_expired_lease_is_taken_over_and_the_new_holder_says_so) {
  temp_dir dir;
  write_shop(dir);
  test_database db;
  goose_holds_the_lock(db, "now() - interval '1 minute'");
  auto r = migrate_in(db.dsn(), dir.path(), {"up", "--lock", "table", "--lock-timeout", "5s"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("took over the migration lock from 'goose-deploy-7f9c-4242-a1b2c3d4'"));
  expect_each_version_once(db);
  EXPECT_EQ(db.scalar("SELECT locked FROM goose_lock"), "f");
}

TEST(pooler_test, the_lock_timeout_names_an_advisory_holder_by_its_application_name) {
  temp_dir dir;
  write_shop(dir);
  test_database db;
  pqxx::connection holder(db.dsn() + " application_name=dba-holding-the-lock");
  pqxx::nontransaction tx(holder);
  const std::string pid = tx.exec("SELECT pg_backend_pid()")[0][0].c_str();
  tx.exec("SELECT pg_advisory_lock(4097083626)");
  auto r = migrate_in(db.dsn(), dir.path(), {"up", "--lock-timeout", "1s"});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("pid " + pid));
  EXPECT_THAT(r.err, HasSubstr("application_name 'dba-holding-the-lock'"));
  EXPECT_THAT(r.err, HasSubstr("waiting for the migration lock, held by pid " + pid));
}

TEST(pooler_test, a_runner_waiting_behind_the_app_names_it_by_command_and_version) {
  temp_dir dir;
  write_module_set(dir, {{"shop", {{"01001_slow.sql", migration_text("SELECT pg_sleep(3);")}}}});
  test_database db;
  app_process first({"migrate", "up", "--dsn", db.dsn(), "--modules-dir", dir.path().string()});
  // Once its migration runs, it holds the lock.
  bool running = false;
  for (int i = 0; i < 500 && !running; ++i) {
    running = db.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND query LIKE '%pg_sleep(3)%' AND pid <> pg_backend_pid()") != "0";
    if (!running) usleep(20000);
  }
  ASSERT_TRUE(running);
  auto second = migrate_in(db.dsn(), dir.path(), {"up", "--lock-timeout", "500ms"});
  EXPECT_EQ(second.code, 3) << second.err;
  EXPECT_THAT(second.err, HasSubstr("application_name 'app migrate up "));
  EXPECT_EQ(first.wait().code, 0);
}

TEST(pooler_test, timeouts_through_the_pooler_apply_per_transaction_and_do_not_leak_to_other_clients) {
  temp_dir dir;
  write_module_set(dir, {{"shop",
                          {{"01001_fast.sql", migration_text("CREATE TABLE fast (id int);")},
                           {"01002_slow.sql", migration_text("SELECT pg_sleep(5);")}}}});
  test_database db;
  pgbouncer bouncer(1);  // one server connection: the next client gets the very one the run used
  const std::string pooled = bouncer.dsn_for(db.name());
  auto r = migrate_in(pooled, dir.path(), {"up", "--statement-timeout", "300ms"});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("57014"));
  EXPECT_EQ(db.scalar("SELECT string_agg(version_id::text, ',') FROM goose_db_version WHERE version_id > 0"), "1001");
  // SET LOCAL ended with its transaction: the pooled server connection keeps the server's default.
  pqxx::connection next(pooled);
  pqxx::nontransaction tx(next);
  EXPECT_EQ(std::string(tx.exec("SHOW statement_timeout")[0][0].c_str()), "0");
}

// A client of the pool that ran a session-level SET search_path and went:
// in transaction mode PgBouncer hands its server connection, setting and all,
// to the next client.
void leave_search_path_on_the_pool(const std::string& pooled, const std::string& path) {
  pqxx::connection client(pooled);
  pqxx::nontransaction tx(client);
  tx.exec("SET search_path TO " + path);
}

std::string search_path_through(const std::string& pooled) {
  pqxx::connection client(pooled);
  pqxx::nontransaction tx(client);
  return tx.exec1("SHOW search_path")[0].c_str();
}

std::string tables_in_schema(const test_database& db, const std::string& schema) {
  return db.scalar("SELECT coalesce(string_agg(tablename, ',' ORDER BY tablename), '') FROM pg_tables "
                   "WHERE schemaname = '" + schema + "'");
}

TEST(pooler_test, a_search_path_another_client_left_on_the_pooled_connection_moves_neither_history_nor_migrations) {
  temp_dir dir;
  write_module_set(dir, {{"shop",
                          {{"01001_widgets.sql", migration_text("CREATE TABLE widgets (id int);", "DROP TABLE widgets;")},
                           {"01002_gadgets.sql", migration_text("CREATE TABLE gadgets (id int);", "DROP TABLE gadgets;")}}}});
  test_database db;
  db.exec("CREATE SCHEMA elsewhere");
  pgbouncer bouncer(1);  // one server connection: every client gets the one the last client left
  const std::string pooled = bouncer.dsn_for(db.name());
  leave_search_path_on_the_pool(pooled, "elsewhere, public");
  ASSERT_EQ(search_path_through(pooled), "elsewhere, public") << "the pooler must hand the setting on, or this test proves nothing";

  auto first = migrate_in(pooled, dir.path(), {"up-to", "1001"});
  ASSERT_EQ(first.code, 0) << first.err;
  leave_search_path_on_the_pool(pooled, "elsewhere, public");
  auto second = migrate_in(pooled, dir.path(), {"up"});
  ASSERT_EQ(second.code, 0) << second.err;
  leave_search_path_on_the_pool(pooled, "elsewhere, public");
  auto status = migrate_in(pooled, dir.path(), {"status"});
  EXPECT_EQ(status.code, 0) << status.err;
  EXPECT_THAT(status.out, Not(HasSubstr("Pending")));

  // Nothing went to the schema the other client left on the path: not goose's
  // table, its side tables or the lease, and not the migrations' tables.
  EXPECT_EQ(tables_in_schema(db, "elsewhere"), "");
  EXPECT_EQ(db.scalar("SELECT string_agg(version_id::text, ',' ORDER BY id) FROM public.goose_db_version "
                      "WHERE version_id > 0"),
            "1001,1002")
      << "each migration ran once";
  EXPECT_EQ(db.scalar("SELECT to_regclass('public.widgets') IS NOT NULL AND to_regclass('public.gadgets') IS NOT NULL "
                      "AND to_regclass('public.goose_lock') IS NOT NULL"),
            "t");
}

TEST(pooler_test, start_through_the_pooler_sets_the_application_search_path_per_transaction_and_leaves_none_behind) {
  temp_dir dir;
  write_module_set(dir, {{"alpha", {{"01001_init.sql", migration_text("CREATE SCHEMA alpha;", "DROP SCHEMA alpha;")}}},
                         {"beta", {{"02001_init.sql", migration_text("CREATE SCHEMA beta;", "DROP SCHEMA beta;")}}}});
  test_database db;
  pgbouncer bouncer(1);
  const std::string pooled = bouncer.dsn_for(db.name());
  auto r = run_app({"start", "--once", "--dsn", pooled, "--modules-dir", dir.path().string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("search_path alpha, beta, public"));
  EXPECT_THAT(r.err, HasSubstr("the application connection goes through a transaction pooler"));
  // The next client of the pool (the next build's migration run, say) gets the server's default.
  EXPECT_EQ(search_path_through(pooled), "\"$user\", public");
  EXPECT_EQ(tables_in_schema(db, "alpha") + tables_in_schema(db, "beta"), "");
}

}  // namespace
