// Fleet runs against three real PostgreSQL servers started by this test, with
// 213 databases reached over TCP by a role that has a password (scram-sha-256):
// a server stopped during a run, isolation, fail-fast, canaries, shards,
// overlapping runners, the progress line only on a terminal, the table, JSON,
// exit codes, and no password printed anywhere.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "test_support.h"

namespace {

using namespace testing_support;
using testing::HasSubstr;
using testing::Not;

constexpr const char* role = "fleet_runner";
constexpr const char* password = "Pw-fl33t-Zq9x";
int databases_per_server = 70;  // per suite: 70 on each of 3 servers (big), 8 on 1 (small)

std::string port_of(const scratch_cluster& c) {
  std::string port = read_file(c.directory() / "port");
  while (!port.empty() && (port.back() == '\n' || port.back() == ' ')) port.pop_back();
  return port;
}

std::string db_name(int i) {
  char name[16];
  std::snprintf(name, sizeof name, "t_%03d", i);
  return name;
}

// The three servers and their databases, shared by every test of the suite;
// each test uses its own version table and object names.
struct fleet_servers {
  std::vector<std::unique_ptr<scratch_cluster>> servers;
  std::vector<std::string> ports;

  fleet_servers(int count, int per_server) {
    databases_per_server = per_server;
    {
      // 210 CREATE DATABASE copy 1.6 GB of catalog files: on tmpfs when there is one.
      std::error_code ec;
      const bool shm = std::filesystem::is_directory("/dev/shm", ec) && access("/dev/shm", W_OK) == 0;
      scoped_env tmpdir("TMPDIR", shm ? "/dev/shm" : std::getenv("TMPDIR"));
      for (int s = 0; s < count; ++s) servers.push_back(std::make_unique<scratch_cluster>());
    }
    // The databases of the three servers are created side by side (CREATE DATABASE is the slow part).
    std::vector<std::thread> creators;
    for (int s = 0; s < count; ++s) creators.emplace_back([this, s] { prepare(*servers[s]); });
    for (auto& t : creators) t.join();
    for (int s = 0; s < count; ++s) ports.push_back(port_of(*servers[s]));
  }

  static void prepare(scratch_cluster& c) {
    {
      // The role must authenticate with its password over TCP; everything else stays as scripts/pg made it.
      const auto hba = c.directory() / "data" / "pg_hba.conf";
      const std::string rest = read_file(hba);
      std::ofstream(hba) << "host all " << role << " 127.0.0.1/32 scram-sha-256\n" << rest;
      pqxx::connection admin(c.dsn());
      pqxx::nontransaction tx(admin);
      tx.exec(std::string("CREATE ROLE ") + role + " LOGIN CREATEDB PASSWORD '" + password + "'");
      tx.exec("SELECT pg_reload_conf()");
      // FILE_COPY (15+) skips WAL-logging each copy; 14 copies files anyway and has no STRATEGY.
      const std::string strategy = admin.server_version() >= 150000 ? " STRATEGY FILE_COPY" : "";
      for (int i = 0; i < databases_per_server; ++i)
        tx.exec("CREATE DATABASE " + db_name(i) + " OWNER " + role + strategy);
    }
  }

  // The superuser's DSN over the Unix socket (trust): for checking, without scram's cost per connection.
  std::string admin_dsn(int s, const std::string& db) const {
    std::string dsn = servers[s]->dsn();
    return dsn.replace(dsn.find("dbname=postgres"), 15, "dbname=" + db);
  }

  // The role's DSN (with its password) for database `db` on server `s`.
  std::string dsn(int s, const std::string& db) const {
    return "host=127.0.0.1 port=" + ports[s] + " user=" + role + " password=" + password + " dbname=" + db;
  }
};

fleet_servers* servers = nullptr;

// The environment every fleet file of this test refers to.
std::map<std::string, std::string> fleet_env() {
  std::map<std::string, std::string> env;
  for (int s = 0; s < static_cast<int>(servers->ports.size()); ++s) {
    env["CONTROL_" + std::to_string(s)] = servers->dsn(s, "postgres");
    env["TEMPLATE_" + std::to_string(s)] =
        "postgresql://" + std::string(role) + ":" + password + "@127.0.0.1:" + servers->ports[s] + "/{database}";
  }
  env["IAM_DSN"] = servers->dsn(0, "t_000");
  env["NO_COLOR"] = "1";
  return env;
}

// The whole fleet: three expansion entries (one per server, 70 databases each)
// and three plain entries with dsn_env; 213 targets.
std::string whole_fleet_file(const temp_dir& dir) {
  std::string text = "targets:\n";
  for (int s = 0; s < 3; ++s)
    text += "  - name: s" + std::to_string(s) +
            "\n    expand:\n      control_dsn_env: CONTROL_" + std::to_string(s) +
            "\n      query: SELECT datname FROM pg_database WHERE datname LIKE 't\\_%' ORDER BY 1\n"
            "      dsn_template_env: TEMPLATE_" + std::to_string(s) + "\n";
  for (const char* name : {"iam", "iam2", "iam3"}) text += std::string("  - name: ") + name + "\n    dsn_env: IAM_DSN\n";
  return dir.write("fleet.yaml", text).string();
}

// A small fleet of plain targets on server 0: databases t_000..t_00(n-1), one env variable each.
std::string small_fleet_file(const temp_dir& dir, int n, std::map<std::string, std::string>& env,
                             const std::string& canary_group_member = "") {
  std::string text = "targets:\n";
  for (int i = 0; i < n; ++i) {
    const std::string var = "SMALL_" + std::to_string(i) + "_DSN";
    env[var] = servers->dsn(0, db_name(i));
    text += "  - name: " + db_name(i) + "\n    dsn_env: " + var + "\n";
    if (db_name(i) == canary_group_member) text += "    group: canary\n";
  }
  return dir.write("small.yaml", text).string();
}

// A module set of `count` migrations creating `<prefix>_a`, adding columns, and an index.
void write_set(const temp_dir& dir, const std::string& prefix, int count = 4) {
  std::vector<std::pair<std::string, std::string>> files;
  files.push_back({"1001_create.sql", migration_text("CREATE TABLE " + prefix + "_a (id int PRIMARY KEY);",
                                                     "DROP TABLE " + prefix + "_a;")});
  for (int k = 2; k <= count; ++k)
    files.push_back({std::to_string(1000 + k) + "_col" + std::to_string(k) + ".sql",
                     migration_text("ALTER TABLE " + prefix + "_a ADD COLUMN c" + std::to_string(k) + " int;")});
  write_module_set(dir, {{"core", files}});
}

void expect_no_password(const run_result& r) {
  EXPECT_THAT(r.out, Not(HasSubstr(password)));
  EXPECT_THAT(r.err, Not(HasSubstr(password)));
}

// For each database: how many rows each version has in `table` ({} when the table is missing).
std::map<std::int64_t, int> versions_in(int s, const std::string& db, const std::string& table) {
  pqxx::connection c(servers->admin_dsn(s, db));
  pqxx::nontransaction tx(c);
  std::map<std::int64_t, int> out;
  if (tx.exec1("SELECT to_regclass('" + table + "') IS NULL")[0].as<bool>()) return out;
  for (const auto& row : tx.exec("SELECT version_id, count(*) FROM " + table + " WHERE version_id > 0 GROUP BY 1"))
    out[row[0].as<std::int64_t>()] = row[1].as<int>();
  return out;
}

std::map<std::int64_t, int> all_once(int count) {
  std::map<std::int64_t, int> out;
  for (int k = 1; k <= count; ++k) out[1000 + k] = 1;
  return out;
}

nlohmann::json json_of(const run_result& r) {
  try {
    return nlohmann::json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not JSON: " << e.what() << "\n" << r.out << "\n" << r.err;
    return {};
  }
}

// The "targets" array (a copy: safe to iterate over in a range-for).
nlohmann::json targets_of(const run_result& r) { return json_of(r)["targets"]; }

std::map<std::string, nlohmann::json> by_target(const nlohmann::json& j) {
  std::map<std::string, nlohmann::json> out;
  for (const auto& t : j["targets"]) out[t["target"].get<std::string>()] = t;
  return out;
}

// Three servers, 210 databases: one test, so that they are made once (ctest runs each test alone).
class fleet_of_213 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { servers = new fleet_servers(3, 70); }
  static void TearDownTestSuite() {
    delete servers;
    servers = nullptr;
  }
};

// One server, 8 databases: isolation, fail-fast, canaries, output, errors.
class fleet : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { servers = new fleet_servers(1, 8); }
  static void TearDownTestSuite() {
    delete servers;
    servers = nullptr;
  }
};

void a_server_stopped_during_the_run_fails_only_its_targets_and_a_rerun_completes() {
  temp_dir dir;
  write_set(dir, "big");
  const auto file = whole_fleet_file(dir);
  const std::vector<std::string> args = {"migrate",  "up",     "--targets", file,        "--modules-dir",
                                         dir.path().string(), "--table", "big_versions", "--jobs", "3",
                                         "--json",  "--connect-timeout", "2s"};
  {
    app_process run(args, fleet_env());
    // s0 comes first in the file: once some of its databases are done, stop s2.
    ASSERT_TRUE(run.wait_for_err("target=s0/t_010", 120000)) << run.err_so_far();
    servers->servers[2]->stop();
    const auto r = run.wait();
    expect_no_password(r);
    EXPECT_EQ(r.code, 9) << r.err;
    const auto j = json_of(r);
    EXPECT_EQ(j["total"], 213);
    const auto results = by_target(j);
    ASSERT_EQ(results.size(), 213u);
    int failed = 0;
    for (const auto& [name, t] : results) {
      if (name.rfind("s2/", 0) == 0) {
        if (t["result"] == "failed") {
          ++failed;
          EXPECT_EQ(t["error_code"], "database") << t.dump();
        } else {
          EXPECT_EQ(t["result"], "ok") << t.dump();
        }
      } else {
        EXPECT_EQ(t["result"], "ok") << t.dump();
        if (name[0] == 's' && name != "s0/t_000") {  // iam* share s0/t_000: one of them applied
          EXPECT_EQ(t["applied"], 4) << t.dump();
        }
        EXPECT_EQ(t["to_version"], 1004) << t.dump();
      }
    }
    EXPECT_GT(failed, 0) << "the stopped server failed none of its targets";
    EXPECT_EQ(j["failed"], failed);
    for (int i = 0; i < databases_per_server; ++i) EXPECT_EQ(versions_in(1, db_name(i), "big_versions"), all_once(4));
  }
  servers->servers[2]->start();
  servers->ports[2] = port_of(*servers->servers[2]);
  const auto again = run_app_process({"migrate", "up", "--targets", file, "--modules-dir", dir.path().string(),
                                      "--table", "big_versions", "--jobs", "4"},
                                     fleet_env());
  expect_no_password(again);
  ASSERT_EQ(again.code, 0) << again.err;
  // The table: one row per target, then the summary.
  EXPECT_THAT(again.out, HasSubstr("TARGET"));
  EXPECT_THAT(again.out, testing::ContainsRegex("s2/t_069 +[0-9]+ +1004 +[0-9]+ +[0-9.]+ m?s  ok"));
  EXPECT_THAT(again.out, HasSubstr("up: 213 target(s): 213 ok, 0 failed, 0 skipped"));
  for (int s = 0; s < 3; ++s)
    for (int i = 0; i < databases_per_server; ++i)
      EXPECT_EQ(versions_in(s, db_name(i), "big_versions"), all_once(4)) << s << " " << db_name(i);
}

// Sixteen workers doing scram-sha-256 against three servers on a loaded 2-core
// machine (CI, the sanitizer build) can take longer than the default 5 s to
// connect; these runs are not about the timeout.
constexpr const char* slow_connect = "60s";

void shards_apply_each_target_exactly_once_and_overlapping_runners_record_each_version_once() {
  temp_dir dir;
  write_set(dir, "shard");
  const auto file = whole_fleet_file(dir);
  auto shard_run = [&](const std::string& shard) {
    return run_app_process({"migrate", "up", "--targets", file, "--modules-dir", dir.path().string(), "--table",
                            "shard_versions", "--shard", shard, "--json", "--jobs", "8", "--connect-timeout",
                            slow_connect},
                           fleet_env());
  };
  std::map<std::string, int> ran;
  for (const char* shard : {"0/3", "1/3", "2/3"}) {
    const auto r = shard_run(shard);
    expect_no_password(r);
    ASSERT_EQ(r.code, 0) << r.err;
    const auto shard_targets = targets_of(r);
    EXPECT_GT(shard_targets.size(), 0u) << "shard " << shard << " ran no target";
    for (const auto& t : shard_targets) {
      ++ran[t["target"].get<std::string>()];
      EXPECT_EQ(t["result"], "ok");
    }
  }
  EXPECT_EQ(ran.size(), 213u);
  for (const auto& [name, n] : ran) EXPECT_EQ(n, 1) << name;
  // iam, iam2 and iam3 share a database: the first applied, the others found nothing to do.
  for (int s = 0; s < 3; ++s)
    for (int i = 0; i < databases_per_server; ++i) EXPECT_EQ(versions_in(s, db_name(i), "shard_versions"), all_once(4));

  // Two runners over the whole fleet at once: each target's lock keeps them apart.
  write_set(dir, "overlap", 6);
  const std::vector<std::string> args = {"migrate", "up", "--targets", file, "--modules-dir", dir.path().string(),
                                         "--table", "overlap_versions", "--jobs", "8", "--json",
                                         "--connect-timeout", slow_connect};
  app_process first(args, fleet_env()), second(args, fleet_env());
  const auto a = first.wait(), b = second.wait();
  expect_no_password(a);
  expect_no_password(b);
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  std::size_t applied = 0;
  for (const auto* r : {&a, &b})
    for (const auto& t : targets_of(*r))
      if (t["target"].get<std::string>().rfind("iam", 0) != 0) applied += t["applied"].get<std::size_t>();
  EXPECT_EQ(applied, 210u * 6) << "each migration of each database applied by exactly one runner";
  for (int s = 0; s < 3; ++s)
    for (int i = 0; i < databases_per_server; ++i)
      EXPECT_EQ(versions_in(s, db_name(i), "overlap_versions"), all_once(6)) << s << " " << db_name(i);

  // status over the fleet: all current.
  const auto status = run_app_process({"migrate", "status", "--targets", file, "--modules-dir", dir.path().string(),
                                       "--table", "overlap_versions", "--json", "--exit-code"},
                                      fleet_env());
  ASSERT_EQ(status.code, 0) << status.err;
  const auto status_targets = targets_of(status);
  ASSERT_EQ(status_targets.size(), 213u) << status.out;
  for (const auto& t : status_targets) {
    EXPECT_EQ(t["current"], true);
    EXPECT_EQ(t["version"], 1006);
    EXPECT_EQ(t["pending"], 0);
  }
}

TEST_F(fleet_of_213, stopped_server_rerun_shards_and_overlapping_runners) {
  {
    SCOPED_TRACE("a server stopped during the run");
    a_server_stopped_during_the_run_fails_only_its_targets_and_a_rerun_completes();
  }
  if (HasFatalFailure()) return;
  SCOPED_TRACE("shards and overlapping runners");
  shards_apply_each_target_exactly_once_and_overlapping_runners_record_each_version_once();
}

// A set whose second migration fails where <prefix>_b already exists.
void write_failing_set(const temp_dir& dir, const std::string& prefix) {
  write_module_set(dir, {{"core",
                          {{"1001_a.sql", migration_text("CREATE TABLE " + prefix + "_a (id int);")},
                           {"1002_b.sql", migration_text("CREATE TABLE " + prefix + "_b (id int);")},
                           {"1003_c.sql", migration_text("CREATE TABLE " + prefix + "_c (id int);")}}}});
}

void create_table(int s, const std::string& db, const std::string& table) {
  pqxx::connection c(servers->admin_dsn(s, db));
  pqxx::nontransaction(c).exec("CREATE TABLE " + table + " (x int)");
}

// Repeatable migrations and callbacks reach every target: each gets the view and
// its row in the side table, then a changed file is applied again everywhere, and
// fleet status counts a target current only once its repeatables are.
TEST_F(fleet, repeatables_and_callbacks_run_on_every_target) {
  temp_dir dir;
  write_set(dir, "rep", 2);
  dir.write("core/migrations/repeatable/rep_view.sql",
            migration_text("CREATE OR REPLACE VIEW rep_view AS SELECT id FROM rep_a;"));
  dir.write("core/migrations/callbacks/after_migrate.sql",
            migration_text("CREATE TABLE IF NOT EXISTS rep_runs (n int);\nINSERT INTO rep_runs VALUES (1);"));
  auto env = fleet_env();
  const auto file = small_fleet_file(dir, 4, env);
  const std::vector<std::string> base = {"--targets", file, "--modules-dir", dir.path().string(), "--table",
                                         "rep_versions", "--jobs", "2"};
  auto run = [&](const std::string& command, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"migrate", command};
    args.insert(args.end(), base.begin(), base.end());
    args.insert(args.end(), extra.begin(), extra.end());
    return run_app_process(args, env);
  };
  auto scalar = [](const std::string& db, const std::string& sql) {
    pqxx::connection c(servers->admin_dsn(0, db));
    return pqxx::nontransaction(c).exec1(sql)[0].as<std::string>();
  };
  auto r = run("up");
  ASSERT_EQ(r.code, 0) << r.err;
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(versions_in(0, db_name(i), "rep_versions"), all_once(2)) << db_name(i);
    EXPECT_EQ(scalar(db_name(i), "SELECT count(*) FROM rep_versions_repeatable WHERE name = 'rep_view'"), "1");
    EXPECT_EQ(scalar(db_name(i), "SELECT count(*) FROM rep_runs"), "1");
  }
  EXPECT_EQ(run("status", {"--exit-code"}).code, 0);

  dir.write("core/migrations/repeatable/rep_view.sql",
            migration_text("CREATE OR REPLACE VIEW rep_view AS SELECT id, c2 FROM rep_a;"));
  EXPECT_EQ(run("status", {"--exit-code"}).code, 6);
  for (const auto& [name, t] : by_target(json_of(run("status", {"--json"})))) {
    EXPECT_EQ(t["pending"], 1) << name;  // the changed repeatable
    EXPECT_EQ(t["current"], false) << name;
  }
  // The dry run plans the repeatable (the callback around it is no migration of the count).
  for (const auto& [name, t] : by_target(json_of(run("up", {"--dry-run", "--json"})))) {
    ASSERT_EQ(t["planned"].size(), 1u) << name;
    EXPECT_EQ(t["planned"][0]["name"], "rep_view");
    EXPECT_EQ(t["planned"][0]["repeatable"], true);
  }
  r = run("up");
  ASSERT_EQ(r.code, 0) << r.err;
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(scalar(db_name(i), "SELECT count(*) FROM information_schema.columns WHERE table_name = 'rep_view'"), "2");
    EXPECT_EQ(scalar(db_name(i), "SELECT count(*) FROM rep_runs"), "2");
  }
  EXPECT_EQ(run("status", {"--exit-code"}).code, 0);
}

// A fleet's jobs keep the server busy: each fresh target's history tables are
// made on its migration connection before its first migration (a second
// connection, tables_to_make_aside, would make theirs after that migration's
// first write), so goose's version-0 row has the older transaction id.
TEST_F(fleet, fresh_targets_make_their_tables_on_their_migration_connection_first) {
  temp_dir dir;
  write_set(dir, "own", 2);
  auto env = fleet_env();
  const auto file = small_fleet_file(dir, 3, env);
  const auto r = run_app_process({"migrate", "up", "--targets", file, "--modules-dir", dir.path().string(),
                                  "--table", "own_versions", "--jobs", "2"},
                                 env);
  ASSERT_EQ(r.code, 0) << r.err;
  for (int i = 0; i < 3; ++i) {
    pqxx::connection c(servers->admin_dsn(0, db_name(i)));
    EXPECT_EQ(pqxx::nontransaction(c)
                  .exec1("SELECT (SELECT xmin::text::bigint FROM own_versions WHERE version_id = 0) < "
                         "(SELECT xmin::text::bigint FROM own_versions WHERE version_id = 1001)")[0]
                  .as<std::string>(),
              "t")
        << db_name(i);
  }
}

TEST_F(fleet, a_failing_target_does_not_stop_the_others) {
  temp_dir dir;
  write_failing_set(dir, "iso");
  auto env = fleet_env();
  const auto file = small_fleet_file(dir, 8, env);
  create_table(0, "t_003", "iso_b");
  const auto r = run_app_process({"migrate", "up", "--targets", file, "--modules-dir", dir.path().string(),
                                  "--table", "iso_versions", "--jobs", "1"},
                                 env);
  expect_no_password(r);
  EXPECT_EQ(r.code, 9);
  EXPECT_THAT(r.out, testing::ContainsRegex("t_003 +0 +1001 +1 +[0-9.]+ m?s  failed: .*iso_b"));
  EXPECT_THAT(r.out, HasSubstr("up: 8 target(s): 7 ok, 1 failed, 0 skipped"));
  EXPECT_THAT(r.err, testing::ContainsRegex("error +failed after .* target=t_003"));
  const std::map<std::int64_t, int> first_only{{1001, 1}};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(versions_in(0, db_name(i), "iso_versions"), i == 3 ? first_only : all_once(3)) << db_name(i);
}

TEST_F(fleet, fail_fast_starts_no_target_after_a_failure) {
  temp_dir dir;
  write_failing_set(dir, "ff");
  auto env = fleet_env();
  const auto file = small_fleet_file(dir, 8, env);
  create_table(0, "t_003", "ff_b");
  const auto r = run_app_process({"migrate", "up", "--targets", file, "--modules-dir", dir.path().string(),
                                  "--table", "ff_versions", "--jobs", "1", "--fail-fast", "--json"},
                                 env);
  expect_no_password(r);
  EXPECT_EQ(r.code, 9);
  const auto j = json_of(r);
  EXPECT_EQ(j["ok"], 3);
  EXPECT_EQ(j["failed"], 1);
  EXPECT_EQ(j["skipped"], 4);
  const auto results = by_target(j);
  EXPECT_EQ(results.at("t_003")["result"], "failed");
  EXPECT_THAT(results.at("t_003")["error"].get<std::string>(), HasSubstr("ff_b"));
  EXPECT_EQ(results.at("t_004")["result"], "skipped");
  EXPECT_EQ(results.at("t_004")["error"], "not started: --fail-fast after a failure");
  for (int i = 0; i < 8; ++i) {
    auto expected = i < 3 ? all_once(3) : i == 3 ? std::map<std::int64_t, int>{{1001, 1}} : std::map<std::int64_t, int>{};
    EXPECT_EQ(versions_in(0, db_name(i), "ff_versions"), expected) << db_name(i);
  }
}

TEST_F(fleet, a_failing_canary_stops_the_run) {
  temp_dir dir;
  write_failing_set(dir, "can");
  auto env = fleet_env();
  const auto file = small_fleet_file(dir, 8, env, "t_005");
  create_table(0, "t_001", "can_b");
  // The first two run first; t_001 fails, so nothing else starts.
  auto r = run_app_process({"migrate", "up", "--targets", file, "--modules-dir", dir.path().string(), "--table",
                            "can_versions", "--canary", "2", "--json"},
                           env);
  expect_no_password(r);
  EXPECT_EQ(r.code, 9);
  auto results = by_target(json_of(r));
  EXPECT_EQ(results.at("t_000")["result"], "ok");
  EXPECT_EQ(results.at("t_000")["canary"], true);
  EXPECT_EQ(results.at("t_001")["result"], "failed");
  for (int i = 2; i < 8; ++i) {
    EXPECT_EQ(results.at(db_name(i))["result"], "skipped");
    EXPECT_EQ(results.at(db_name(i))["error"], "not started: a canary failed");
    EXPECT_EQ(versions_in(0, db_name(i), "can_versions"), (std::map<std::int64_t, int>{})) << db_name(i);
  }
  // The group marked canary (t_005) runs first; it succeeds, so the rest follow.
  temp_dir dir2;
  write_failing_set(dir2, "can2");
  create_table(0, "t_001", "can2_b");
  r = run_app_process({"migrate", "up", "--targets", file, "--modules-dir", dir2.path().string(), "--table",
                       "can2_versions", "--canary", "canary", "--json", "--jobs", "1"},
                      env);
  EXPECT_EQ(r.code, 9);  // t_001 still fails, but only in its turn
  const auto j = json_of(r);
  EXPECT_EQ(j["targets"][0]["target"], "t_005");
  EXPECT_EQ(j["targets"][0]["canary"], true);
  EXPECT_EQ(j["ok"], 7);
  EXPECT_EQ(j["failed"], 1);
}

TEST_F(fleet, progress_line_only_on_a_terminal_and_every_log_line_names_its_target) {
  temp_dir dir;
  write_set(dir, "prog");
  auto env = fleet_env();
  const auto file = small_fleet_file(dir, 6, env);
  // Not a terminal: no progress line; JSON logs, each worker line with its target.
  const auto plain = run_app_process({"migrate", "up", "--targets", file, "--modules-dir", dir.path().string(),
                                      "--table", "prog_versions", "--log-format", "json", "--log-level", "debug"},
                                     env);
  ASSERT_EQ(plain.code, 0) << plain.err;
  EXPECT_THAT(plain.err, Not(HasSubstr("done, ")));
  EXPECT_THAT(plain.err, Not(HasSubstr("\r")));
  std::istringstream lines(plain.err);
  int applied_lines = 0;
  for (std::string line; std::getline(lines, line);) {
    const auto j = nlohmann::json::parse(line);
    if (j["message"] == "applied") {
      ++applied_lines;
      EXPECT_TRUE(j.contains("target")) << line;
      EXPECT_TRUE(j.contains("version")) << line;
    }
    if (j["message"].get<std::string>().rfind("applied 4 migration(s)", 0) == 0) {
      EXPECT_TRUE(j.contains("target")) << line;
    }
  }
  EXPECT_EQ(applied_lines, 6 * 4);

  // A terminal (a pty made by script(1)): the progress line is drawn on stderr.
  // The environment goes through this process (script(1) records its command line).
  std::vector<std::unique_ptr<scoped_env>> exported;
  for (const auto& [k, v] : env) exported.push_back(std::make_unique<scoped_env>(k, v.c_str()));
  std::string command = std::string(MIGRATOR_APP_BINARY) + " migrate status --targets " + file + " --modules-dir " +
             dir.path().string() + " --table prog_versions";
  const auto transcript = dir.path() / "transcript";
  const std::string script = "script -qec \"" + command + "\" " + transcript.string() + " </dev/null >/dev/null 2>&1";
  ASSERT_EQ(std::system(script.c_str()), 0) << script;
  const std::string seen = read_file(transcript);
  EXPECT_THAT(seen, HasSubstr("\r\033[Kfleet: 0/6 done, 0 failed"));
  EXPECT_THAT(seen, testing::ContainsRegex("fleet: [0-9]/6 done"));
  EXPECT_THAT(seen, HasSubstr("status: 6 target(s): 6 ok, 0 failed, 0 skipped"));
  EXPECT_THAT(seen, Not(HasSubstr(password)));
}

TEST_F(fleet, dry_run_version_and_validate_change_nothing) {
  temp_dir dir;
  write_set(dir, "dry");
  auto env = fleet_env();
  const auto file = small_fleet_file(dir, 3, env);
  const std::vector<std::string> common = {"--targets", file, "--modules-dir", dir.path().string(), "--table",
                                           "dry_versions"};
  auto with = [&](std::vector<std::string> a) {
    a.insert(a.end(), common.begin(), common.end());
    return run_app_process(a, env);
  };
  auto r = with({"migrate", "up", "--dry-run", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto planned = targets_of(r);
  ASSERT_EQ(planned.size(), 3u) << r.out;
  for (const auto& t : planned) {
    EXPECT_EQ(t["planned"].size(), 4u);
    EXPECT_EQ(t["to_version"], 1004);
    EXPECT_EQ(t["applied"], 0);
  }
  for (int i = 0; i < 3; ++i) EXPECT_EQ(versions_in(0, db_name(i), "dry_versions"), (std::map<std::int64_t, int>{}));
  r = with({"migrate", "up-to", "1002"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = with({"migrate", "version", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto versions = targets_of(r);
  ASSERT_EQ(versions.size(), 3u) << r.out;
  for (const auto& t : versions) EXPECT_EQ(t["version"], 1002);
  r = with({"migrate", "validate"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ok: 1 modules, 4 migrations"));
  r = with({"migrate", "down"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("down does not run over a fleet"));
}

TEST_F(fleet, bad_fleet_files_exit_2_saying_where_without_the_password) {
  // The servers do ask for the role's password.
  EXPECT_THROW(pqxx::connection("host=127.0.0.1 port=" + servers->ports[0] + " user=" + role + " dbname=t_000"),
               std::exception);
  temp_dir dir;
  write_set(dir, "bad");
  const auto with_password = dir.write("pw.yaml", "targets:\n  - name: a\n    dsn: postgresql://" + std::string(role) +
                                                      ":" + password + "@127.0.0.1/t_000\n");
  auto r = run_app_process({"migrate", "up", "--targets", with_password.string()}, fleet_env());
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(with_password.string() + ":3: 'dsn' holds a password"));
  expect_no_password(r);
  const auto unknown = dir.write("unknown.yaml", "targets:\n  - name: a\n    dsn_env: NOT_SET_ANYWHERE\n");
  r = run_app_process({"migrate", "status", "--targets", unknown.string()}, fleet_env());
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(unknown.string() + ":3: 'dsn_env' names NOT_SET_ANYWHERE, which is not set"));
  // A target name that is not in the fleet.
  auto env = fleet_env();
  const auto file = small_fleet_file(dir, 2, env);
  r = run_app_process({"migrate", "up", "--targets", file, "--target", "t_0001"}, env);
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--target 't_0001': no such target in the fleet (did you mean 't_000'?)"));
  // APP_TARGETS works like --targets.
  env["APP_TARGETS"] = file;
  r = run_app_process({"migrate", "version", "--modules-dir", dir.path().string(), "--table", "bad_versions"}, env);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("version: 2 target(s): 2 ok"));
}

}  // namespace
