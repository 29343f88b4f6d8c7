// The structured-log contract of docs/configuration.md#log-events: real runs of
// the app with --log-format json against the test server produce every
// documented event with its documented fields. The table of events is read from
// the doc itself, so an event documented without a scenario here fails.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <regex>
#include <set>
#include <sstream>

#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;
using json = nlohmann::json;

namespace {

// Every stderr line of a JSON run, parsed; a line that is not JSON fails the test.
std::vector<json> json_lines(const std::string& err) {
  std::vector<json> lines;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    json j = json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not a JSON line: " << line;
    if (!j.is_discarded()) lines.push_back(std::move(j));
  }
  return lines;
}

// The event names of the doc's table, in order.
std::vector<std::string> documented_events() {
  std::ifstream doc(std::string(MIGRATOR_SOURCE_DIR) + "/docs/configuration.md");
  std::string line;
  bool in_section = false;
  std::vector<std::string> events;
  const std::regex row("^\\| `([a-z_]+)` \\|");
  while (std::getline(doc, line)) {
    if (line.rfind("### Log events", 0) == 0) in_section = true;
    else if (in_section && line.rfind("#", 0) == 0) break;
    std::smatch m;
    if (in_section && std::regex_search(line, m, row)) events.push_back(m[1]);
  }
  return events;
}

// A field of the contract, and the JSON type it must have.
enum class kind { string, integer };
struct field {
  const char* key;
  kind type;
};

// Each documented event with the fields every line of it must carry (the
// alternatives of `applied`/`rolled_back` are checked by the batch test below).
const std::map<std::string, std::vector<field>> contract = {
    {"applied", {{"module", kind::string}, {"version", kind::integer}, {"name", kind::string}}},
    {"rolled_back", {{"module", kind::string}, {"version", kind::integer}, {"name", kind::string}}},
    {"recorded", {{"module", kind::string}, {"version", kind::integer}, {"name", kind::string}}},
    {"run_done",
     {{"command", kind::string}, {"count", kind::integer}, {"duration_us", kind::integer}, {"at_version", kind::integer}}},
    {"nothing_to_do", {{"command", kind::string}, {"at_version", kind::integer}}},
    {"run_partial", {{"command", kind::string}, {"count", kind::integer}}},
    {"error", {{"exit_code", kind::integer}}},
    {"lock_wait", {{"holder", kind::string}}},
    {"allow_drift", {}},
    {"database", {{"dsn", kind::string}, {"source", kind::string}}},
    {"database_wait", {{"attempt", kind::integer}, {"reason", kind::string}}},
    {"startup_migrated", {{"count", kind::integer}}},
    {"startup_migration_skipped", {}},
    {"drift_allowed", {{"count", kind::integer}, {"migrations", kind::string}}},
    {"unknown_versions", {{"unknown_versions", kind::integer}, {"migrations", kind::string}}},
    {"ready", {{"at_version", kind::integer}, {"search_path", kind::string}, {"role", kind::string}}},
    {"shutdown", {{"signal", kind::string}}},
    {"checksums_recorded", {{"count", kind::integer}}},
    {"repaired", {{"module", kind::string}, {"version", kind::integer}, {"name", kind::string}, {"state", kind::string}}},
    {"module_problem", {}},
    {"lock_taken_over", {{"previous_holder", kind::string}, {"lock_id", kind::integer}, {"expired_at", kind::string}}},
    {"signal_received", {{"signal", kind::string}, {"action", kind::string}}},
    {"build_registered", {{"build_id", kind::string}, {"instance", kind::string}, {"known_versions", kind::string}}},
    {"contract_deferred",
     {{"module", kind::string}, {"version", kind::integer}, {"name", kind::string}, {"waiting_for", kind::string},
      {"held_back", kind::integer}}},
    {"builds_wait", {{"wait_ms", kind::integer}}},
    {"builds_wait_timeout", {{"command", kind::string}, {"deferred", kind::integer}}},
    {"lock_retry",
     {{"module", kind::string}, {"version", kind::integer}, {"retry", kind::integer}, {"retries", kind::integer},
      {"delay_ms", kind::integer}, {"sqlstate", kind::string}, {"blocker_pids", kind::string}, {"blockers", kind::string}}},
    {"lock_retry_exhausted",
     {{"module", kind::string}, {"version", kind::integer}, {"retried", kind::integer}, {"spent_ms", kind::integer}}},
    {"invalid_index_dropped", {{"module", kind::string}, {"version", kind::integer}, {"index", kind::string}}},
    {"dirty_resumed", {{"module", kind::string}, {"version", kind::integer}, {"statement", kind::integer}}},
    {"repeatable_applied", {{"module", kind::string}, {"name", kind::string}, {"duration_us", kind::integer}}},
    {"repeatable_reverted", {{"module", kind::string}, {"name", kind::string}, {"duration_us", kind::integer}}},
    {"callback", {{"module", kind::string}, {"name", kind::string}}},
    {"callback_failed", {{"module", kind::string}, {"name", kind::string}}},
};

class log_events : public ::testing::Test {
 protected:
  void SetUp() override { write_set(/*fixed=*/false, /*extra=*/false); }

  // alpha: two transactional migrations (one request), a NO TRANSACTION one
  // (alone) that fails half way unless `fixed`, and with `extra` a fourth.
  void write_set(bool fixed, bool extra) {
    std::filesystem::remove_all(dir.path() / "alpha");
    std::vector<std::pair<std::string, std::string>> files = {
        {"1001_first.sql", migration_text("CREATE SCHEMA alpha;\nCREATE TABLE alpha.one (id int);", "DROP SCHEMA alpha CASCADE;")},
        {"1002_second.sql", migration_text("CREATE TABLE alpha.two (id int);", "DROP TABLE alpha.two;")},
        {"1003_third.sql",
         "-- +goose NO TRANSACTION\n" +
             migration_text(std::string("CREATE TABLE IF NOT EXISTS alpha.three (id int);\n") +
                                (fixed ? "SELECT 1;" : "SELECT 1/0;"),
                            "DROP TABLE alpha.three;")},
    };
    if (extra) files.push_back({"1004_fourth.sql", migration_text("CREATE TABLE alpha.four (id int);", "DROP TABLE alpha.four;")});
    write_module_set(dir, {{"alpha", files}});
  }

  // Runs `app ARGS... --dsn --modules-dir --log-format json` and keeps its lines.
  run_result run(std::vector<std::string> args, int expected_code) {
    for (std::string a : {"--dsn", db.dsn().c_str(), "--modules-dir", dir.path().c_str(), "--log-format", "json"})
      args.push_back(a);
    run_result r = run_app(args);
    EXPECT_EQ(r.code, expected_code) << args[0] << " " << args[1] << "\n" << r.err;
    for (auto& j : json_lines(r.err)) seen.push_back(std::move(j));
    return r;
  }

  std::vector<json> of(const std::string& event) const {
    std::vector<json> out;
    for (const auto& j : seen)
      if (j.value("event", "") == event) out.push_back(j);
    return out;
  }

  test_database db;
  temp_dir dir;
  std::vector<json> seen;  // every JSON line of every run, in order
};

TEST_F(log_events, every_documented_event_appears_with_its_fields) {
  // A failing NO TRANSACTION migration after a batch of two: applied (batch),
  // run_partial, error (exit 1); then dirty refuses (error, exit 4).
  run({"migrate", "up", "--log-level", "debug"}, 1);
  run({"migrate", "up"}, 4);
  run({"migrate", "repair", "1003", "--mark-rolled-back"}, 0);
  write_set(/*fixed=*/true, /*extra=*/false);
  run({"migrate", "up"}, 0);  // 1003 alone: duration_us; run_done
  run({"migrate", "up"}, 0);  // nothing_to_do
  run({"migrate", "redo"}, 0);
  run({"migrate", "repair", "--checksums"}, 0);

  // lock_wait: another session holds the advisory lock while a migration is pending.
  write_set(true, true);
  {
    pqxx::connection holder(db.dsn());
    pqxx::nontransaction(holder).exec("SELECT pg_advisory_lock(4097083626)");
    run({"migrate", "up", "--lock", "advisory", "--lock-timeout", "1s"}, 3);
  }
  run({"migrate", "up", "--allow-drift"}, 0);  // allow_drift; 1004 applied

  // start: unknown versions (1004 dropped from the set), then drift allowed (1001 edited).
  write_set(true, false);
  run({"start", "--once", "--log-level", "debug"}, 0);
  write_module_set(dir, {{"alpha",
                          {{"1001_first.sql", migration_text("CREATE SCHEMA alpha;\nCREATE TABLE alpha.one (id bigint);", "DROP SCHEMA alpha CASCADE;")}}}});
  run({"start", "--once", "--allow-drift", "--no-migrate"}, 0);

  // module_problem: a second file with version 1002, read by status (which reports and goes on).
  dir.write("alpha/migrations/1002_again.sql", migration_text("SELECT 1;"));
  run({"migrate", "status"}, 0);

  // recorded: stamp on a database of its own.
  {
    test_database other;
    write_set(true, false);
    run_result r = run_app({"migrate", "stamp", "1002", "--dsn", other.dsn(), "--modules-dir", dir.path().string(),
                            "--log-format", "json"});
    EXPECT_EQ(r.code, 0) << r.err;
    for (auto& j : json_lines(r.err)) seen.push_back(std::move(j));
  }

  // shutdown: SIGTERM after ready, in a process of its own.
  {
    app_process app({"start", "--dsn", db.dsn(), "--modules-dir", dir.path().string(), "--log-format", "json",
                     "--allow-drift"});
    ASSERT_TRUE(app.wait_for_err("\"event\":\"ready\"", 30000)) << app.err_so_far();
    app.signal(SIGTERM);
    run_result r = app.wait();
    EXPECT_EQ(r.code, 0) << r.err;
    for (auto& j : json_lines(r.err)) seen.push_back(std::move(j));
  }

  // lock_taken_over: a lease row whose holder stopped renewing it, taken over by up --lock table.
  {
    test_database other;
    other.exec("CREATE TABLE goose_lock (lock_id bigint PRIMARY KEY, locked boolean NOT NULL DEFAULT false, "
               "locked_at timestamptz, locked_by text, lease_expires_at timestamptz, updated_at timestamptz)");
    other.exec("INSERT INTO goose_lock VALUES (4097083626, true, now() - interval '2 minutes', 'gone-runner', "
               "now() - interval '1 minute', now() - interval '2 minutes')");
    run_result r = run_app({"migrate", "up", "--lock", "table", "--dsn", other.dsn(), "--modules-dir",
                            dir.path().string(), "--log-format", "json"});
    EXPECT_EQ(r.code, 0) << r.err;
    for (auto& j : json_lines(r.err)) seen.push_back(std::move(j));
  }

  // signal_received: SIGTERM while `up` waits for the advisory lock another session holds.
  {
    test_database other;
    pqxx::connection holder(other.dsn());
    pqxx::nontransaction(holder).exec("SELECT pg_advisory_lock(4097083626)");
    app_process app({"migrate", "up", "--lock", "advisory", "--dsn", other.dsn(), "--modules-dir",
                     dir.path().string(), "--log-format", "json"});
    ASSERT_TRUE(app.wait_for_err("\"event\":\"lock_wait\"", 30000)) << app.err_so_far();
    app.signal(SIGTERM);
    run_result r = app.wait();
    EXPECT_EQ(r.code, 8) << r.err;
    for (auto& j : json_lines(r.err)) seen.push_back(std::move(j));
  }

  // database_wait: start against a port where no server listens, until its wait times out (exit 1).
  {
    run_result r = run_app({"start", "--once", "--wait-timeout", "1s", "--dsn",
                            "host=127.0.0.1 port=1 user=postgres dbname=nowhere", "--modules-dir",
                            dir.path().string(), "--log-format", "json"});
    EXPECT_EQ(r.code, 1) << r.err;
    for (auto& j : json_lines(r.err)) seen.push_back(std::move(j));
  }

  // build_registered, contract_deferred, builds_wait, builds_wait_timeout: an old
  // build runs while a newer set's contract migration waits for it.
  {
    test_database other;
    temp_dir old_set, new_set;
    const auto first = migration_text("CREATE SCHEMA alpha;\nCREATE TABLE alpha.one (id int, legacy int);",
                                      "DROP SCHEMA alpha CASCADE;");
    write_module_set(old_set, {{"alpha", {{"1001_first.sql", first}}}});
    write_module_set(new_set, {{"alpha",
                                {{"1001_first.sql", first},
                                 {"1002_drop_legacy.sql", "-- +migrator contract\n" +
                                                              migration_text("ALTER TABLE alpha.one DROP COLUMN legacy;")}}}});
    app_process old_build({"start", "--dsn", other.dsn(), "--modules-dir", old_set.path().string(), "--log-format",
                           "json"});
    ASSERT_TRUE(old_build.wait_for_err("\"event\":\"ready\"", 30000)) << old_build.err_so_far();
    run_result r = run_app({"migrate", "up", "--wait-for-builds", "600ms", "--dsn", other.dsn(), "--modules-dir",
                            new_set.path().string(), "--log-format", "json"});
    EXPECT_EQ(r.code, 10) << r.err;
    for (auto& j : json_lines(r.err)) seen.push_back(std::move(j));
    old_build.signal(SIGTERM);
    run_result stopped = old_build.wait();
    for (auto& j : json_lines(stopped.err)) seen.push_back(std::move(j));
  }

  // lock_retry, lock_retry_exhausted: a migration behind another session's open
  // transaction, with a short --db-lock-timeout and --db-lock-retry-for.
  // dirty_resumed, invalid_index_dropped: a unique concurrent build fails on a
  // duplicate; the duplicate removed, the next up resumes at the build.
  {
    test_database other;
    other.exec("CREATE TABLE public.items (id int); INSERT INTO public.items VALUES (1), (1)");
    temp_dir set;
    write_module_set(set, {{"alpha",
                            {{"1001_note.sql", migration_text("ALTER TABLE public.items ADD COLUMN note text;")},
                             {"1002_key.sql", "-- +goose NO TRANSACTION\n" +
                                                  migration_text("CREATE UNIQUE INDEX CONCURRENTLY items_key ON "
                                                                 "public.items (id);")}}}});
    const std::vector<std::string> args = {"--dsn", other.dsn(), "--modules-dir", set.path().string(), "--log-format",
                                           "json", "--db-lock-timeout", "100ms"};
    auto up = [&](std::vector<std::string> extra, int code) {
      std::vector<std::string> all = {"migrate", "up"};
      all.insert(all.end(), args.begin(), args.end());
      all.insert(all.end(), extra.begin(), extra.end());
      run_result r = run_app(all);
      EXPECT_EQ(r.code, code) << r.err;
      for (auto& j : json_lines(r.err)) seen.push_back(std::move(j));
    };
    {
      pqxx::connection holder(other.dsn());
      pqxx::work w(holder);
      w.exec("SELECT count(*) FROM public.items");
      up({"--db-lock-retry-for", "500ms"}, 1);
    }
    up({}, 1);  // 1001 applied; 1002 fails on the duplicate, dirty
    other.exec("DELETE FROM public.items WHERE ctid = (SELECT max(ctid) FROM public.items)");
    up({}, 0);
  }

  // repeatable_applied, callback, callback_failed: a repeatable view and an
  // after_migrate that fails, whose after_migrate_error fails too;
  // repeatable_reverted: reset.
  {
    test_database other;
    temp_dir set;
    write_module_set(set, {{"alpha",
                            {{"1001_init.sql", migration_text("CREATE SCHEMA alpha;", "DROP SCHEMA alpha CASCADE;")},
                             {"repeatable/names.sql", migration_text("CREATE OR REPLACE VIEW alpha.names AS SELECT 1 AS one;",
                                                                     "DROP VIEW alpha.names;")},
                             {"callbacks/after_migrate.sql", migration_text("SELECT 1/0;")},
                             {"callbacks/after_migrate_error.sql", migration_text("SELECT 1/0;")}}}});
    auto migrate = [&](const char* command, int code) {
      run_result r = run_app({"migrate", command, "--dsn", other.dsn(), "--modules-dir", set.path().string(),
                              "--log-format", "json"});
      EXPECT_EQ(r.code, code) << r.err;
      for (auto& j : json_lines(r.err)) seen.push_back(std::move(j));
    };
    migrate("up", 1);
    migrate("reset", 0);
  }

  const std::vector<std::string> documented = documented_events();
  ASSERT_EQ(documented.size(), contract.size()) << "the doc's table and this test's contract differ";
  for (const std::string& event : documented) {
    SCOPED_TRACE(event);
    auto it = contract.find(event);
    ASSERT_NE(it, contract.end()) << "documented but not tested";
    const auto lines = of(event);
    ASSERT_FALSE(lines.empty()) << "no run produced it";
    for (const json& j : lines) {
      EXPECT_TRUE(j.contains("time") && j.contains("level") && j["message"].is_string()) << j.dump();
      for (const field& f : it->second) {
        ASSERT_TRUE(j.contains(f.key)) << f.key << " missing in " << j.dump();
        EXPECT_TRUE(f.type == kind::string ? j[f.key].is_string() : j[f.key].is_number_integer())
            << f.key << " in " << j.dump();
      }
    }
  }

  // Specific values the doc promises.
  std::set<int> error_codes;
  for (const json& j : of("error")) error_codes.insert(j["exit_code"].get<int>());
  EXPECT_EQ(error_codes, (std::set<int>{1, 3, 4, 8}));
  EXPECT_EQ(of("database_wait").at(0)["attempt"], 1);
  EXPECT_EQ(of("lock_taken_over").at(0)["previous_holder"], "gone-runner");
  EXPECT_EQ(of("lock_taken_over").at(0)["lock_id"], 4097083626);
  EXPECT_EQ(of("signal_received").at(0)["signal"], "SIGTERM");
  EXPECT_THAT(of("signal_received").at(0)["action"].get<std::string>(),
              ::testing::AnyOf("stop_run", "stop_fleet", "exit", "exit_at_once"));
  EXPECT_EQ(of("run_partial").at(0)["count"], 2);
  EXPECT_EQ(of("repaired").at(0)["state"], "rolled_back");
  EXPECT_EQ(of("shutdown").at(0)["signal"], "SIGTERM");
  EXPECT_EQ(of("contract_deferred").at(0)["version"], 1002);
  EXPECT_THAT(of("contract_deferred").at(0)["waiting_for"].get<std::string>(), HasSubstr("app start"));
  EXPECT_EQ(of("builds_wait").at(0)["wait_ms"], 600);
  EXPECT_EQ(of("builds_wait_timeout").at(0)["deferred"], 1);
  EXPECT_EQ(of("unknown_versions").at(0)["migrations"], "alpha 1004 fourth");
  EXPECT_EQ(of("drift_allowed").at(0)["migrations"], "alpha 1001 first");
  EXPECT_THAT(of("ready").at(0)["search_path"].get<std::string>(), HasSubstr("alpha"));
  for (const json& j : of("database")) EXPECT_THAT(j["source"].get<std::string>(), HasSubstr("--dsn"));
}

// A migration's line says whose time it is: its own, or its request's.
TEST_F(log_events, batched_migrations_say_their_time_is_the_batch_s) {
  write_set(/*fixed=*/true, /*extra=*/true);
  run({"migrate", "up"}, 0);
  const auto applied = of("applied");
  ASSERT_EQ(applied.size(), 4u);
  // 1001 and 1002 travel in one request; 1003 (NO TRANSACTION) alone; 1004 in a batch of one.
  for (int i : {0, 1}) {
    SCOPED_TRACE(applied[i].dump());
    EXPECT_EQ(applied[i]["batch_size"], 2);
    EXPECT_TRUE(applied[i]["batch_duration_us"].is_number_integer());
    EXPECT_FALSE(applied[i].contains("duration_us"));
    EXPECT_THAT(applied[i]["message"].get<std::string>(), HasSubstr("(batch of 2: "));
  }
  EXPECT_EQ(applied[0]["batch_duration_us"], applied[1]["batch_duration_us"]);
  for (int i : {2, 3}) {
    SCOPED_TRACE(applied[i].dump());
    EXPECT_TRUE(applied[i]["duration_us"].is_number_integer());
    EXPECT_FALSE(applied[i].contains("batch_size"));
    EXPECT_THAT(applied[i]["message"].get<std::string>(), ::testing::Not(HasSubstr("batch")));
  }

  // The text log keeps the human line: the message and the migration's scope, no event.
  run_result text = run_app({"migrate", "redo", "--dsn", db.dsn(), "--modules-dir", dir.path().string()});
  EXPECT_EQ(text.code, 0) << text.err;
  EXPECT_THAT(text.err, ::testing::ContainsRegex("info  rolled back alpha 1004 fourth \\([0-9.]+ ms\\) module=alpha "
                                                 "version=1004\n"));
  EXPECT_THAT(text.err, HasSubstr("redid alpha 1004 fourth (rolled back and applied again)"));
  EXPECT_THAT(text.err, ::testing::Not(HasSubstr("event=")));
  EXPECT_THAT(text.err, ::testing::Not(HasSubstr("2 migration(s)")));
}

}  // namespace
