// One migration step alone: transactional SQL, NO TRANSACTION SQL, or recorded
// without running. Code migrations are in code_steps.cpp; several
// transactional steps in one request in request_groups.cpp.
#include <chrono>
#include <string_view>

#include "engine/engine_state.h"
#include "engine/failure_report.h"
#include "migrator/log.h"

namespace migrator {

namespace {

// "\n;\n" ends every statement even when its last line is a comment;
// the empty statements this may add are no-ops for the server.
constexpr std::string_view statement_end = "\n;\n";

constexpr std::string_view commit_statement = "COMMIT;\n";

std::size_t one_query_size(const std::vector<statement>& statements) {
  std::size_t size = 0;
  for (const auto& s : statements) size += s.sql.size() + statement_end.size();
  return size;
}

void append_as_one_query(std::string& sql, const std::vector<statement>& statements) {
  for (const auto& s : statements) {
    sql += s.sql;
    sql += statement_end;
  }
}

}  // namespace

namespace detail {

std::string as_one_query(const std::vector<statement>& statements) {
  std::string sql;
  sql.reserve(one_query_size(statements));
  append_as_one_query(sql, statements);
  return sql;
}

std::size_t transaction_size(std::string_view opening, const std::vector<statement>& statements,
                             std::string_view record) {
  return opening.size() + one_query_size(statements) + record.size() + commit_statement.size();
}

std::size_t append_transaction(std::string& sql, std::string_view opening, const std::vector<statement>& statements,
                               std::string_view record) {
  sql += opening;
  append_as_one_query(sql, statements);
  const std::size_t rows_at = sql.size();
  sql += record;
  sql += commit_statement;
  return rows_at;
}

step_result result_of(const plan_step& step, std::chrono::microseconds duration) {
  const migration& m = *step.file;
  step_result result{step.dir, m.module, m.version, m.name, m.role, duration};
  result.batch_duration = duration;
  result.recorded_only = step.record_only;
  if (m.baseline) result.replaces = m.baseline->replaces;
  return result;
}

}  // namespace detail

using detail::located;
using detail::step_interrupted;

void engine::impl::record(const migration& m, int statements, direction dir) {
  if (m.role == migration_role::callback) return;  // a callback leaves no history
  if (m.role == migration_role::repeatable)
    return dir == direction::up ? history.record_repeatable(m) : history.forget_repeatable(m);
  if (dir == direction::up) return history.record_applied(m, statements);
  history.record_rolled_back(m.version);
  if (m.baseline)
    for (const std::int64_t v : m.baseline->replaces) history.record_rolled_back(v);
}

std::optional<std::string> engine::impl::record_sql(const migration& m, int statements, direction dir) {
  if (m.role == migration_role::callback) return std::string();
  if (m.role == migration_role::repeatable)
    return dir == direction::up ? history.record_repeatable_sql(m) : std::nullopt;
  if (dir == direction::up) return history.record_applied_sql(m, statements);
  auto sql = history.record_rolled_back_sql(m.version);
  if (sql && m.baseline)
    for (const std::int64_t v : m.baseline->replaces) {
      auto more = history.record_rolled_back_sql(v);
      if (!more) return std::nullopt;
      *sql += *more;
    }
  return sql;
}

void engine::impl::tables_ready() {
  if (!tables_aside) return;
  const auto making = std::move(tables_aside);
  try {
    making->wait();
  } catch (const database_error& f) {
    throw error(error_code::database, detail::history_tables_not_made(f), f.details());
  }
}

void engine::impl::exec_around_tables(std::string& sql, std::size_t rows_at) {
  if (!tables_aside) {
    db.exec(sql);
    return;
  }
  std::string rest = sql.substr(rows_at);
  sql.resize(rows_at);
  db.exec(sql);
  try {
    tables_ready();
  } catch (...) {
    rollback_quietly(db);
    throw;
  }
  db.exec(rest);
}

step_result engine::impl::execute(const plan_step& step, run_report& done) {
  cancellable.store(true);
  const migration& m = *step.file;
  const auto start = std::chrono::steady_clock::now();
  if (step.record_only) {
    record_without_running(m, done);
  } else {
    const auto& statements = detail::statements_of(step);
    if (m.kind == migration_kind::code)
      execute_code(m, step.dir, done);
    else if (m.body().use_transaction)
      execute_in_transaction(m, statements, step.dir, done);
    else
      execute_without_transaction(m, statements, step.dir, done);
  }
  return detail::result_of(
      step, std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start));
}

void engine::impl::record_without_running(const migration& m, run_report& done) {
  tables_ready();
  const auto inline_record = history.record_applied_sql(m, 0);
  try {
    if (inline_record) {
      db.exec("BEGIN;\n" + *inline_record + "COMMIT;");
    } else {
      db.exec("BEGIN");
      history.record_applied(m, 0);
      db.exec("COMMIT");
    }
  } catch (const database_error& f) {
    if (f.connection_lost())
      throw run_error(error_code::in_doubt, detail::record_only_in_doubt(m, f), done,
                      located(m, f.details(), nullptr, std::nullopt));
    throw run_error(error_code::database, detail::record_only_failed(m, f), done,
                    located(m, f.details(), nullptr, std::nullopt));
  }
}

void engine::impl::fail_with_statement(const migration& m, const std::vector<statement>& statements,
                                       direction dir, const database_error& original, run_report& done) {
  // The statements ran as one query: find the failing statement by replaying
  // them one at a time in a transaction that is rolled back.
  std::optional<std::size_t> index;
  std::optional<database_error> failure;
  try {
    db.exec("ROLLBACK");
    db.exec(begin());
    for (std::size_t i = 0; i < statements.size() && !index; ++i) {
      try {
        db.exec(statements[i].sql);
      } catch (const database_error& f) {
        if (f.connection_lost()) throw;
        index = i;
        failure = f;
      }
    }
    db.exec("ROLLBACK");
  } catch (const database_error&) {
    // Diagnosis is best effort: report the original failure.
  }
  const database_error& reported = failure ? *failure : original;
  const error_details details = located(m, reported.details(), &statements, index);
  throw run_error(error_code::database,
                  detail::transactional_failure(m, dir, reported, statements, index, details.line), done, details);
}

void engine::impl::execute_in_transaction(const migration& m, const std::vector<statement>& statements,
                                          direction dir, run_report& done) {
  lock_retry retry;
  execute_in_transaction_retrying(m, statements, dir, done, retry);
}

void engine::impl::execute_in_transaction_retrying(const migration& m, const std::vector<statement>& statements,
                                                   direction dir, run_report& done, lock_retry& retry) {
  const int count = static_cast<int>(statements.size());
  const auto inline_record = record_sql(m, count, dir);
  // With the store's SQL: one round trip, the statements, the history rows and
  // COMMIT in one request. On an error the server skips the rest, COMMIT
  // included, and leaves the transaction aborted (fail_with_statement rolls it back).
  // A lock timeout rolls back the whole migration: it is tried again whole.
  for (;;) {
    const auto attempt_started = std::chrono::steady_clock::now();
    try {
      if (inline_record) {
        // Sent in two while the tables are made (exec_around_tables): the
        // migration's duration is then timed from its statements' start.
        const std::string opening = tables_aside ? begin() + history.step_started_sql().value_or("") : begin();
        std::string sql;
        sql.reserve(detail::transaction_size(opening, statements, *inline_record));
        exec_around_tables(sql, detail::append_transaction(sql, opening, statements, *inline_record));
      } else {
        tables_ready();
        db.exec(begin());
        if (!statements.empty()) db.exec(detail::as_one_query(statements));
        record(m, count, dir);
        db.exec("COMMIT");
      }
      return;
    } catch (const database_error& f) {
      if (interrupted.load() && !f.connection_lost()) {
        // Cancelled on the server: the transaction is aborted, its COMMIT skipped.
        rollback_quietly(db);
        throw step_interrupted{detail::cancelled_and_rolled_back(m), located(m, f.details(), nullptr, std::nullopt)};
      }
      if (f.connection_lost())
        throw run_error(error_code::in_doubt, detail::statements_and_commit_in_doubt(m, dir, f), done,
                        located(m, f.details(), nullptr, std::nullopt));
      if (f.details().sqlstate == "55P03") {
        rollback_quietly(db);
        const auto decision = retry_after_lock_timeout(m, f, retry, attempt_started);
        if (decision == retry_decision::retry) continue;
        if (decision == retry_decision::interrupted)
          throw step_interrupted{detail::cancelled_and_rolled_back(m), located(m, f.details(), nullptr, std::nullopt)};
      }
      fail_with_statement(m, statements, dir, f, done);
    }
  }
}

void engine::impl::execute_without_transaction(const migration& m, const std::vector<statement>& statements,
                                               direction dir, run_report& done) {
  tables_ready();  // marks the version dirty before its first statement
  const int total = static_cast<int>(statements.size());
  if (timeouts_in_transactions_only && !warned_no_transaction_settings) {
    warned_no_transaction_settings = true;
    log(log_level::warn, detail::no_transaction_settings_warning());
  }
  // From the dirty mark on, nothing is cancelled: a stop comes between statements.
  // Stored before interrupted is read (both sequentially consistent): either this
  // loop sees the interruption, or interrupt() sees that it must not cancel.
  cancellable.store(false);
  detail::cancellable_again restore{cancellable};
  // A dirty version up resumes (resume_at, set under the lock): from the
  // concurrent index build that failed, after dropping what it left.
  int start = 0;
  bool resuming = false;
  if (const auto it = resume_at.find(m.version); it != resume_at.end() && dir == direction::up) {
    start = it->second;
    resuming = true;
    resume_at.erase(it);
    log(log_level::info, detail::dirty_resumed(m, start, total, statements[static_cast<std::size_t>(start)]),
        {{"event", "dirty_resumed"}, {"module", m.module}, {"version", m.version}, {"statement", start + 1}});
  }
  // Recorded before the first statement: a crash from here on leaves the version dirty.
  // A repeatable or a callback has no version to mark: stopped halfway, a
  // repeatable is simply still due (it is written to run again), a callback left as it is.
  const bool versioned = m.role == migration_role::versioned;
  if (versioned) history.mark_dirty(m, start, total);
  for (int i = start; i < total; ++i) {
    if (interrupted.load()) throw step_interrupted{detail::no_transaction_stopped(m, i, total), {}};
    const auto build = parsing::concurrent_index_of(statements[static_cast<std::size_t>(i)].sql);
    // A failed build is retried (on a lock timeout) only when what it left can be
    // found by name; any other NO TRANSACTION statement fails as before.
    const bool retryable = build && cleanable(*build);
    bool clean_first = resuming && i == start;
    lock_retry retry;
    for (bool ran = false; !ran;) {
      const auto attempt_started = std::chrono::steady_clock::now();
      try {
        if (clean_first) drop_invalid_leftovers(m, i, *build);
        clean_first = false;
        db.exec(statements[i].sql);
        ran = true;
        if (versioned) history.update_progress(m.version, i + 1);
      } catch (const database_error& f) {
        if (!ran && retryable) {
          const auto decision = retry_after_lock_timeout(m, f, retry, attempt_started);
          if (decision == retry_decision::interrupted)
            throw step_interrupted{detail::no_transaction_stopped(m, i, total), {}};
          if (decision == retry_decision::retry) {
            clean_first = true;
            continue;
          }
        }
        std::optional<std::string> remedy;
        if (build && !ran)
          remedy = detail::concurrent_index_remedy(m, i, retryable,
                                                   build->kind == parsing::concurrent_index_kind::create_index);
        const error_details details = located(m, f.details(), &statements, static_cast<std::size_t>(i));
        throw run_error(error_code::database,
                        detail::no_transaction_statement_failure(m, dir, details.line, i, statements, f, remedy), done,
                        details);
      }
    }
  }
  record_after_no_transaction(m, total, dir, done);
}

void engine::impl::record_after_no_transaction(const migration& m, int total, direction dir, run_report& done) {
  if (m.role == migration_role::callback) return;
  const auto inline_record = m.kind == migration_kind::code ? std::nullopt : record_sql(m, total, dir);
  try {
    if (inline_record) {
      db.exec("BEGIN;\n" + *inline_record + "COMMIT;");
    } else {
      db.exec("BEGIN");
      record(m, total, dir);
      // A code migration's saved positions end with it: a later run starts afresh.
      if (m.kind == migration_kind::code)
        db.exec_params("DELETE FROM " + db.quote_qualified(progress_table()) + " WHERE version_id = $1",
                       {std::to_string(m.version)});
      db.exec("COMMIT");
    }
  } catch (const database_error& f) {
    // The history rows and their COMMIT were in flight: they may have been recorded.
    if (f.connection_lost())
      throw run_error(error_code::in_doubt, detail::no_transaction_recording_in_doubt(m, dir, f), done,
                      located(m, f.details(), nullptr, std::nullopt));
    throw run_error(error_code::database, detail::no_transaction_recording_failed(m, dir, f), done,
                    located(m, f.details(), nullptr, std::nullopt));
  }
}

}  // namespace migrator
