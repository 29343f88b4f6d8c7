// docs/cli.md's exit code table, one real invocation of the built binary per
// code (and per documented cause where a code has several), against the test
// server. The table of codes is read from the doc: a code documented without a
// case here fails.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <functional>
#include <pqxx/pqxx>
#include <regex>
#include <set>

#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;

namespace {

std::set<int> documented_codes() {
  std::ifstream doc(std::string(MIGRATOR_SOURCE_DIR) + "/docs/cli.md");
  std::set<int> codes;
  bool in_section = false;
  const std::regex row("^\\| ([0-9]+) \\|");
  for (std::string line; std::getline(doc, line);) {
    if (line.rfind("## Exit codes", 0) == 0) in_section = true;
    else if (in_section && line.rfind("## ", 0) == 0) break;
    std::smatch m;
    if (in_section && std::regex_search(line, m, row)) codes.insert(std::stoi(m[1]));
  }
  return codes;
}

// Waits (bounded) until the server shows a backend of `db` running `text`:
// observable state, not a sleep.
bool wait_for_query(const test_database& db, const std::string& text) {
  for (int i = 0; i < 600; ++i) {
    if (db.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%" +
                  text + "%' AND pid <> pg_backend_pid()") != "0")
      return true;
    usleep(50 * 1000);
  }
  return false;
}

struct exit_case {
  const char* name;
  int code;
  // Prepares the database and directory, runs the binary, returns its result.
  std::function<run_result(const test_database&, const temp_dir&)> run;
  const char* says;  // a part of stderr (or stdout) that names the cause
};

std::vector<std::string> with(const test_database& db, const temp_dir& dir, std::vector<std::string> args) {
  for (const std::string& a : {std::string("--dsn"), db.dsn(), std::string("--modules-dir"), dir.path().string()})
    args.push_back(a);
  return args;
}

void one_module(const temp_dir& dir, const std::string& up) {
  write_module_set(dir, {{"core", {{"1001_init.sql", migration_text("CREATE SCHEMA core;\n" + up, "DROP SCHEMA core CASCADE;")}}}});
}

const std::vector<exit_case> cases = {
    {"success", 0,
     [](const test_database& db, const temp_dir& dir) {
       one_module(dir, "CREATE TABLE core.t (id int);");
       return run_app_process(with(db, dir, {"migrate", "up"}));
     },
     "applied 1 migration(s)"},
    {"failing_migration", 1,
     [](const test_database& db, const temp_dir& dir) {
       one_module(dir, "CREATE TABLE core.t (id no_such_type);");
       return run_app_process(with(db, dir, {"migrate", "up"}));
     },
     "no_such_type"},
    {"bad_flag", 2, [](const test_database& db, const temp_dir& dir) {
       one_module(dir, "SELECT 1;");
       return run_app_process(with(db, dir, {"migrate", "up", "--no-such-flag"}));
     },
     "no-such-flag"},
    {"unterminated_quote_in_dsn", 2,
     [](const test_database&, const temp_dir&) {
       return run_app_process({"migrate", "status", "--dsn", "host='unterminated password=Sekr1t"});
     },
     "the DSN cannot be parsed"},
    {"port_not_a_number", 2,
     [](const test_database&, const temp_dir&) {
       return run_app_process({"migrate", "status", "--dsn", "postgresql://u:Sekr1t@h:notaport/db"});
     },
     "is not a number from 1 to 65535"},
    {"unknown_config_key", 2,
     [](const test_database& db, const temp_dir& dir) {
       const std::string config = dir.write("app.yaml", "databse:\n  url: x\n").string();
       return run_app_process({"migrate", "status", "--config", config, "--dsn", db.dsn()});
     },
     "unknown key 'databse'"},
    {"lock_timeout", 3,
     [](const test_database& db, const temp_dir& dir) {
       one_module(dir, "SELECT 1;");
       pqxx::connection holder(db.dsn());
       pqxx::nontransaction(holder).exec("SELECT pg_advisory_lock(4097083626)");
       return run_app_process(with(db, dir, {"migrate", "up", "--lock", "advisory", "--lock-timeout", "1s"}));
     },
     "lock"},
    {"modified_migration", 4,
     [](const test_database& db, const temp_dir& dir) {
       one_module(dir, "CREATE TABLE core.t (id int);");
       EXPECT_EQ(run_app_process(with(db, dir, {"migrate", "up"})).code, 0);
       one_module(dir, "CREATE TABLE core.t (id bigint);");
       return run_app_process(with(db, dir, {"migrate", "up"}));
     },
     "modified"},
    {"connection_lost_during_the_request", 5,
     [](const test_database& db, const temp_dir& dir) {
       one_module(dir, "SELECT pg_sleep(60);");
       app_process app(with(db, dir, {"migrate", "up"}));
       EXPECT_TRUE(wait_for_query(db, "pg_sleep(60)"));
       db.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND "
               "query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()");
       return app.wait();
     },
     "status"},
    {"status_exit_code_pending", 6,
     [](const test_database& db, const temp_dir& dir) {
       one_module(dir, "SELECT 1;");
       return run_app_process(with(db, dir, {"migrate", "status", "--exit-code"}));
     },
     "pending"},
    {"start_refuses_pending", 6,
     [](const test_database& db, const temp_dir& dir) {
       one_module(dir, "SELECT 1;");
       return run_app_process(with(db, dir, {"start", "--once", "--no-migrate"}));
     },
     "not current"},
    {"interrupted", 8,
     [](const test_database& db, const temp_dir& dir) {
       one_module(dir, "SELECT pg_sleep(60);");
       app_process app(with(db, dir, {"migrate", "up"}));
       EXPECT_TRUE(wait_for_query(db, "pg_sleep(60)"));
       app.signal(SIGTERM);
       return app.wait();
     },
     "SIGTERM"},
    {"only_deferred_contracts_pending", 10,
     [](const test_database& db, const temp_dir& dir) {
       // An old build (only 1001) runs; the newer set's contract 1002 waits for it.
       one_module(dir, "CREATE TABLE core.t (id int, legacy int);");
       app_process old_build(with(db, dir, {"start"}));
       EXPECT_TRUE(old_build.wait_for_err("ready", 30000)) << old_build.err_so_far();
       dir.write("core/migrations/1002_drop_legacy.sql",
                 "-- +migrator contract\n" + migration_text("ALTER TABLE core.t DROP COLUMN legacy;"));
       EXPECT_EQ(run_app_process(with(db, dir, {"migrate", "up"})).code, 0);
       return run_app_process(with(db, dir, {"migrate", "status", "--exit-code"}));
     },
     "contract, deferred: waits for"},
    {"fleet_target_failed", 9,
     [](const test_database& db, const temp_dir& dir) {
       one_module(dir, "SELECT 1;");
       const std::string fleet = dir.write("fleet.yaml", "targets:\n  - name: good\n    dsn: " + db.dsn() +
                                                            "\n  - name: down\n    dsn: host=127.0.0.1 port=1 dbname=x\n")
                                     .string();
       return run_app_process({"migrate", "up", "--targets", fleet, "--modules-dir", dir.path().string()});
     },
     "down"},
};

TEST(exit_codes, every_documented_code_comes_from_a_real_invocation) {
  std::set<int> produced;
  for (const exit_case& c : cases) {
    SCOPED_TRACE(c.name);
    test_database db;
    temp_dir dir;
    const run_result r = c.run(db, dir);
    EXPECT_EQ(r.code, c.code) << r.out << r.err;
    EXPECT_THAT(r.out + r.err, HasSubstr(c.says));
    EXPECT_THAT(r.out + r.err, ::testing::Not(HasSubstr("Sekr1t")));
    if (r.code == c.code) produced.insert(c.code);
  }
  std::set<int> documented = documented_codes();
  ASSERT_GE(documented.size(), 10u) << "docs/cli.md's exit code table was not found";
  // 7 (a read-only standby) needs a streaming standby: tests/integration/standby_test.cpp asserts it.
  documented.erase(7);
  EXPECT_EQ(produced, documented);
}

}  // namespace
