// Shared by the reliability suite (tests/reliability/*_test.cpp): the tool is
// attacked as a user would run it (the built binary, a DSN that carries a
// password), and the database is judged by what PostgreSQL itself reports
// (pg_dump, the catalogs, the history tables).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "test_support.h"

namespace reliability {

using testing_support::run_result;
using testing_support::temp_dir;

// The password every CLI invocation of the suite carries in its DSN; it must
// never show in anything the tool prints.
inline constexpr const char* secret = "S3cr3t-p@ss";
inline constexpr const char* secret_role = "reliability_owner";

// RELIABILITY_LONG=1: the long variants (more trials, bigger sets, more rounds).
bool long_mode();
// RELIABILITY_SEED=N overrides a test's fixed seed (printed either way).
unsigned seed_or(unsigned fixed);
// A count from the environment (RELIABILITY_TRIALS=N), `fallback` when unset.
// Throws std::invalid_argument (the test fails, naming the variable) when it is
// set but not a whole number of at least `minimum`: a loop that runs zero
// times would prove nothing and pass.
int count_from_env(const char* name, int fallback, int minimum = 1);

// ---- DSNs -------------------------------------------------------------------

// The parts of a keyword DSN ("host=... port=... user=... dbname=...").
std::string dsn_field(const std::string& dsn, const std::string& key);
// Creates (once per server) a superuser role that has a password. The servers
// use trust authentication, so the password is not checked, but it flows
// through every DSN the tool parses, logs and reports.
void ensure_secret_role(const std::string& admin_dsn);
// The same database over TCP (127.0.0.1) as `secret_role` with the password:
// form 0 = keyword ("host=127.0.0.1 port=P user=U password=S dbname=D"),
// form 1 = URI ("postgresql://U:S3cr3t-p%40ss@127.0.0.1:P/D").
std::string secret_dsn(const std::string& plain_dsn, int form);

// ---- the CLI ----------------------------------------------------------------

struct cli_stats {
  std::size_t invocations = 0;
  std::size_t with_password = 0;  // of them, those given the password (in an argument or the environment)
  std::size_t bytes = 0;  // stdout + stderr scanned
};
// Every output of the tool goes through this: the password (raw or
// percent-encoded) and sanitizer reports must not appear. Adds a gtest failure.
// Runs given the password (in r.invocation: an argument or the environment) are
// counted apart: a scan of a run that never had it proves nothing about leaking it.
void scan(const run_result& r, const std::string& what);
// What scan() looks for: the needle found, or "".
std::string leaked_secret(const std::string& text);
std::string sanitizer_report(const std::string& text);
const cli_stats& scanned();

// `app ARGS...` as a child process, its output scanned.
run_result cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});
// `app migrate VERB ARGS... --dsn DSN --modules-dir DIR`, scanned.
run_result migrate(const std::string& dsn, const std::string& modules_dir, const std::vector<std::string>& args);
// The same as the unprivileged user `nobody` when this process is root (so
// that file permissions apply); as ourselves otherwise.
run_result cli_unprivileged(const std::vector<std::string>& args);

// Whether the tool's log says it applied `version` of `module` ("applied <module> <version> ...",
// however the log pads it).
bool logged_applied(const std::string& err, const std::string& module, std::int64_t version);
// Polls a running app's stderr for that line.
bool wait_for_applied(const testing_support::app_process& p, const std::string& module, std::int64_t version,
                      std::chrono::milliseconds limit);

// Waits for a child (testing_support::app_process) at most `limit`; kills it
// and returns code -1 when it did not exit in time.
run_result wait_at_most(testing_support::app_process& p, std::chrono::milliseconds limit);

// ---- the database -------------------------------------------------------------

// Rows of a query, every column as text ("" for NULL).
std::vector<std::vector<std::string>> rows(const std::string& dsn, const std::string& sql);
std::string value(const std::string& dsn, const std::string& sql);
void exec(const std::string& dsn, const std::string& sql);
// `pg_dump --schema-only --no-owner --no-privileges`, as text.
std::string schema_dump(const std::string& dsn);
// "" when equal; otherwise the first differing line with some context (dumps
// are long: gtest's full diff of them is unreadable).
std::string first_difference(const std::string& expected, const std::string& actual);
// Both history tables without ids, timestamps, durations or hosts: one line
// per row, ordered by version. "" when there is no history table.
std::string history(const std::string& dsn);
// version -> times recorded as applied in goose_db_version.
std::map<std::int64_t, int> applied_counts(const std::string& dsn);
// Waits until no other client backend is connected to the database (a killed
// client's backend finishes its statement first); terminates them after `limit`.
// Returns whether they left on their own.
bool wait_for_orphans(const std::string& dsn, std::chrono::milliseconds limit);
// Creates a database on the server of `admin_dsn`; returns its (socket) DSN.
std::string create_database(const std::string& admin_dsn, const std::string& name);

// ---- a generated module set -------------------------------------------------

// The first key of the transaction-level advisory lock a slow-COMMIT trigger takes
// (the second is its version), so a test can see which COMMIT sleeps.
constexpr int slow_commit_lock_class = 4242;

struct generated_options {
  int modules = 4;
  int per_module = 130;       // migrations per module (versions p*1000+1 ..)
  int no_transaction_every = 16;  // every Nth migration of a module is NO TRANSACTION (CREATE INDEX CONCURRENTLY)
  double sleep_s = 0;         // a pg_sleep in every transactional migration (to widen windows)
  double no_tx_sleep_s = 0.02;  // between the two CREATE INDEX CONCURRENTLY of a NO TRANSACTION migration
  int slow_commit_every = 0;    // every Nth migration of a module (if transactional) sleeps at COMMIT (0 = none)
  double slow_commit_s = 0.05;  // how long: a deferred constraint trigger's pg_sleep, which runs only at COMMIT
};

struct generated_set {
  std::vector<std::int64_t> versions;                  // ascending
  std::set<std::int64_t> no_transaction;               // versions that are NO TRANSACTION
  std::map<std::int64_t, std::string> table_of;        // transactional version -> "schema.table" it creates
  std::map<std::int64_t, std::pair<std::string, std::string>> indexes_of;  // NO TRANSACTION -> its two indexes
  std::map<std::int64_t, std::string> schema_of;       // version -> schema of its objects
  std::set<std::int64_t> with_foreign_key;             // also adds constraint t<version>_prev
  std::set<std::int64_t> with_function;                // also creates function f<version>()
  std::set<std::int64_t> slow_commit;                  // sleeps at COMMIT (trigger c<version>, function c<version>())
  std::size_t size() const { return versions.size(); }
};

// Writes modules.yaml and the migrations into `dir`. Each transactional
// migration creates one table in three statements (CREATE, ALTER ADD COLUMN,
// INSERT), some add a foreign key to the one before or a plpgsql function; each
// NO TRANSACTION one creates two indexes CONCURRENTLY IF NOT EXISTS on the table
// before it, with a pg_sleep between them (`SELECT pg_sleep(s) AS v<version>_paused`).
generated_set write_generated_set(const temp_dir& dir, const generated_options& options);

// What a human does after a crash or a restart left a version dirty (read from
// `status --json`): `up` must refuse (exit 4) naming it; if all its statements
// ran, `repair V --mark-applied`; otherwise drop the indexes a killed CREATE
// INDEX CONCURRENTLY left invalid and `repair V --mark-rolled-back` (the
// generated NO TRANSACTION statements are IF NOT EXISTS, so `up` redoes them).
// `plain` is for SQL, `secret` for the CLI. Adds gtest failures.
struct repair_done {
  std::optional<std::int64_t> dirty;
  // The first `up` resumed the version itself: it was dirty at a concurrent
  // index build whose earlier statements all ran (docs/configuration.md#lock-retries).
  bool resumed_by_up = false;
  bool marked_applied = false;
  int invalid_indexes_dropped = 0;
};
repair_done repair_like_a_human(const std::string& plain, const std::string& secret, const std::string& dir);

// The example modules of the repository (modules/).
std::string example_modules_dir();

// ---- figures ------------------------------------------------------------------

// Prints "RELIABILITY <topic> k=v ..." and appends the line to the file named by
// RELIABILITY_FIGURES (scripts/reliability collects them into docs/reliability.md).
void report(const std::string& topic, const std::vector<std::pair<std::string, std::string>>& figures);

double seconds_since(std::chrono::steady_clock::time_point start);

}  // namespace reliability
