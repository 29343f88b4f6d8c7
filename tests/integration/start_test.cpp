// `app start`: migrate on startup, replicas, refusal on a schema that is not
// current, the two connections' search_path, waiting for the database, SIGTERM.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <future>
#include <nlohmann/json.hpp>
#include <regex>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>

#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

std::vector<module_files> two_modules() {
  return {{"alpha",
           {{"01001_init.sql",
             migration_text("CREATE SCHEMA alpha;\nCREATE TABLE alpha.things (id int);\n"
                            "CREATE TABLE alpha.seen AS SELECT current_setting('search_path') AS search_path;",
                            "DROP SCHEMA alpha CASCADE;")}}},
          {"beta",
           {{"02001_init.sql", migration_text("CREATE SCHEMA beta;\nCREATE TABLE beta.others (id int);\n"
                                              "SELECT pg_sleep(0.2);",
                                              "DROP SCHEMA beta CASCADE;")}}}};
}

class start_test : public ::testing::Test {
 protected:
  test_database db;
  temp_dir modules;
  void SetUp() override { write_module_set(modules, two_modules()); }
  std::vector<std::string> start_args(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"start", "--dsn", db.dsn(), "--modules-dir", modules.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
};

TEST_F(start_test, migrates_an_empty_database_and_reports_ready) {
  auto r = run_app(start_args({"--once"}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("ready: schema version 2001"));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version WHERE version_id > 0"), "2");
}

// Sessions the server counted for the test's database (pg_stat_database,
// PostgreSQL 14 and later), once the count has stopped moving: a backend adds
// its session when it exits, a moment after its client has gone.
long settled_sessions(const test_database& db) {
  const auto read = [&] {
    pqxx::connection admin(admin_dsn());
    pqxx::nontransaction tx(admin);
    return tx.exec1("SELECT sessions FROM pg_stat_database WHERE datname = " + tx.quote(db.name()))[0].as<long>();
  };
  long last = read();
  for (int same = 0, tries = 0; same < 3 && tries < 100; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const long now = read();
    same = now == last ? same + 1 : 0;
    last = now;
  }
  return last;
}

TEST_F(start_test, waiting_for_the_database_opens_no_connection_of_its_own) {
  // From empty, the history tables are made on a session of their own beside
  // the first migration (history_store::tables_to_make_aside).
  for (const auto& [what, sessions] : {std::pair{"from empty", 4}, std::pair{"up to date", 3}}) {
    const long before = settled_sessions(db);
    auto r = run_app(start_args({"--once"}));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(settled_sessions(db) - before, sessions)
        << what << ": the migration session (which the wait opened), the build registry's and the application's own";
  }
}

TEST_F(start_test, a_pending_malformed_file_stops_startup_before_anything_is_applied) {
  modules.write("beta/migrations/02002_bad.sql", "-- +goose Up\nSELECT 1;\n-- +goose StatementEnd\n");
  auto r = run_app(start_args({"--once"}));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr((modules.path() / "beta/migrations/02002_bad.sql").string() +
                               ":3: StatementEnd without a StatementBegin"));
  EXPECT_THAT(r.err, Not(HasSubstr("ready")));
  // The plan is parsed before the lock: not even the history table is created.
  EXPECT_EQ(db.scalar("SELECT to_regclass('goose_db_version') IS NULL AND to_regclass('alpha.things') IS NULL"), "t")
      << "alpha 1001 and beta 2001 come before the malformed file but must not run";
}

TEST_F(start_test, migrations_use_a_plain_connection_and_the_application_gets_the_module_search_path) {
  auto r = run_app(start_args({"--once"}));
  ASSERT_EQ(r.code, 0) << r.err;
  // The migration ran with the server's default search_path...
  EXPECT_EQ(db.scalar("SELECT search_path FROM alpha.seen"), "\"$user\", public");
  // ...while the application's own connection lists the module schemas in order.
  EXPECT_THAT(r.err, HasSubstr("search_path alpha, beta, public"));
}

TEST_F(start_test, sixteen_replicas_start_at_once_and_exactly_one_migrates) {
  std::vector<std::future<run_result>> replicas;
  for (int i = 0; i < 16; ++i)
    replicas.push_back(std::async(std::launch::async, [&] { return run_app_process(start_args({"--once"})); }));
  int migrated = 0;
  for (auto& f : replicas) {
    auto r = f.get();
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.err, HasSubstr("ready: schema version 2001"));
    if (r.err.find("applied alpha 1001") != std::string::npos) ++migrated;
  }
  EXPECT_EQ(migrated, 1);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version WHERE version_id > 0"), "2");
}

TEST_F(start_test, refuses_to_start_on_a_modified_schema) {
  ASSERT_EQ(run_app(start_args({"--once"})).code, 0);
  modules.write("beta/migrations/02001_init.sql", migration_text("CREATE SCHEMA beta;"));
  auto r = run_app(start_args({"--once"}));
  EXPECT_EQ(r.code, 4);
  EXPECT_THAT(r.err, HasSubstr("beta 2001"));
  EXPECT_THAT(r.err, HasSubstr("modified"));
  EXPECT_THAT(r.err, Not(HasSubstr("ready")));
}

TEST_F(start_test, refuses_to_start_on_a_dirty_schema) {
  modules.write("beta/migrations/02002_nt.sql",
                "-- +goose NO TRANSACTION\n" + migration_text("CREATE TABLE beta.x (id int);\nSELECT * FROM nowhere;"));
  auto first = run_app(start_args({"--once"}));
  EXPECT_EQ(first.code, 1);
  auto r = run_app(start_args({"--once"}));
  EXPECT_EQ(r.code, 4);
  EXPECT_THAT(r.err, HasSubstr("beta 2002"));
  EXPECT_THAT(r.err, HasSubstr("dirty"));
  EXPECT_THAT(r.err, HasSubstr("repair 2002"));
}

TEST_F(start_test, refuses_to_start_with_pending_migrations_when_migration_is_off) {
  auto r = run_app(start_args({"--once", "--no-migrate"}));
  EXPECT_EQ(r.code, 6);
  EXPECT_THAT(r.err, HasSubstr("not current"));
  EXPECT_THAT(r.err, HasSubstr("alpha 1001"));
  EXPECT_THAT(r.err, HasSubstr("pending"));
}

TEST_F(start_test, stops_cleanly_on_sigterm) {
  app_process p(start_args());
  ASSERT_TRUE(p.wait_for_err("ready", 30000)) << p.err_so_far();
  p.signal(SIGTERM);
  auto r = p.wait();
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("SIGTERM"));
}

TEST(start_wait_test, waits_for_a_database_that_starts_later) {
  scratch_cluster cluster;
  temp_dir modules;
  write_module_set(modules, two_modules());
  cluster.stop();
  app_process p({"start", "--once", "--dsn", cluster.dsn(), "--modules-dir", modules.path().string(),
                 "--wait-timeout", "60s"});
  ASSERT_TRUE(p.wait_for_err("waiting for the database", 20000)) << p.err_so_far();
  cluster.start();
  auto r = p.wait();
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("ready"));
}

TEST(start_wait_test, gives_up_after_the_wait_timeout) {
  scratch_cluster cluster;
  temp_dir modules;
  write_module_set(modules, two_modules());
  cluster.stop();
  auto r = run_app_process({"start", "--once", "--dsn", cluster.dsn(), "--modules-dir", modules.path().string(),
                            "--wait-timeout", "1s"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("did not accept connections within"));
}

}  // namespace

namespace {

TEST_F(start_test, the_application_connection_takes_the_configured_role) {
  db.exec("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ibex_app') THEN "
          "CREATE ROLE ibex_app; END IF; END $$; GRANT ibex_app TO postgres");
  auto r = run_app(start_args({"--once", "--app-role", "ibex_app"}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("role ibex_app"));
}

TEST_F(start_test, json_logs_are_one_object_per_line) {
  auto r = run_app(start_args({"--once", "--log-format", "json"}));
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.err);
  std::string line;
  int ready = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);  // throws (fails the test) when a line is not JSON
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("message")) << line;
    if (j["message"].get<std::string>().rfind("ready", 0) == 0) ++ready;
  }
  EXPECT_EQ(ready, 1);
}

TEST_F(start_test, configuration_file_environment_and_flags_in_order_of_precedence) {
  temp_dir config;
  auto file = config.write("app.yaml", "database:\n  table: from_file\nlog:\n  level: info\n");
  // Each case starts on an empty database and looks at which version table it got.
  auto table_used = [&](std::vector<std::string> extra, std::map<std::string, std::string> env) {
    test_database fresh;
    std::vector<std::string> args{"start", "--once", "--dsn", fresh.dsn(), "--modules-dir", modules.path().string(),
                                  "--config", file.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run_app_process(args, env);
    EXPECT_EQ(r.code, 0) << r.err;
    return fresh.scalar("SELECT string_agg(tablename, ',') FROM pg_tables WHERE tablename LIKE 'from_%' "
                        "AND tablename NOT LIKE '%_meta' AND tablename NOT LIKE '%_builds' AND tablename NOT LIKE '%_digest'");
  };
  EXPECT_EQ(table_used({}, {}), "from_file");
  EXPECT_EQ(table_used({}, {{"APP_TABLE", "from_env"}}), "from_env");
  EXPECT_EQ(table_used({"--table", "from_flag"}, {{"APP_TABLE", "from_env"}}), "from_flag");
}

TEST_F(start_test, a_role_that_cannot_create_the_registry_starts_with_one_warning) {
  ASSERT_EQ(run_app(start_args({"--once"})).code, 0);  // migrated by the owner
  const std::string role = "reader_" + db.name();
  db.exec("CREATE ROLE " + role + " LOGIN");
  db.exec("GRANT USAGE ON SCHEMA public, alpha, beta TO " + role);
  db.exec("GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + role);
  db.exec("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
  const std::string reader_dsn = db.dsn() + " user=" + role;
  auto r = run_app({"start", "--once", "--no-migrate", "--dsn", reader_dsn, "--modules-dir", modules.path().string()});
  db.exec("DROP OWNED BY " + role);
  db.exec("DROP ROLE " + role);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("could not register this build in the build registry"));
  EXPECT_THAT(r.err, HasSubstr("SQLSTATE 42501"));
  EXPECT_THAT(r.err, HasSubstr("contract migrations of newer builds will not wait for it"));
  EXPECT_THAT(r.err, HasSubstr("ready"));
}

TEST_F(start_test, the_build_registry_sits_beside_the_history_table_and_is_empty_after_a_clean_stop) {
  test_database fresh;
  auto r = run_app_process({"start", "--once", "--dsn", fresh.dsn(), "--modules-dir", modules.path().string(),
                            "--table", "ops.versions"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("registered build "));
  EXPECT_EQ(fresh.scalar("SELECT to_regclass('ops.versions_builds') IS NOT NULL"), "t");
  EXPECT_EQ(fresh.scalar("SELECT count(*) FROM ops.versions_builds"), "0") << "--once stops cleanly: deregistered";
}

TEST_F(start_test, an_unknown_key_in_the_configuration_file_is_an_error) {
  temp_dir config;
  auto file = config.write("app.yaml", "database:\n  tabel: x\n");
  auto r = run_app(start_args({"--once", "--config", file.string()}));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("app.yaml:2"));
  EXPECT_THAT(r.err, HasSubstr("tabel"));
  EXPECT_EQ(db.scalar("SELECT to_regclass('goose_db_version') IS NULL"), "t");
}

}  // namespace
