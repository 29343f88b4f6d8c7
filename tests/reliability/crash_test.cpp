// Processes killed by orchestrators: seeded trials that `kill -9` `app migrate
// up` at a random moment of a 500+-migration run (with NO TRANSACTION
// migrations in it), check what the database holds right after the kill, do
// what a human would do, rerun `up`, and compare with a clean run.
//
// After each kill:
//  - the applied versions are a prefix of the plan, each recorded once;
//  - a transactional migration is all there (table, column, row, foreign key,
//    function) exactly when it is recorded: never half-applied;
//  - a NO TRANSACTION migration whose statements started is `dirty` in
//    `status --json`, never recorded as applied unless all of it ran;
//  - `up` refuses a dirty database (exit 4) and names the version;
//  - after the repair and `up`, pg_dump --schema-only and the history equal
//    the clean run's.
// Aimed kills are counted and checked where they landed: a kill while the
// backend sleeps inside a NO TRANSACTION migration leaves exactly that version
// dirty; a kill while it sleeps in a deferred trigger at COMMIT leaves that
// migration recorded and complete (the server finishes the COMMIT).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <thread>

#include "reliability.h"

using namespace reliability;
using namespace std::chrono_literals;
using testing_support::app_process;
using testing_support::test_database;
using ::testing::HasSubstr;

namespace {

struct after_kill {
  std::size_t applied = 0;                  // how many versions were recorded
  std::optional<std::int64_t> dirty;        // the dirty version, if any
  int statements_done = 0, statements_total = 0;
  std::vector<std::string> invalid_indexes;  // "schema.index" left invalid by a killed CREATE INDEX CONCURRENTLY
};

// Checks every invariant that must hold right after a kill; returns what it found.
after_kill inspect(const std::string& dsn, const std::string& secret, const std::string& dir,
                   const generated_set& g) {
  after_kill found;
  auto counts = applied_counts(dsn);
  for (const auto& [version, n] : counts) EXPECT_EQ(n, 1) << "version " << version << " recorded " << n << " times";
  // `up` applies in version order: what is recorded is a prefix of the set.
  found.applied = counts.size();
  for (std::size_t i = 0; i < g.versions.size(); ++i)
    EXPECT_EQ(counts.count(g.versions[i]) == 1, i < found.applied)
        << "version " << g.versions[i] << ": the recorded versions are not a prefix of the plan";

  std::map<std::int64_t, std::vector<std::string>> meta;  // version -> state, done, total
  if (value(dsn, "SELECT to_regclass('goose_db_version_meta') IS NOT NULL") == "t")
    for (const auto& r : rows(dsn, "SELECT version_id, state, statements_done, statements_total FROM goose_db_version_meta"))
      meta[std::stoll(r[0])] = {r[1], r[2], r[3]};

  // Tables of the generated schemas: has the added column, how many rows.
  std::map<std::string, std::pair<bool, std::string>> tables;
  for (const auto& r : rows(dsn,
                            "SELECT n.nspname || '.' || c.relname, EXISTS (SELECT 1 FROM pg_attribute a WHERE "
                            "a.attrelid = c.oid AND a.attname = 'note' AND NOT a.attisdropped), "
                            "(xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', "
                            "n.nspname, c.relname), false, true, '')))[1]::text "
                            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                            "WHERE c.relkind = 'r' AND n.nspname ~ '^g[0-9]+$'"))
    tables[r[0]] = {r[1] == "t", r[2]};
  std::set<std::string> constraints, functions;
  for (const auto& r : rows(dsn, "SELECT conname FROM pg_constraint WHERE contype = 'f' AND conname ~ '^t[0-9]+_prev$'"))
    constraints.insert(r[0]);
  for (const auto& r : rows(dsn, "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                                 "WHERE n.nspname ~ '^g[0-9]+$'"))
    functions.insert(r[0]);
  std::map<std::string, bool> indexes;  // index name -> valid
  for (const auto& r : rows(dsn, "SELECT n.nspname, c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON "
                                 "c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                                 "WHERE n.nspname ~ '^g[0-9]+$' AND c.relname ~ '^i[0-9]+_[ab]$'")) {
    indexes[r[1]] = r[2] == "t";
    if (r[2] != "t") found.invalid_indexes.push_back(r[0] + "." + r[1]);
  }

  for (const auto& [version, table] : g.table_of) {
    const bool recorded = counts.count(version) > 0;
    auto t = tables.find(table);
    EXPECT_EQ(t != tables.end(), recorded) << "transactional migration " << version << " is "
                                           << (recorded ? "recorded without its table" : "not recorded but its table exists");
    if (t != tables.end()) {
      EXPECT_TRUE(t->second.first) << table << " exists without its added column: half-applied";
      EXPECT_EQ(t->second.second, "1") << table << " exists without its row: half-applied";
    }
    const std::string vs = std::to_string(version);
    const std::string fk = "t" + vs + "_prev", fn = "f" + vs;
    if (g.with_foreign_key.count(version)) {
      EXPECT_EQ(constraints.count(fk) > 0, recorded) << fk;
    }
    if (g.with_function.count(version)) {
      EXPECT_EQ(functions.count(fn) > 0, recorded) << fn;
    }
    auto m = meta.find(version);
    EXPECT_EQ(m != meta.end() && m->second[0] == "applied", recorded) << "side-table row of " << version;
  }

  for (const auto& [version, names] : g.indexes_of) {
    const bool recorded = counts.count(version) > 0;
    const bool a = indexes.count(names.first) > 0, b = indexes.count(names.second) > 0;
    auto m = meta.find(version);
    if (recorded) {
      EXPECT_TRUE(a && b && indexes[names.first] && indexes[names.second])
          << "NO TRANSACTION migration " << version << " is recorded as applied but its indexes are not all there";
      EXPECT_TRUE(m != meta.end() && m->second[0] == "applied") << version;
    } else if (a || b || m != meta.end()) {
      // Its statements started: it must be dirty, and say how far it got.
      EXPECT_TRUE(m != meta.end() && m->second[0] == "dirty")
          << "NO TRANSACTION migration " << version << " ran (indexes: " << a << b
          << ") but is not marked dirty";
      if (m != meta.end() && m->second[0] == "dirty") {
        EXPECT_FALSE(found.dirty) << "two dirty versions";
        found.dirty = version;
        found.statements_done = std::stoi(m->second[1]);
        found.statements_total = std::stoi(m->second[2]);
        // What is marked done has run.
        if (found.statements_done >= 1) {
          EXPECT_TRUE(a) << version;
        }
        if (found.statements_done >= 3) {
          EXPECT_TRUE(b) << version;
        }
      }
    }
  }

  // The tool agrees: status --json shows exactly that.
  auto status = migrate(secret, dir, {"status", "--json"});
  EXPECT_EQ(status.code, 0) << status.err;
  if (status.code == 0) {
    auto j = nlohmann::json::parse(status.out);
    std::size_t applied = 0, dirty = 0;
    for (const auto& m : j["migrations"]) {
      const std::int64_t v = m["version"];
      const std::string state = m["state"];
      if (state == "applied") {
        ++applied;
        EXPECT_TRUE(counts.count(v)) << v;
      } else if (state == "dirty") {
        ++dirty;
        EXPECT_EQ(found.dirty, std::optional<std::int64_t>(v));
      } else {
        EXPECT_EQ(state, "pending") << "version " << v;
      }
    }
    EXPECT_EQ(applied, found.applied);
    EXPECT_EQ(dirty, found.dirty ? 1u : 0u);
  }
  return found;
}

// Polls (on one connection) until `there_sql` (a condition on the run's backend)
// turns true: the kill that follows lands there. False when `gone_sql` (a
// condition that means the window has passed) turns true first, or after `limit`.
bool wait_until(const std::string& dsn, const std::string& there_sql, const std::string& gone_sql,
                std::chrono::milliseconds limit) {
  pqxx::connection c(dsn);
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < limit) {
    try {
      pqxx::nontransaction tx(c);
      auto r = tx.exec("SELECT " + there_sql + ", " + gone_sql);
      if (r[0][0].as<bool>()) return true;
      if (r[0][1].as<bool>()) return false;
    } catch (const pqxx::sql_error&) {
      // The history tables do not exist yet.
    }
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

// The run's backend sleeps (wait_event PgSleep) in a statement sent alone that
// `query_pattern` (SQL LIKE) matches.
std::string sleeping_in(const std::string& query_pattern) {
  return "EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
         "AND wait_event = 'PgSleep' AND query LIKE '" + query_pattern + "')";
}

// The run's backend sleeps in the deferred trigger of `version`, at its COMMIT.
// The trigger takes a transaction-level advisory lock first: the request's text
// cannot say which COMMIT runs when several migrations travel in one request.
std::string sleeping_at_commit_of(std::int64_t version) {
  return "EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
         "AND l.classid = " + std::to_string(slow_commit_lock_class) + " AND l.objid = " + std::to_string(version) +
         " AND a.wait_event = 'PgSleep')";
}

TEST(reliability_crash, kill_9_at_random_moments_then_rerun_up) {
  ensure_secret_role(testing_support::admin_dsn());
  // At least 3: one trial of each kind (random moment, aimed at a COMMIT, aimed inside NO TRANSACTION).
  const int trials = count_from_env("RELIABILITY_TRIALS", long_mode() ? 100 : 30, 3);
  generated_options options;
  if (long_mode()) options.modules = 6, options.per_module = 250;
  // Windows wide enough to aim at: the pg_sleep inside each NO TRANSACTION
  // migration, and a deferred trigger that sleeps at COMMIT in every 20th.
  options.no_tx_sleep_s = 0.1;
  options.slow_commit_every = 20;
  options.slow_commit_s = 0.05;
  const unsigned seed = seed_or(20261122);
  std::cout << "crash trials: seed " << seed << " (RELIABILITY_SEED=" << seed << " repeats this run)" << std::endl;
  std::mt19937 random(seed);

  temp_dir modules;
  const auto g = write_generated_set(modules, options);
  const std::string dir = modules.path().string();

  // The clean run: its duration bounds the kill moments.
  test_database clean;
  const auto clean_start = std::chrono::steady_clock::now();
  auto r = migrate(secret_dsn(clean.dsn(), 0), dir, {"up"});
  const double clean_seconds = seconds_since(clean_start);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string expected_schema = schema_dump(clean.dsn());
  const std::string expected_history = history(clean.dsn());

  int finished_before_kill = 0, killed_before_first = 0, killed_mid_run = 0, killed_in_no_transaction = 0;
  int aimed_trials = 0, aimed_missed = 0, aimed_landed = 0;
  int commit_trials = 0, commit_missed = 0, commit_landed = 0;
  int repaired_applied = 0, repaired_rolled_back = 0, resumed_by_up = 0, invalid_dropped = 0, orphans_terminated = 0;
  std::vector<std::size_t> applied_at_kill;
  double t_setup = 0, t_killed_run = 0, t_inspect = 0, t_recover = 0, t_compare = 0;
  const auto all_start = std::chrono::steady_clock::now();
  for (int trial = 0; trial < trials && !HasFatalFailure(); ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial) + " of seed " + std::to_string(seed));
    auto phase = std::chrono::steady_clock::now();
    auto lap = [&phase](double& total) {
      total += seconds_since(phase);
      phase = std::chrono::steady_clock::now();
    };
    test_database db;
    const std::string secret = secret_dsn(db.dsn(), trial);
    lap(t_setup);
    const auto delay = std::chrono::microseconds(static_cast<long>(
        std::uniform_real_distribution<double>(0, clean_seconds * 1.05)(random) * 1e6));

    // Every third trial aims inside a NO TRANSACTION migration picked at random:
    // it waits until that one's backend sleeps in the pg_sleep between its two
    // CREATE INDEX CONCURRENTLY (it is marked dirty by then), then kills. The
    // pg_sleep's column alias names its version: once the target has passed,
    // the next NO TRANSACTION migration's pg_sleep must not pass for it. Every
    // third other trial aims at the COMMIT of a slow-commit migration: it waits
    // until the backend sleeps in that migration's deferred trigger, which runs
    // only at COMMIT, then kills. The rest kill after a random delay.
    const bool aimed = trial % 3 == 2, at_commit = trial % 3 == 1;
    std::vector<std::int64_t> no_tx(g.no_transaction.begin(), g.no_transaction.end());
    std::vector<std::int64_t> slow(g.slow_commit.begin(), g.slow_commit.end());
    const std::int64_t target = no_tx[std::uniform_int_distribution<std::size_t>(0, no_tx.size() - 1)(random)];
    const std::int64_t commit_target = slow[std::uniform_int_distribution<std::size_t>(0, slow.size() - 1)(random)];
    const std::string applied_sql = [](std::int64_t v) {
      return "EXISTS (SELECT 1 FROM goose_db_version WHERE version_id = " + std::to_string(v) + ")";
    }(aimed ? target : commit_target);
    bool in_window = false;

    app_process p({"migrate", "up", "--dsn", secret, "--modules-dir", dir});
    if (aimed) {
      ++aimed_trials;
      // One wait on one connection: the pause runs only after the version is
      // marked dirty and its first statement ran, and a second wait (with its
      // own connection to open) could let the window pass on a loaded machine.
      in_window = wait_until(db.dsn(), sleeping_in("%SELECT pg_sleep(%) AS v" + std::to_string(target) + "_paused%"),
                             applied_sql, 120s);
      if (!in_window) ++aimed_missed;
    } else if (at_commit) {
      ++commit_trials;
      in_window = wait_until(db.dsn(), sleeping_at_commit_of(commit_target), applied_sql, 120s);
      if (!in_window) ++commit_missed;
    } else {
      std::this_thread::sleep_for(delay);
    }
    p.signal(SIGKILL);
    auto killed = p.wait();
    scan(killed, "killed app migrate up");
    if (killed.code == 0) {
      ++finished_before_kill;
    } else {
      EXPECT_EQ(killed.code, 128 + SIGKILL) << killed.err;
    }

    // The killed client's backend finishes its current statement, then sees the
    // socket closed (and rolls back an open transaction).
    if (!wait_for_orphans(db.dsn(), 60s)) ++orphans_terminated;
    lap(t_killed_run);
    auto found = inspect(db.dsn(), secret, dir, g);
    applied_at_kill.push_back(found.applied);
    // Where the aimed kills landed.
    if (aimed && in_window) {
      EXPECT_EQ(found.dirty, std::optional<std::int64_t>(target))
          << "killed inside NO TRANSACTION migration " << target << " but it is not the dirty one";
      if (found.dirty == std::optional<std::int64_t>(target)) ++aimed_landed;
    }
    if (at_commit && in_window) {
      // The server finishes a COMMIT it is executing when its client dies: recorded, all there.
      EXPECT_EQ(applied_counts(db.dsn()).count(commit_target), 1u)
          << "killed at the COMMIT of " << commit_target << " but it is not recorded";
      EXPECT_FALSE(found.dirty) << "killed at a transactional COMMIT but a version is dirty";
      if (applied_counts(db.dsn()).count(commit_target) == 1) ++commit_landed;
    }
    if (killed.code != 0) {
      if (found.dirty) ++killed_in_no_transaction;
      else if (found.applied == 0) ++killed_before_first;
      else ++killed_mid_run;
    }

    lap(t_inspect);
    if (found.dirty) {
      auto repaired = repair_like_a_human(db.dsn(), secret, dir);
      EXPECT_EQ(repaired.dirty, found.dirty);
      if (repaired.resumed_by_up) {
        ++resumed_by_up;
      } else if (repaired.marked_applied) {
        ++repaired_applied;
      } else {
        ++repaired_rolled_back;
      }
      invalid_dropped += repaired.invalid_indexes_dropped;
    } else {
      EXPECT_TRUE(found.invalid_indexes.empty()) << "an invalid index without a dirty version";
    }

    auto rerun = migrate(secret, dir, {"up"});
    ASSERT_EQ(rerun.code, 0) << rerun.err;
    lap(t_recover);
    EXPECT_EQ(first_difference(expected_history, history(db.dsn())), "") << "history vs the clean run";
    EXPECT_EQ(first_difference(expected_schema, schema_dump(db.dsn())), "") << "schema (pg_dump) vs the clean run";
    EXPECT_EQ(value(db.dsn(), "SELECT count(*) FROM pg_index WHERE NOT indisvalid"), "0");
    lap(t_compare);
  }

  // Every trial ran (a fatal failure ends the loop early), each kind at least once.
  EXPECT_EQ(applied_at_kill.size(), static_cast<std::size_t>(trials));
  EXPECT_GE(aimed_trials, 1);
  EXPECT_GE(commit_trials, 1);
  // The aimed kills landed where they aimed, nearly all of them in their window
  // (a miss: the machine was too slow to see the window, 100 ms inside NO
  // TRANSACTION and 50 ms at COMMIT, in time).
  EXPECT_EQ(aimed_landed, aimed_trials - aimed_missed);
  EXPECT_EQ(commit_landed, commit_trials - commit_missed);
  EXPECT_GE(aimed_landed, aimed_trials * 2 / 3) << aimed_missed << " of " << aimed_trials << " missed their window";
  EXPECT_GE(commit_landed, commit_trials * 2 / 3) << commit_missed << " of " << commit_trials << " missed their window";

  std::sort(applied_at_kill.begin(), applied_at_kill.end());
  auto at = [&](double q) {
    return applied_at_kill.empty() ? std::string("0")
                                   : std::to_string(applied_at_kill[static_cast<std::size_t>(q * (applied_at_kill.size() - 1))]);
  };
  report("crash", {{"trials", std::to_string(applied_at_kill.size())},
                   {"seed", std::to_string(seed)},
                   {"migrations", std::to_string(g.size())},
                   {"no_transaction_migrations", std::to_string(g.no_transaction.size())},
                   {"aimed_at_no_transaction", std::to_string(aimed_trials)},
                   {"aimed_missed", std::to_string(aimed_missed)},
                   {"aimed_landed_in_no_transaction", std::to_string(aimed_landed)},
                   {"slow_commit_migrations", std::to_string(g.slow_commit.size())},
                   {"aimed_at_commit", std::to_string(commit_trials)},
                   {"aimed_at_commit_missed", std::to_string(commit_missed)},
                   {"aimed_landed_at_commit", std::to_string(commit_landed)},
                   {"killed_before_first_migration", std::to_string(killed_before_first)},
                   {"killed_between_or_inside_transactional", std::to_string(killed_mid_run)},
                   {"killed_inside_no_transaction_dirty", std::to_string(killed_in_no_transaction)},
                   {"finished_before_kill", std::to_string(finished_before_kill)},
                   {"repaired_mark_applied", std::to_string(repaired_applied)},
                   {"repaired_mark_rolled_back", std::to_string(repaired_rolled_back)},
                   {"resumed_by_up", std::to_string(resumed_by_up)},
                   {"invalid_indexes_dropped", std::to_string(invalid_dropped)},
                   {"orphan_backends_terminated", std::to_string(orphans_terminated)},
                   {"applied_at_kill_min", at(0)},
                   {"applied_at_kill_median", at(0.5)},
                   {"applied_at_kill_max", at(1)},
                   {"clean_run_s", std::to_string(clean_seconds)},
                   {"all_trials_s", std::to_string(seconds_since(all_start))},
                   {"setup_s", std::to_string(t_setup)},
                   {"killed_runs_s", std::to_string(t_killed_run)},
                   {"inspect_s", std::to_string(t_inspect)},
                   {"recover_s", std::to_string(t_recover)},
                   {"compare_s", std::to_string(t_compare)}});
}

}  // namespace
