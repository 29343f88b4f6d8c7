// Request groups: several consecutive transactional migrations sent to the
// server in one request (one round trip), each still in its own transaction.
#include <chrono>
#include <set>

#include "engine/engine_state.h"
#include "engine/failure_report.h"

namespace migrator {

namespace {

// A bound on one request, so a long plan still reaches the lock's check_held
// between requests and the client never holds one huge string.
constexpr std::size_t group_max_steps = 100;
constexpr std::size_t group_max_bytes = 1 << 20;

}  // namespace

using detail::located;
using detail::statements_of;

std::size_t engine::impl::group_end(const std::vector<plan_step>& steps, std::size_t first) {
  // A store offers its records as SQL for every step or for none: asked once,
  // not built for each step only to be built again by execute_group.
  if (first >= steps.size() || !record_sql(*steps[first].file, 0, steps[first].dir)) return first;
  std::size_t bytes = 0;
  std::size_t last = first;
  for (; last < steps.size() && last - first < group_max_steps; ++last) {
    const plan_step& step = steps[last];
    const migration& m = *step.file;
    // Repeatables and callbacks run alone: after_each_migration follows its step's commit.
    if (step.record_only || m.kind == migration_kind::code || m.role != migration_role::versioned ||
        !m.body().use_transaction || step.dir != steps[first].dir)
      break;
    for (const auto& st : statements_of(step)) bytes += st.sql.size();
    if (last > first && bytes > group_max_bytes) break;
  }
  return last;
}

void engine::impl::execute_group(const std::vector<plan_step>& steps, std::size_t first, std::size_t last,
                                 run_report& done, std::size_t& next, run_observer* observer,
                                 const std::function<void(const plan_step&)>& committed_step) {
  cancellable.store(true);
  // Asked for the first transaction, then for the others: the first answer
  // may also carry statements the store sends once (its PREPAREs).
  const std::string first_opening = begin() + history.step_started_sql().value_or("");
  const std::string opening = begin() + history.step_started_sql().value_or("");
  std::vector<std::string> records;
  records.reserve(last - first);
  std::size_t size = 0;
  for (std::size_t i = first; i < last; ++i) {
    const auto& statements = statements_of(steps[i]);
    records.push_back(*record_sql(*steps[i].file, static_cast<int>(statements.size()), steps[i].dir));
    size += detail::transaction_size(i == first ? first_opening : opening, statements, records.back());
  }
  std::string sql;
  sql.reserve(size);
  // Where the first migration's history rows begin: the request goes in two
  // there while the history tables are being made (exec_around_tables).
  std::size_t rows_at = 0;
  for (std::size_t i = first; i < last; ++i) {
    const std::size_t at =
        detail::append_transaction(sql, i == first ? first_opening : opening, statements_of(steps[i]), records[i - first]);
    if (i == first) rows_at = at;
  }
  if (observer)
    for (std::size_t i = first; i < last; ++i) observer->step_started(steps[i]);
  const auto start = std::chrono::steady_clock::now();
  std::optional<database_error> failure;
  try {
    exec_around_tables(sql, rows_at);
  } catch (const database_error& f) {
    failure = f;
  }
  const auto whole = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  const auto each = whole / static_cast<long>(last - first);
  // Which steps committed: all of them, or (after an error) those the history now shows.
  std::size_t committed = last;
  if (failure) {
    if (failure->connection_lost()) {
      const migration& a = *steps[first].file;
      throw run_error(error_code::in_doubt,
                      detail::group_in_doubt(last - first, a, *steps[last - 1].file, steps[first].dir, *failure),
                      done, located(a, failure->details(), nullptr, std::nullopt));
    }
    history_snapshot snap;
    try {
      db.exec("ROLLBACK");
      snap = history.read();
    } catch (const database_error& f) {
      throw run_error(error_code::database, detail::group_history_read_failure(f), done, f.details());
    }
    std::set<std::int64_t> now_applied;
    for (const auto& a : snap.applied) now_applied.insert(a.version);
    committed = first;
    while (committed < last &&
           (steps[committed].dir == direction::up) == (now_applied.count(steps[committed].version) > 0))
      ++committed;
  }
  for (std::size_t i = first; i < committed; ++i) {
    done.steps.push_back(detail::result_of(steps[i], each));
    done.steps.back().batch_size = last - first;  // what travelled together, committed or not
    done.steps.back().batch_duration = whole;
    next = i + 1;
    committed_step(steps[i]);
    if (observer) observer->step_finished(done.steps.back());
  }
  if (!failure) return;
  if (committed == last) {
    // Every step is recorded, yet the request failed (after the last COMMIT): report it as it came.
    throw run_error(error_code::database, detail::run_failure(*failure), done, failure->details());
  }
  const plan_step& failed = steps[committed];
  if (interrupted.load())
    throw detail::step_interrupted{detail::cancelled_and_rolled_back(*failed.file),
                                   located(*failed.file, failure->details(), nullptr, std::nullopt)};
  // A lock timeout (the history was read, so its transaction is rolled back):
  // the failing migration alone is tried again, with the retries it has left;
  // the run loop then goes on with the steps after it.
  lock_retry retry;
  const auto decision = retry_after_lock_timeout(*failed.file, *failure, retry, start);
  if (decision == retry_decision::interrupted)
    throw detail::step_interrupted{detail::cancelled_and_rolled_back(*failed.file),
                                   located(*failed.file, failure->details(), nullptr, std::nullopt)};
  if (decision == retry_decision::retry) {
    const auto alone = std::chrono::steady_clock::now();
    execute_in_transaction_retrying(*failed.file, statements_of(failed), failed.dir, done, retry);
    done.steps.push_back(detail::result_of(
        failed, std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - alone)));
    next = committed + 1;
    committed_step(failed);
    if (observer) observer->step_finished(done.steps.back());
    return;
  }
  fail_with_statement(*failed.file, statements_of(failed), failed.dir, *failure, done);
}

}  // namespace migrator
