// Many replicas racing: 16 processes of `app migrate up` (and of `app start
// --once`) started at once on an empty database, with the example modules and
// with a generated set of 500+ migrations. Every process exits 0, every version
// is recorded exactly once, and the schema is the one a single process makes.
// The race is asserted, not assumed: while the processes start, a session of the
// test holds (uncommitted) the schemas the set creates, so whichever process takes
// the migration lock first stalls in its first migration with the lock held; the
// test waits until some other process logs that it waits for that lock, then lets
// go. Each migration is then applied (by the logs of all sixteen) by exactly one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <pqxx/pqxx>
#include <regex>
#include <thread>

#include "reliability.h"

using namespace reliability;
using namespace std::chrono_literals;
using testing_support::app_process;
using testing_support::test_database;

namespace {

// (module, version) -> how many "applied <module> <version> ..." lines `err` holds.
void count_applied(const std::string& err, std::map<std::pair<std::string, std::int64_t>, int>& counts) {
  static const std::regex line(R"(applied +([A-Za-z0-9_]+) ([0-9]+) )");
  for (std::sregex_iterator it(err.begin(), err.end(), line), end; it != end; ++it)
    ++counts[{(*it)[1].str(), std::stoll((*it)[2].str())}];
}

// "" when the counts are the expected ones; otherwise the first few differences (the maps are long).
std::string applied_mismatches(const std::map<std::pair<std::string, std::int64_t>, int>& seen,
                               const std::map<std::pair<std::string, std::int64_t>, int>& expected) {
  std::string out;
  int shown = 0;
  auto note = [&](const std::pair<std::string, std::int64_t>& key, int got, int want) {
    if (shown++ < 10) out += "\n  " + key.first + " " + std::to_string(key.second) + ": applied " +
                            std::to_string(got) + " time(s), expected " + std::to_string(want);
  };
  for (const auto& [key, want] : expected) {
    auto it = seen.find(key);
    const int got = it == seen.end() ? 0 : it->second;
    if (got != want) note(key, got, want);
  }
  for (const auto& [key, got] : seen)
    if (!expected.count(key)) note(key, got, 0);
  if (shown > 10) out += "\n  ... " + std::to_string(shown - 10) + " more";
  return out;
}

struct race_setup {
  std::string name;
  bool start_command;   // `app start --once` instead of `app migrate up`
  bool generated;       // the generated 500+ set instead of the example modules
  bool embedded;        // no --modules-dir: the set compiled into the binary
};


std::vector<std::string> command_for(const race_setup& s, const std::string& dsn, const std::string& dir) {
  std::vector<std::string> args = s.start_command ? std::vector<std::string>{"start", "--once"}
                                                  : std::vector<std::string>{"migrate", "up"};
  args.insert(args.end(), {"--dsn", dsn});
  if (!s.embedded) args.insert(args.end(), {"--modules-dir", dir});
  return args;
}

void race(const race_setup& setup) {
  ensure_secret_role(testing_support::admin_dsn());
  const int processes = long_mode() ? 32 : 16;
  const int rounds = long_mode() ? 3 : 1;
  temp_dir generated_dir;
  std::string dir = example_modules_dir();
  std::size_t migrations = 0;
  if (setup.generated) {
    auto g = write_generated_set(generated_dir, {});
    migrations = g.size();
    dir = generated_dir.path().string();
  }

  // The reference: one process alone.
  test_database reference;
  const auto single_start = std::chrono::steady_clock::now();
  auto single = cli(command_for(setup, secret_dsn(reference.dsn(), 0), dir));
  const double single_seconds = seconds_since(single_start);
  ASSERT_EQ(single.code, 0) << single.err;
  const std::string expected_schema = schema_dump(reference.dsn());
  const std::string expected_history = history(reference.dsn());
  const auto expected_versions = applied_counts(reference.dsn());
  if (!setup.generated) migrations = expected_versions.size();
  ASSERT_GT(expected_versions.size(), 0u);
  const std::string first_module = value(reference.dsn(), "SELECT module FROM goose_db_version_meta WHERE version_id = " +
                                                              std::to_string(expected_versions.begin()->first));
  std::map<std::pair<std::string, std::int64_t>, int> expected_applied;  // every migration, once
  for (const auto& row : rows(reference.dsn(), "SELECT module, version_id FROM goose_db_version_meta"))
    expected_applied[{row[0], std::stoll(row[1])}] = 1;
  ASSERT_EQ(expected_applied.size(), expected_versions.size());
  const auto schemas = rows(reference.dsn(), "SELECT nspname FROM pg_namespace WHERE nspname NOT IN "
                                             "('public', 'information_schema') AND nspname !~ '^pg_'");
  ASSERT_FALSE(schemas.empty()) << "the set creates no schema: nothing to hold the first runner on";

  double worst_seconds = 0;
  int appliers_total = 0, waited_total = 0;
  for (int round = 0; round < rounds; ++round) {
    test_database db;
    // The gate: CREATE SCHEMA of a name this open transaction created waits until it ends.
    pqxx::connection gate(db.dsn());
    auto gate_tx = std::make_unique<pqxx::work>(gate);
    for (const auto& schema : schemas) gate_tx->exec("CREATE SCHEMA " + gate.quote_name(schema[0]));
    std::vector<std::unique_ptr<app_process>> running;
    const auto start = std::chrono::steady_clock::now();
    // Both DSN forms race: half keyword, half URI.
    for (int i = 0; i < processes; ++i)
      running.push_back(std::make_unique<app_process>(command_for(setup, secret_dsn(db.dsn(), i), dir)));
    // Until one of them says it waits for the lock (a generous bound: only a hang reaches it).
    const auto waits = [&] {
      for (const auto& p : running)
        if (p->err_so_far().find("waiting for the migration lock") != std::string::npos) return true;
      return false;
    };
    const auto give_up = std::chrono::steady_clock::now() + 120s;
    while (!waits() && std::chrono::steady_clock::now() < give_up) std::this_thread::sleep_for(20ms);
    EXPECT_TRUE(waits()) << "no process waited for the migration lock while the first was held in its migration";
    gate_tx->abort();
    gate_tx.reset();
    int appliers = 0, waited = 0;  // waited: logged that it waits for the lock
    std::map<std::pair<std::string, std::int64_t>, int> applied;  // over the logs of every process
    for (int i = 0; i < processes; ++i) {
      auto r = wait_at_most(*running[i], 300s);
      scan(r, setup.name + " process " + std::to_string(i));
      EXPECT_EQ(r.code, 0) << "process " << i << " of " << processes << ":\n" << r.err;
      // The first migration is applied by exactly one of them.
      if (logged_applied(r.err, first_module, expected_versions.begin()->first)) ++appliers;
      count_applied(r.err, applied);
      if (r.err.find("waiting for the migration lock") != std::string::npos ||
          r.err.find("holds the migration lock") != std::string::npos)
        ++waited;
    }
    worst_seconds = std::max(worst_seconds, seconds_since(start));
    EXPECT_EQ(appliers, 1) << "processes whose log says they applied the first migration";
    // They contended: the final logs agree with what was seen while the gate was shut.
    EXPECT_GE(waited, 1) << "no process logged a wait for the migration lock: the runners never contended";
    // Each migration applied by exactly one process: no log line twice, none missing, nothing else.
    EXPECT_EQ(applied_mismatches(applied, expected_applied), "")
        << "\"applied <module> <version>\" lines over all " << processes << " processes vs one per migration";
    appliers_total += appliers;
    waited_total += waited;

    // Every version exactly once, nothing else.
    auto counts = applied_counts(db.dsn());
    EXPECT_EQ(counts.size(), expected_versions.size());
    for (const auto& [version, n] : counts) {
      EXPECT_EQ(n, 1) << "version " << version << " recorded " << n << " times";
      EXPECT_TRUE(expected_versions.count(version)) << "unexpected version " << version;
    }
    EXPECT_EQ(value(db.dsn(), "SELECT count(*) FROM goose_db_version WHERE version_id = 0"), "1");
    EXPECT_EQ(first_difference(expected_history, history(db.dsn())), "") << "history";
    EXPECT_EQ(first_difference(expected_schema, schema_dump(db.dsn())), "") << "schema (pg_dump) vs one process";
    EXPECT_EQ(value(db.dsn(), "SELECT count(*) FROM pg_index WHERE NOT indisvalid"), "0");
    // Whoever applied, migrations were applied by one runner at a time: the ids follow the versions.
    EXPECT_EQ(value(db.dsn(), "SELECT count(*) FROM (SELECT version_id, lag(version_id) OVER (ORDER BY id) AS "
                              "before FROM goose_db_version) x WHERE before > version_id"),
              "0");
  }

  report("concurrency", {{"case", setup.name},
                         {"processes", std::to_string(processes)},
                         {"rounds", std::to_string(rounds)},
                         {"migrations", std::to_string(migrations)},
                         {"processes_that_applied", std::to_string(appliers_total)},
                         {"processes_that_waited", std::to_string(waited_total)},
                         {"single_s", std::to_string(single_seconds)},
                         {"race_s", std::to_string(worst_seconds)}});
}

TEST(reliability_concurrency, sixteen_migrate_up_on_the_example_modules) {
  race({"migrate_up_example_modules", false, false, false});
}

TEST(reliability_concurrency, sixteen_start_once_on_the_embedded_example_modules) {
  race({"start_once_example_modules_embedded", true, false, true});
}

TEST(reliability_concurrency, sixteen_migrate_up_on_a_generated_set_of_520) {
  race({"migrate_up_generated_set", false, true, false});
}

TEST(reliability_concurrency, sixteen_start_once_on_a_generated_set_of_520) {
  race({"start_once_generated_set", true, true, false});
}

}  // namespace
