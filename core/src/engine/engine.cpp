#include "migrator/engine.h"


#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "migrator/code_migration.h"
#include "migrator/log.h"
#include "backend/applied_history.h"
#include "engine/remedies.h"
#include "plan/plan_parsing.h"

namespace migrator {

namespace {

std::string first_line(const std::string& sql) {
  std::string line = sql.substr(0, sql.find('\n'));
  if (line.size() > 80) line = line.substr(0, 77) + "...";
  return line;
}

std::string describe(const migration& m) {
  return "migration " + std::to_string(m.version) + " (module " + m.module + ", " + m.path + ")";
}

// For messages that already start with "path:line: ".
std::string describe_short(const migration& m) {
  return "migration " + std::to_string(m.version) + " (module " + m.module + ")";
}

// The file line of the server's error position (a 1-based count of characters,
// not bytes, into the statement as sent); the statement's first line without one.
int file_line_of(const statement& s, int position) {
  int line = s.line;
  int characters = 0;
  for (unsigned char c : s.sql) {
    if ((c & 0xC0) != 0x80 && ++characters >= position) break;  // a UTF-8 continuation byte is no character
    if (c == '\n') ++line;
  }
  return line;
}

// SQLite's sessions put the result code's name there ("SQLITE_CONSTRAINT_UNIQUE"), not a SQLSTATE.
std::string sqlstate_part(const error& f) {
  const std::string& code = f.details().sqlstate;
  if (code.empty()) return std::string();
  return (code.rfind("SQLITE_", 0) == 0 ? code : "SQLSTATE " + code) + ": ";
}

// The server's fields, placed in a migration (and one of its statements).
error_details located(const migration& m, const error_details& server, const std::vector<statement>* statements,
                      std::optional<std::size_t> index) {
  error_details d = server;
  d.module = m.module;
  d.version = m.version;
  d.file = m.path;
  if (statements && index) {
    const statement& s = (*statements)[*index];
    d.statement = static_cast<int>(*index + 1);
    d.line = server.position > 0 ? file_line_of(s, server.position) : s.line;
  } else {
    d.position = 0;  // a position in a batch of statements says nothing to the reader
  }
  return d;
}

std::string batch_of(const std::vector<statement>& statements) {
  std::string sql;
  std::size_t size = 0;
  for (const auto& s : statements) size += s.sql.size() + 3;
  sql.reserve(size + 256);
  // "\n;\n" ends every statement even when its last line is a comment;
  // the empty statements this may add are no-ops for the server.
  for (const auto& s : statements) {
    sql += s.sql;
    sql += "\n;\n";
  }
  return sql;
}

std::string step_name(const migration& m) { return m.module + " " + std::to_string(m.version) + " " + m.name; }

// Thrown inside a step stopped by engine::interrupt(); run() adds what was and
// was not applied.
struct step_interrupted {
  std::string what_happened;  // to the step in flight
  error_details details;
};

}  // namespace

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
        transaction_settings(std::move(capabilities.transaction_settings)) {
    for (const auto& m : set.migrations) by_version[m.version] = &m;
  }

  // Set when the engine owns the seams (open_backend's).
  std::unique_ptr<session> owned_session;
  std::unique_ptr<history_store> owned_history;
  std::unique_ptr<migration_lock> owned_lock;

  session& db;
  history_store& history;
  migration_lock& lock;
  const module_set& set;
  engine_options options;
  std::map<std::int64_t, const migration*> by_version;

  // From backend_capabilities: found out when the database was opened.
  bool standby = false;
  // Through a transaction pooler: settings go in each transaction (SET LOCAL),
  // never on the session, where they would reach other clients of the pool.
  bool pooled = false;
  std::string transaction_settings;  // "SET LOCAL ...;" after each BEGIN, or empty

  // engine::interrupt(): set from another thread or a signal handler.
  std::atomic<bool> interrupted{false};
  // false while a NO TRANSACTION statement runs: it is not cancelled but let finish.
  std::atomic<bool> cancellable{true};
  bool warned_no_transaction_settings = false;

  void refuse_on_standby() const {
    if (standby) throw error(error_code::read_only, detail::standby_refusal());
  }
  std::string begin() const { return "BEGIN;\n" + transaction_settings; }

  // `include_dirty` false: a dirty version is not refused here. Only for the look
  // before the lock: there, dirty may be another runner's NO TRANSACTION
  // migration in progress, which the lock holder clears when it finishes.
  void check_guards(const status_report& status, bool include_dirty = true) const;
  std::vector<plan_step> plan_from(const history_snapshot& snap, const plan_request& request) const {
    auto steps = make_plan(set.migrations, snap.for_planner(), request);
    detail::parse_plan(steps);  // files are parsed on first use: a malformed one stops the plan here
    return steps;
  }
  step_result execute(const plan_step& step, run_report& done);
  void execute_in_transaction(const migration& m, const std::vector<statement>& statements, direction dir,
                              run_report& done);
  void execute_without_transaction(const migration& m, const std::vector<statement>& statements,
                                   direction dir, run_report& done);
  // The history rows of a step, inside the transaction already open on `db`.
  // A baseline's Down removes the schema its replaced versions built: it forgets them too.
  void record(const migration& m, int statements, direction dir) {
    if (dir == direction::up) return history.record_applied(m, statements);
    history.record_rolled_back(m.version);
    if (m.baseline)
      for (const std::int64_t v : m.baseline->replaces) history.record_rolled_back(v);
  }
  std::optional<std::string> record_sql(const migration& m, int statements, direction dir) {
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
  void record_after_no_transaction(const migration& m, int total, direction dir, run_report& done);
  void execute_code(const migration& m, direction dir, run_report& done);
  void execute_code_in_transaction(const migration& m, direction dir, run_report& done);
  void execute_code_without_transaction(const migration& m, direction dir, run_report& done);
  // Where no-transaction code migrations keep their resumable positions.
  std::string progress_table() const { return progress_table_of(options.table); }
  void rollback_quietly() noexcept {
    try {
      db.exec("ROLLBACK");
    } catch (const std::exception&) {
      // A lost connection has rolled back already.
    }
  }
  void check_stamp(const status_report& status, std::int64_t through) const;
  void record_without_running(const migration& m, run_report& done);
  // Consecutive plain transactional SQL steps from `first` whose history rows the
  // store offers as SQL (up to a size bound): they can travel in one request.
  std::size_t batch_end(const std::vector<plan_step>& steps, std::size_t first);
  // Steps [first, last) as one request: BEGIN; statements; history rows; COMMIT
  // for each. Each migration still commits alone; the server stops at the first
  // error, so after one the history says which committed, and the failing one is
  // then diagnosed and reported like a single step. `next` follows the steps that
  // are done, so an interrupted run lists what did not start.
  void execute_batch(const std::vector<plan_step>& steps, std::size_t first, std::size_t last, run_report& done,
                     std::size_t& next, run_observer* observer,
                     const std::function<void(const plan_step&)>& committed_step);
  [[noreturn]] void fail_with_statement(const migration& m, const std::vector<statement>& statements,
                                        direction dir, const database_error& original, run_report& done);
};

void engine::impl::check_guards(const status_report& status, bool include_dirty) const {
  if (!status.namespace_conflicts.empty())
    throw error(error_code::refused, detail::namespace_shift_refusal(status.namespace_conflicts));
  std::vector<const migration_status*> drift;
  for (const auto& s : status.migrations)
    if (s.state == migration_state::modified || (include_dirty && s.state == migration_state::dirty))
      drift.push_back(&s);
  if (drift.empty() || options.allow_drift) return;
  throw error(error_code::refused, detail::drift_refusal(drift));
}

void engine::impl::check_stamp(const status_report& status, std::int64_t through) const {
  std::string conflicts;
  for (const auto& s : status.migrations) {
    if (s.version > through || s.path.empty()) continue;
    const migration& file = *by_version.at(s.version);
    std::string why;
    if (s.state == migration_state::modified)
      why = "recorded with another checksum (the file changed after it was applied)";
    else if (s.state == migration_state::dirty)
      why = "recorded as dirty (a NO TRANSACTION migration stopped after statement " +
            std::to_string(s.statements_done.value_or(0)) + "; see 'app migrate repair')";
    else if (s.recorded_module && *s.recorded_module != file.module)
      why = "recorded for module '" + *s.recorded_module + "'";
    if (!why.empty())
      conflicts += "\n  " + std::to_string(s.version) + " " + file.name + " (module " + file.module + ", " +
                   file.path + "): " + why;
  }
  if (!conflicts.empty())
    throw error(error_code::refused, "stamp " + std::to_string(through) +
                                         " refused: these versions are already recorded differently than the "
                                         "module set has them; nothing was recorded:" +
                                         conflicts);
}

void engine::impl::record_without_running(const migration& m, run_report& done) {
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
      throw run_error(error_code::in_doubt,
                      describe(m) + ": the connection was lost while recording it (" + f.what() +
                          "), so whether it is recorded as applied is unknown. Run 'app migrate status'.",
                      done, located(m, f.details(), nullptr, std::nullopt));
    throw run_error(error_code::database,
                    describe(m) + ": recording it as applied failed: " + sqlstate_part(f) + f.what(), done,
                    located(m, f.details(), nullptr, std::nullopt));
  }
}

void engine::impl::fail_with_statement(const migration& m, const std::vector<statement>& statements,
                                       direction dir, const database_error& original, run_report& done) {
  const char* what = dir == direction::up ? "up" : "down";
  // The batch ran as one query: find the failing statement by replaying them
  // one at a time in a transaction that is rolled back.
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
  std::ostringstream msg;
  if (index) {
    const statement& s = statements[*index];
    msg << m.path << ":" << details.line << ": " << describe_short(m) << " failed (" << what << ") at statement "
        << (*index + 1) << " of " << statements.size() << " (\"" << first_line(s.sql)
        << "\"): " << sqlstate_part(reported) << reported.what();
  } else {
    msg << m.path << ": " << describe_short(m) << " failed (" << what << "): " << sqlstate_part(original)
        << original.what();
  }
  msg << "\nNothing of " << describe_short(m) << " was " << (dir == direction::up ? "applied." : "rolled back.");
  throw run_error(error_code::database, msg.str(), done, details);
}

void engine::impl::execute_in_transaction(const migration& m, const std::vector<statement>& statements,
                                          direction dir, run_report& done) {
  const int count = static_cast<int>(statements.size());
  const auto inline_record = record_sql(m, count, dir);
  // With the store's SQL: one round trip, the statements, the history rows and
  // COMMIT in one request. On an error the server skips the rest, COMMIT
  // included, and leaves the transaction aborted (fail_with_statement rolls it back).
  try {
    if (inline_record) {
      db.exec(begin() + batch_of(statements) + *inline_record + "COMMIT;");
    } else {
      db.exec(begin());
      if (!statements.empty()) db.exec(batch_of(statements));
      record(m, count, dir);
      db.exec("COMMIT");
    }
  } catch (const database_error& f) {
    if (interrupted.load() && !f.connection_lost()) {
      // Cancelled on the server: the transaction is aborted, its COMMIT skipped.
      try {
        db.exec("ROLLBACK");
      } catch (const database_error&) {
        // A broken connection rolls back too.
      }
      throw step_interrupted{step_name(m) + " was cancelled on the server and rolled back: nothing of it remains",
                             located(m, f.details(), nullptr, std::nullopt)};
    }
    if (f.connection_lost())
      throw run_error(error_code::in_doubt,
                      describe(m) + ": the connection was lost while its statements and COMMIT were running (" +
                          f.what() + "), so whether it was " + (dir == direction::up ? "applied" : "rolled back") +
                          " is unknown. " + detail::in_doubt_commit_remedy(),
                      done, located(m, f.details(), nullptr, std::nullopt));
    fail_with_statement(m, statements, dir, f, done);
  }
}

void engine::impl::execute_without_transaction(const migration& m, const std::vector<statement>& statements,
                                               direction dir, run_report& done) {
  const int total = static_cast<int>(statements.size());
  if (!transaction_settings.empty() && !warned_no_transaction_settings) {
    warned_no_transaction_settings = true;
    log(log_level::warn, "through a transaction pooler, NO TRANSACTION statements run with the server's "
                         "statement_timeout and lock_timeout (set them on the role: ALTER ROLE ... SET); "
                         "--statement-timeout and --db-lock-timeout apply to transactional migrations only");
  }
  // From the dirty mark on, nothing is cancelled: a stop comes between statements.
  // Stored before interrupted is read (both sequentially consistent): either this
  // loop sees the interruption, or interrupt() sees that it must not cancel.
  cancellable.store(false);
  struct cancellable_again {
    std::atomic<bool>& flag;
    ~cancellable_again() { flag.store(true); }
  } restore{cancellable};
  // Recorded before the first statement: a crash from here on leaves the version dirty.
  history.mark_dirty(m, 0, total);
  for (int i = 0; i < total; ++i) {
    if (interrupted.load())
      throw step_interrupted{step_name(m) + " (NO TRANSACTION) was stopped between statements: " +
                                 (i == 0 ? std::string("none of its ") + std::to_string(total) + " statements ran"
                                         : "statements 1.." + std::to_string(i) + " of " + std::to_string(total) +
                                               " ran and stay applied") +
                                 ", progress recorded. " + detail::dirty_after_failure_remedy(m.version),
                             {}};
    try {
      db.exec(statements[i].sql);
      history.update_progress(m.version, i + 1);
    } catch (const database_error& f) {
      const statement& s = statements[i];
      const error_details details = located(m, f.details(), &statements, static_cast<std::size_t>(i));
      std::ostringstream msg;
      msg << m.path << ":" << details.line << ": " << describe_short(m)
          << (f.connection_lost() ? " lost the connection to the database (" : " failed (")
          << (dir == direction::up ? "up" : "down") << ", NO TRANSACTION) at statement " << (i + 1) << " of "
          << total << " (\"" << first_line(s.sql) << "\"): " << sqlstate_part(f) << f.what() << "\n";
      if (i > 0) msg << "Statements 1.." << i << " ran and stay applied.";
      // The statement (or the progress update after it) was in flight: it may have run.
      if (f.connection_lost())
        msg << (i > 0 ? " " : "") << "Whether statement " << (i + 1) << " ran is unknown.";
      else if (i == 0)
        msg << "No statement of it ran.";
      msg << " " << detail::dirty_after_failure_remedy(m.version);
      throw run_error(error_code::database, msg.str(), done, details);
    }
  }
  record_after_no_transaction(m, total, dir, done);
}

void engine::impl::record_after_no_transaction(const migration& m, int total, direction dir, run_report& done) {
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
      throw run_error(error_code::in_doubt,
                      describe(m) + ": every statement ran, but the connection to the database was lost while "
                          "recording it (" + f.what() + "), so whether it is recorded as " +
                          (dir == direction::up ? "applied" : "rolled back") + " is unknown. " +
                          detail::in_doubt_recording_remedy(m.version, dir),
                      done, located(m, f.details(), nullptr, std::nullopt));
    throw run_error(error_code::database,
                    describe(m) + ": every statement ran but recording it failed: " + sqlstate_part(f) + f.what() +
                        "\n" + detail::failed_recording_remedy(m.version, dir),
                    done, located(m, f.details(), nullptr, std::nullopt));
  }
}

namespace {

// What a code migration threw, for the message: the server's fields when it was the database.
struct code_failure {
  std::string what;
  error_details server;
  bool connection_lost = false;
};

template <typename F>
std::optional<code_failure> run_code(F&& f) {
  try {
    f();
    return std::nullopt;
  } catch (const database_error& e) {
    return code_failure{sqlstate_part(e) + e.what(), e.details(), e.connection_lost()};
  } catch (const std::exception& e) {
    return code_failure{e.what(), {}, false};
  } catch (...) {
    return code_failure{"an exception that is not a std::exception", {}, false};
  }
}

}  // namespace

void engine::impl::execute_code(const migration& m, direction dir, run_report& done) {
  if (!m.code)
    throw run_error(error_code::plan,
                    m.path + ": " + describe_short(m) +
                        " is a code migration this program was not built with (it was read from a directory); "
                        "run it with the program whose build embeds it. Nothing was changed.",
                    done, located(m, {}, nullptr, std::nullopt));
  if (m.code->use_transaction)
    execute_code_in_transaction(m, dir, done);
  else
    execute_code_without_transaction(m, dir, done);
}

void engine::impl::execute_code_in_transaction(const migration& m, direction dir, run_report& done) {
  const char* what = dir == direction::up ? "up" : "down";
  // goose runs a missing down as a no-op that still forgets the version: so does this.
  const auto function = dir == direction::up ? m.code->up_in_transaction : m.code->down_in_transaction;
  auto failure = run_code([&] {
    db.exec(begin());  // with the pooled session's SET LOCALs
    code_transaction tx(db);
    if (function) function(tx);
    record(m, 0, dir);
  });
  if (failure) {
    rollback_quietly();
    if (interrupted.load() && !failure->connection_lost)
      throw step_interrupted{step_name(m) + " was cancelled on the server and rolled back: nothing of it remains",
                             located(m, failure->server, nullptr, std::nullopt)};
    throw run_error(error_code::database,
                    m.path + ": " + describe_short(m) + " failed (" + what + "): " + failure->what + "\nNothing of " +
                        describe_short(m) + " was " + (dir == direction::up ? "applied." : "rolled back."),
                    done, located(m, failure->server, nullptr, std::nullopt));
  }
  try {
    db.exec("COMMIT");
  } catch (const database_error& f) {
    if (f.connection_lost())
      throw run_error(error_code::in_doubt,
                      describe(m) + ": the connection was lost during COMMIT (" + f.what() + "), so whether it was " +
                          (dir == direction::up ? "applied" : "rolled back") + " is unknown. " +
                          detail::in_doubt_commit_remedy(),
                      done, located(m, f.details(), nullptr, std::nullopt));
    rollback_quietly();
    throw run_error(error_code::database,
                    m.path + ": " + describe_short(m) + " failed (" + what + ") at COMMIT: " + sqlstate_part(f) +
                        f.what() + "\nNothing of " + describe_short(m) + " was " +
                        (dir == direction::up ? "applied." : "rolled back."),
                    done, located(m, f.details(), nullptr, std::nullopt));
  }
}

void engine::impl::execute_code_without_transaction(const migration& m, direction dir, run_report& done) {
  const char* what = dir == direction::up ? "up" : "down";
  const auto function = dir == direction::up ? m.code->up_on_connection : m.code->down_on_connection;
  // Portable DDL (PostgreSQL and SQLite): the positions of resumable work.
  db.exec("CREATE TABLE IF NOT EXISTS " + db.quote_qualified(progress_table()) +
          " (version_id bigint NOT NULL, task text NOT NULL, last_key text NOT NULL, steps bigint NOT NULL,"
          " PRIMARY KEY (version_id, task))");
  // As for NO TRANSACTION SQL, from the dirty mark on nothing is cancelled,
  // except a step's own transaction (code_connection::in_transaction), which
  // rolls back whole; after a stop (SIGTERM) no further step starts.
  cancellable.store(false);
  struct cancellable_again {
    std::atomic<bool>& flag;
    ~cancellable_again() { flag.store(true); }
  } restore{cancellable};
  // Recorded before the code runs: a crash from here on leaves the version dirty.
  history.mark_dirty(m, 0, 0);
  code_connection connection(db, history, m, progress_table(), {&interrupted, &cancellable});
  auto failure = run_code([&] {
    if (function) function(connection);
  });
  // Stopped between steps, or its step in flight cancelled (and rolled back whole).
  if (failure && interrupted.load() && !failure->connection_lost)
    throw step_interrupted{step_name(m) + " (NO TRANSACTION code) was stopped after step " +
                               std::to_string(connection.steps_done()) + ": its step in flight, if any, was "
                               "cancelled and rolled back. " + detail::code_dirty_after_failure_remedy(m.version),
                           located(m, failure->server, nullptr, std::nullopt)};
  if (failure) {
    std::ostringstream msg;
    msg << m.path << ": " << describe_short(m)
        << (failure->connection_lost ? " lost the connection to the database (" : " failed (") << what
        << ", NO TRANSACTION) after step " << connection.steps_done() << ": " << failure->what << "\n"
        << detail::code_dirty_after_failure_remedy(m.version);
    throw run_error(error_code::database, msg.str(), done, located(m, failure->server, nullptr, std::nullopt));
  }
  record_after_no_transaction(m, connection.steps_done(), dir, done);
}

namespace {

// A bound on one request, so a long plan still reaches the lock's check_held
// between requests and the client never holds one huge string.
constexpr std::size_t batch_max_steps = 100;
constexpr std::size_t batch_max_bytes = 1 << 20;

const std::vector<statement>& statements_of(const plan_step& step) {
  return step.dir == direction::up ? step.file->body().up : step.file->body().down;
}

step_result result_of(const plan_step& step, std::chrono::microseconds duration) {
  const migration& m = *step.file;
  step_result result{step.dir, m.module, m.version, m.name, duration};
  result.batch_duration = duration;
  result.recorded_only = step.record_only;
  if (m.baseline) result.replaces = m.baseline->replaces;
  return result;
}

}  // namespace

std::size_t engine::impl::batch_end(const std::vector<plan_step>& steps, std::size_t first) {
  // A store offers its records as SQL for every step or for none: asked once,
  // not built for each step only to be built again by execute_batch.
  if (first >= steps.size() || !record_sql(*steps[first].file, 0, steps[first].dir)) return first;
  std::size_t bytes = 0;
  std::size_t last = first;
  for (; last < steps.size() && last - first < batch_max_steps; ++last) {
    const plan_step& step = steps[last];
    const migration& m = *step.file;
    if (step.record_only || m.kind == migration_kind::code || !m.body().use_transaction ||
        step.dir != steps[first].dir)
      break;
    for (const auto& st : statements_of(step)) bytes += st.sql.size();
    if (last > first && bytes > batch_max_bytes) break;
  }
  return last;
}

void engine::impl::execute_batch(const std::vector<plan_step>& steps, std::size_t first, std::size_t last,
                                 run_report& done, std::size_t& next, run_observer* observer,
                                 const std::function<void(const plan_step&)>& committed_step) {
  cancellable.store(true);
  const auto started = history.step_started_sql();
  std::string sql;
  for (std::size_t i = first; i < last; ++i) {
    const auto& statements = statements_of(steps[i]);
    sql += begin();
    if (started) sql += *started;
    sql += batch_of(statements);
    sql += *record_sql(*steps[i].file, static_cast<int>(statements.size()), steps[i].dir);
    sql += "COMMIT;\n";
  }
  if (observer)
    for (std::size_t i = first; i < last; ++i) observer->step_started(steps[i]);
  const auto start = std::chrono::steady_clock::now();
  std::optional<database_error> failure;
  try {
    db.exec(sql);
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
      const migration& b = *steps[last - 1].file;
      throw run_error(error_code::in_doubt,
                      std::to_string(last - first) +
                          " migrations sent in one request, each in its own transaction (its statements, its "
                          "history rows, COMMIT), from " + describe(a) + " to " + describe(b) +
                          ": the connection was lost while they ran (" + failure->what() + "), so which of them were " +
                          (steps[first].dir == direction::up ? "applied" : "rolled back") +
                          " is unknown; each one that committed is recorded. " + detail::in_doubt_commit_remedy(),
                      done, located(a, failure->details(), nullptr, std::nullopt));
    }
    history_snapshot snap;
    try {
      db.exec("ROLLBACK");
      snap = history.read();
    } catch (const database_error& f) {
      throw run_error(error_code::database,
                      std::string("migration run failed: reading the history after a failed batch: ") +
                          sqlstate_part(f) + f.what(),
                      done, f.details());
    }
    std::set<std::int64_t> now_applied;
    for (const auto& a : snap.applied) now_applied.insert(a.version);
    committed = first;
    while (committed < last &&
           (steps[committed].dir == direction::up) == (now_applied.count(steps[committed].version) > 0))
      ++committed;
  }
  for (std::size_t i = first; i < committed; ++i) {
    done.steps.push_back(result_of(steps[i], each));
    done.steps.back().batch_size = last - first;  // what travelled together, committed or not
    done.steps.back().batch_duration = whole;
    next = i + 1;
    committed_step(steps[i]);
    if (observer) observer->step_finished(done.steps.back());
  }
  if (!failure) return;
  if (committed == last) {
    // Every step is recorded, yet the request failed (after the last COMMIT): report it as it came.
    throw run_error(error_code::database,
                    std::string("migration run failed: ") + sqlstate_part(*failure) + failure->what(), done,
                    failure->details());
  }
  const plan_step& failed = steps[committed];
  if (interrupted.load())
    throw step_interrupted{step_name(*failed.file) + " was cancelled on the server and rolled back: nothing of it "
                                                     "remains",
                           located(*failed.file, failure->details(), nullptr, std::nullopt)};
  fail_with_statement(*failed.file, statements_of(failed), failed.dir, *failure, done);
}

step_result engine::impl::execute(const plan_step& step, run_report& done) {
  cancellable.store(true);
  const migration& m = *step.file;
  const auto start = std::chrono::steady_clock::now();
  if (step.record_only) {
    record_without_running(m, done);
  } else {
    const auto& statements = step.dir == direction::up ? m.body().up : m.body().down;
    if (m.kind == migration_kind::code)
      execute_code(m, step.dir, done);
    else if (m.body().use_transaction)
      execute_in_transaction(m, statements, step.dir, done);
    else
      execute_without_transaction(m, statements, step.dir, done);
  }
  return result_of(step,
                   std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start));
}

engine::engine(session& db, history_store& history, migration_lock& lock, const module_set& set,
               engine_options options, backend_capabilities capabilities)
    : impl_(std::make_unique<impl>(db, history, lock, set, std::move(options), std::move(capabilities))) {}

engine::engine(backend seams, const module_set& set, engine_options options)
    : impl_(std::make_unique<impl>(*seams.db, *seams.history, *seams.lock, set, std::move(options),
                                   std::move(seams.capabilities))) {
  impl_->owned_session = std::move(seams.db);
  impl_->owned_history = std::move(seams.history);
  impl_->owned_lock = std::move(seams.lock);
}

engine::engine(const std::string& dsn, const module_set& set, engine_options options)
    : engine(open_backend(dsn, set, options), set, options) {}

void engine::interrupt() noexcept {
  impl_->interrupted.store(true);
  impl_->lock.interrupt();
  if (impl_->cancellable.load()) impl_->db.cancel();
}

engine::~engine() = default;

namespace {

// Every database failure outside a migration step (reading history, the lock,
// repair) becomes a database error here, with what the engine was doing.
template <typename F>
auto translated(const char* doing, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const database_error& e) {
    throw error(error_code::database, std::string(doing) + ": " + sqlstate_part(e) + e.what(), e.details());
  }
}

}  // namespace

std::vector<plan_step> engine::plan(const plan_request& request, std::int64_t* current_version) {
  return translated("planning", [&] {
    auto snap = impl_->history.read();
    const auto status = compute_status(impl_->set, snap);
    if (current_version) *current_version = status.current_version;
    if (request.kind == command_kind::stamp) impl_->check_stamp(status, request.target);
    impl_->check_guards(status);
    return impl_->plan_from(snap, request);
  });
}

run_report engine::run(const plan_request& request, run_observer* observer) {
  impl_->refuse_on_standby();
  run_report report;
  // Like goose: look before taking the lock, so replicas with nothing to do never
  // queue behind a long migration.
  // A dirty version is judged under the lock only (before it, it may be another
  // runner's NO TRANSACTION migration in progress): a dirty version of the set is
  // pending to the planner, and a dirty one the set does not know (a newer build's)
  // leads there too, so `up` refuses it rather than report nothing to do.
  auto applied_versions = [](const history_snapshot& snap) {
    std::set<std::int64_t> applied;
    for (const auto& a : snap.applied) applied.insert(a.version);
    return applied;
  };
  auto highest = [](const std::set<std::int64_t>& v) { return v.empty() ? std::int64_t{0} : *v.rbegin(); };
  bool work = false;
  try {
    // An up-to-date database answers `up` in one row: the server finds its history
    // equal to the whole set applied, so every migration is applied, unmodified and clean.
    if (request.kind == command_kind::up) {
      const auto same = translated("reading the migration history", [&] {
        return impl_->history.compare_applied(detail::applied_history_text(impl_->set.migrations));
      });
      if (same && same->equal) {
        report.current_version = report.starting_version = same->highest;
        return report;
      }
    }
    work = translated("reading the migration history", [&] {
      auto snap = impl_->history.read();
      const auto status = compute_status(impl_->set, snap);
      if (request.kind == command_kind::stamp) impl_->check_stamp(status, request.target);
      impl_->check_guards(status, /*include_dirty=*/false);
      report.current_version = report.starting_version = highest(applied_versions(snap));
      const bool any_dirty = std::any_of(status.migrations.begin(), status.migrations.end(),
                                         [](const migration_status& m) { return m.state == migration_state::dirty; });
      return any_dirty || !impl_->plan_from(snap, request).empty();
    });
  } catch (const error& e) {
    // The read was cancelled by interrupt(): a stop, not a database failure.
    if (impl_->interrupted.load() && e.code() == error_code::database)
      throw error(error_code::interrupted, detail::interrupted_report({}, "", {}), e.details());
    throw;
  }
  if (!work) return report;

  std::vector<plan_step> plan;
  std::size_t next = 0;  // the step about to run or running
  auto interrupted = [&](const std::string& in_flight, error_details details) {
    std::vector<std::string> done, not_started;
    for (const auto& s : report.steps)
      done.push_back(std::string(s.dir == direction::up ? "applied " : "rolled back ") + s.module + " " +
                     std::to_string(s.version) + " " + s.name);
    for (std::size_t i = next + (in_flight.empty() ? 0 : 1); i < plan.size(); ++i)
      not_started.push_back(step_name(*plan[i].file));
    return run_error(error_code::interrupted, detail::interrupted_report(done, in_flight, not_started), report,
                     std::move(details));
  };
  try {
    lock_guard lock(impl_->lock, impl_->options.lock_timeout, [&](const lock_holder& holder) {
      if (observer) observer->waiting_for_lock(holder);
    });
    report.waited_for_lock = lock.waited();
    impl_->history.ensure();
    // Another runner may have done the work while we waited: plan again under the lock.
    auto snap = impl_->history.read();
    const auto status = compute_status(impl_->set, snap);
    if (request.kind == command_kind::stamp) impl_->check_stamp(status, request.target);
    impl_->check_guards(status);
    auto applied = applied_versions(snap);
    report.current_version = report.starting_version = highest(applied);
    plan = impl_->plan_from(snap, request);
    auto note = [&](const plan_step& step) {
      if (step.dir == direction::up) applied.insert(step.version);
      else {
        applied.erase(step.version);
        if (step.file->baseline)
          for (const std::int64_t v : step.file->baseline->replaces) applied.erase(v);
      }
      report.current_version = highest(applied);
    };
    for (next = 0; next < plan.size();) {
      if (impl_->interrupted.load()) throw interrupted("", {});
      impl_->lock.check_held();
      // Several plain transactional steps in a row: one request (one round trip) for all of them.
      const std::size_t end = impl_->batch_end(plan, next);
      if (end - next >= 2) {
        impl_->execute_batch(plan, next, end, report, next, observer, note);
        continue;
      }
      const auto& step = plan[next];
      if (observer) observer->step_started(step);
      report.steps.push_back(impl_->execute(step, report));
      note(step);
      if (observer) observer->step_finished(report.steps.back());
      ++next;
    }
  } catch (const step_interrupted& i) {
    throw interrupted(i.what_happened, i.details);
  } catch (const database_error& e) {
    if (impl_->interrupted.load() && !e.connection_lost()) throw interrupted("", e.details());
    throw run_error(error_code::database,
                    std::string("migration run failed: ") +
                        (e.connection_lost() ? "the connection to the database was lost: " : "") + sqlstate_part(e) +
                        e.what(),
                    report, e.details());
  }
  return report;
}

status_report engine::status() {
  return translated("reading the migration history",
                    [&] { return compute_status(impl_->set, impl_->history.read()); });
}

std::size_t engine::repair_checksums() {
  impl_->refuse_on_standby();
  return translated("recording checksums", [&] {
    auto status = compute_status(impl_->set, impl_->history.read());
    if (!status.namespace_conflicts.empty()) impl_->check_guards(status);
    lock_guard lock(impl_->lock, impl_->options.lock_timeout, nullptr);
    impl_->history.ensure();
    std::size_t recorded = 0;
    for (const auto& s : compute_status(impl_->set, impl_->history.read()).migrations) {
      if (s.state != migration_state::applied || s.has_checksum) continue;
      impl_->history.record_checksum(*impl_->by_version.at(s.version));
      ++recorded;
    }
    return recorded;
  });
}

namespace {

// Under the lock: another runner may be finishing the version right now.
migration_status dirty_version(const module_set& set, history_store& history, std::int64_t version) {
  const auto status = compute_status(set, history.read());
  auto it = std::find_if(status.migrations.begin(), status.migrations.end(),
                         [&](const migration_status& m) { return m.version == version; });
  if (it == status.migrations.end() || it->state != migration_state::dirty)
    throw error(error_code::usage,  // exit 2, as when the command line names a wrong version
                "version " + std::to_string(version) + " is not dirty" +
                    (it == status.migrations.end() ? std::string(" (no such version)")
                                                   : std::string(" (it is ") + to_string(it->state) + ")") +
                    "; repair VERSION only clears a dirty version");
  return *it;
}

}  // namespace

migration_status engine::repair_mark_applied(std::int64_t version) {
  impl_->refuse_on_standby();
  return translated("repairing", [&] {
    lock_guard lock(impl_->lock, impl_->options.lock_timeout, nullptr);
    impl_->history.ensure();
    auto before = dirty_version(impl_->set, impl_->history, version);
    auto it = impl_->by_version.find(version);
    impl_->history.force_applied(it == impl_->by_version.end() ? nullptr : it->second, version);
    return before;
  });
}

migration_status engine::repair_mark_rolled_back(std::int64_t version) {
  impl_->refuse_on_standby();
  return translated("repairing", [&] {
    lock_guard lock(impl_->lock, impl_->options.lock_timeout, nullptr);
    impl_->history.ensure();
    auto before = dirty_version(impl_->set, impl_->history, version);
    impl_->history.force_rolled_back(version);
    return before;
  });
}

}  // namespace migrator
