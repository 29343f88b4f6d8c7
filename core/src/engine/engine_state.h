// The private state of an engine (engine.h's `struct impl`), shared by the
// files of core/src/engine that each hold one concern: the run loop
// (engine.cpp), SQL steps (step_executors.cpp), code-migration steps
// (code_steps.cpp), request groups (request_groups.cpp) and repair (repair.cpp).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/remedies.h"
#include "format/concurrent_index.h"
#include "migrator/engine.h"
#include "plan/plan_parsing.h"

namespace migrator {

// The commands that apply migrations: contracts wait, callbacks run, --single-transaction applies.
inline bool applies_migrations(command_kind kind) {
  return kind == command_kind::up || kind == command_kind::up_by_one || kind == command_kind::up_to;
}

namespace detail {

// Thrown inside a step stopped by engine::interrupt(); run() adds what was and
// was not applied.
struct step_interrupted {
  std::string what_happened;  // to the step in flight
  error_details details;
};

// The statements of a step, in its direction.
inline const std::vector<statement>& statements_of(const plan_step& step) {
  return step.dir == direction::up ? step.file->body().up : step.file->body().down;
}

// Makes the engine cancellable again when a step that must not be cancelled
// (NO TRANSACTION) ends, however it ends.
struct cancellable_again {
  std::atomic<bool>& flag;
  ~cancellable_again() { flag.store(true); }
};

// `statements` as one simple-protocol query text (statement_end after each).
std::string as_one_query(const std::vector<statement>& statements);
// One transaction of a request: `opening` (BEGIN and what the store adds),
// `statements`, `record` (the history rows) and COMMIT, appended to `sql`.
// A request is built by appending into one string reserved for the whole of it
// (transaction_size): a migration of megabytes copied once, not once more at
// every concatenation.
// Returns where `record` begins in `sql`.
std::size_t append_transaction(std::string& sql, std::string_view opening, const std::vector<statement>& statements,
                               std::string_view record);
// The bytes `append_transaction` adds.
std::size_t transaction_size(std::string_view opening, const std::vector<statement>& statements,
                             std::string_view record);

// What a step that took `duration` reports.
step_result result_of(const plan_step& step, std::chrono::microseconds duration);

// Every database failure outside a migration step (reading history, the lock,
// repair) becomes a database error here, with what the engine was doing.
template <typename F>
auto translated(const char* doing, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const database_error& e) {
    throw error(error_code::database, database_failure_while(doing, e), e.details());
  }
}

}  // namespace detail

struct engine::impl {
  impl(session& db, history_store& history, migration_lock& lock, const module_set& set, engine_options options,
       backend_capabilities capabilities)
      : db(db),
        history(history),
        lock(lock),
        set(set),
        options(std::move(options)),
        standby(capabilities.read_only),
        pooled(capabilities.pooled),
        transaction_settings(std::move(capabilities.transaction_settings)),
        timeouts_in_transactions_only(capabilities.timeouts_in_transactions_only),
        history_table(capabilities.history_table.empty() ? this->options.table : capabilities.history_table),
        server_version(capabilities.server_version) {}

  // Set when the engine owns the seams (open_backend's).
  std::unique_ptr<session> owned_session;
  std::unique_ptr<history_store> owned_history;
  std::unique_ptr<migration_lock> owned_lock;

  session& db;
  history_store& history;
  migration_lock& lock;
  const module_set& set;
  engine_options options;
  // The set's file of `version`, or nullptr: a binary search of set.migrations
  // (sorted by version, the assembler's contract). No index is built per engine:
  // a fleet runs one engine per target on one shared set.
  const migration* file_of(std::int64_t version) const {
    const auto it = std::lower_bound(set.migrations.begin(), set.migrations.end(), version,
                                     [](const migration& m, std::int64_t v) { return m.version < v; });
    return it != set.migrations.end() && it->version == version ? &*it : nullptr;
  }

  // From backend_capabilities: found out when the database was opened.
  bool standby = false;
  // Through a transaction pooler: settings go in each transaction (SET LOCAL),
  // never on the session, where they would reach other clients of the pool.
  bool pooled = false;
  std::string transaction_settings;  // "SET LOCAL ...;" after each BEGIN, or empty
  bool timeouts_in_transactions_only = false;
  std::string history_table;         // as the history store names it (backend_capabilities)
  int server_version = 0;            // PostgreSQL's server_version_num; 0 when not PostgreSQL

  // engine::interrupt(): set from another thread or a signal handler.
  std::atomic<bool> interrupted{false};
  // false while a NO TRANSACTION statement runs: it is not cancelled but let finish.
  std::atomic<bool> cancellable{true};
  bool warned_no_transaction_settings = false;

  // Before anything that writes: an engine opened to read, or on a standby, refuses.
  void refuse_writes() const {
    if (options.reads_only) throw error(error_code::usage, detail::reads_only_refusal());
    if (standby) throw error(error_code::read_only, detail::standby_refusal());
  }
  std::string begin() const { return "BEGIN;\n" + transaction_settings; }
  // The history tables being made beside the first migration
  // (history_store::tables_to_make_aside), until waited for.
  std::unique_ptr<tables_in_making> tables_aside;
  // Waits for them when they are being made. Throws error (database) when
  // they could not be made.
  void tables_ready();
  // Sends `sql`, transactions built by append_transaction whose first one's
  // history rows begin at `rows_at`. While the tables are being made, in two
  // requests: up to the rows, then, once the tables are ready, the rest. A
  // failure to make them rolls the first transaction back.
  void exec_around_tables(std::string& sql, std::size_t rows_at);
  // The side rows' digests (history_store::refresh_digests), written holding
  // the lock. A failure is logged, never thrown: the history is whole either way.
  void write_digests() noexcept;

  // The run loop's guards (engine.cpp).
  // `include_dirty` false: a dirty version is not refused here. Only for the look
  // before the lock: there, dirty may be another runner's NO TRANSACTION
  // migration in progress, which the lock holder clears when it finishes.
  void check_guards(const status_report& status, bool include_dirty = true) const;
  void check_stamp(const status_report& status, std::int64_t through) const;
  // Refuses a plan that applies a migration of a module whose requires_postgres
  // is newer than the server.
  void check_server_version(const std::vector<plan_step>& steps) const;
  // `parse` false: the steps' files are not parsed yet (the look before the lock,
  // when the tables ensure() creates can still be rolled back).
  std::vector<plan_step> plan_from(const history_snapshot& snap, const plan_request& request, bool parse = true) const {
    auto steps = make_plan(set.migrations, snap.for_planner(), request);
    check_server_version(steps);
    if (parse) detail::parse_plan(steps);  // files are parsed on first use: a malformed one stops the plan here
    return steps;
  }

  // Contract migrations (engine.cpp): for up, up-by-one and up-to, the steps
  // that may run now; the ones that wait for live builds go to `deferred`.
  // Reads the registry only when the plan holds a contract migration.
  std::vector<plan_step> without_deferred(std::vector<plan_step> steps, command_kind kind,
                                          std::vector<deferred_migration>& deferred);
  void fill_deferred(status_report& status);
  // Polls the registry until nothing is deferred (true) or options.wait_for_builds
  // is up (false; report.deferred then says what still waits).
  bool wait_for_builds(const plan_request& request, run_report& report);

  // Repeatable migrations and callbacks (side_steps.cpp). The run's steps with
  // them in place: for up, the repeatables due after the versioned steps; for
  // reset and down-to 0, the recorded repeatables' Down first; and when the run
  // applies something (up, up-by-one, up-to), before_migrate first,
  // after_each_migration after each step of its module, after_migrate last.
  std::vector<plan_step> with_side_steps(std::vector<plan_step> steps, const history_snapshot& snap,
                                         const plan_request& request) const;
  const migration* callback_of(const std::string& module, const std::string& event) const;
  void add_callbacks(std::vector<plan_step>& steps, const std::string& event) const;
  // after_migrate_error of every module, after a failed run; their own failures are logged.
  void run_error_callbacks(run_report& done) noexcept;

  // --single-transaction (single_transaction.cpp): refuses a plan with a step that
  // commits on its own; runs the steps and their history rows in one transaction.
  void refuse_outside_one_transaction(const std::vector<plan_step>& steps) const;
  void execute_as_one_transaction(const std::vector<plan_step>& steps, run_report& done, run_observer* observer,
                                  const std::function<void(const plan_step&)>& committed_step);

  // One step alone (step_executors.cpp).
  step_result execute(const plan_step& step, run_report& done);
  void execute_in_transaction(const migration& m, const std::vector<statement>& statements, direction dir,
                              run_report& done);
  void execute_without_transaction(const migration& m, const std::vector<statement>& statements,
                                   direction dir, run_report& done);
  [[noreturn]] void fail_with_statement(const migration& m, const std::vector<statement>& statements,
                                        direction dir, const database_error& original, run_report& done);
  void record_without_running(const migration& m, run_report& done);
  // The history rows of a step, inside the transaction already open on `db`.
  // A baseline's Down removes the schema its replaced versions built: it forgets them too.
  void record(const migration& m, int statements, direction dir);
  // The same as SQL, when the store offers it; nullopt otherwise.
  std::optional<std::string> record_sql(const migration& m, int statements, direction dir);
  void record_after_no_transaction(const migration& m, int total, direction dir, run_report& done);

  // Lock-timeout retries (lock_retry.cpp): one step's tries so far.
  struct lock_retry {
    int retried = 0;
    std::optional<std::chrono::steady_clock::time_point> first_failure;
  };
  enum class retry_decision { fail, retry, interrupted };
  // `f` ended an attempt of `m` that started at `attempt_started`: when it is a
  // lock timeout (55P03) on PostgreSQL with --db-lock-timeout and retries left,
  // logs the sessions that held locks, waits the backoff (stopped by
  // engine::interrupt) and says retry. The caller has rolled back.
  retry_decision retry_after_lock_timeout(const migration& m, const database_error& f, lock_retry& state,
                                          std::chrono::steady_clock::time_point attempt_started);
  std::mt19937_64 retry_random{std::random_device{}()};
  void execute_in_transaction_retrying(const migration& m, const std::vector<statement>& statements, direction dir,
                                       run_report& done, lock_retry& retry);

  // Failed concurrent index builds (invalid_index.cpp).
  // Whether a failed `s` can be cleaned up by name (CREATE INDEX with a name, REINDEX INDEX or TABLE).
  static bool cleanable(const parsing::concurrent_index_statement& s);
  // Drops (DROP INDEX CONCURRENTLY) the indexes a failed `s` left that the server
  // says are invalid, of exactly the expected names; logs each. Throws database_error.
  void drop_invalid_leftovers(const migration& m, int index, const parsing::concurrent_index_statement& s);
  // Dirty versions that up resumes instead of refusing, to the statement they
  // resume at: a NO TRANSACTION migration of the set, unchanged since it was
  // marked, whose statements before a cleanable concurrent index build all ran.
  // Set under the lock (and by plan()) before check_guards, which lets them pass.
  std::map<std::int64_t, int> resume_at;
  std::map<std::int64_t, int> resumable_dirty(const history_snapshot& snap, const status_report& status) const;

  // Code migrations (code_steps.cpp).
  void execute_code(const migration& m, direction dir, run_report& done);
  void execute_code_in_transaction(const migration& m, direction dir, run_report& done);
  void execute_code_without_transaction(const migration& m, direction dir, run_report& done);
  // Where no-transaction code migrations keep their resumable positions.
  std::string progress_table() const { return progress_table_of(history_table); }

  // Request groups (request_groups.cpp).
  // Consecutive plain transactional SQL steps from `first` whose history rows the
  // store offers as SQL (up to a size bound): they can travel in one request.
  std::size_t group_end(const std::vector<plan_step>& steps, std::size_t first);
  // Steps [first, last) as one request: BEGIN; statements; history rows; COMMIT
  // for each. Each migration still commits alone; the server stops at the first
  // error, so after one the history says which committed, and the failing one is
  // then diagnosed and reported like a single step. `next` follows the steps that
  // are done, so an interrupted run lists what did not start.
  void execute_group(const std::vector<plan_step>& steps, std::size_t first, std::size_t last, run_report& done,
                     std::size_t& next, run_observer* observer,
                     const std::function<void(const plan_step&)>& committed_step);
};

}  // namespace migrator
