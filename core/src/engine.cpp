#include "migrator/engine.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <sstream>

#include "migrator/postgres.h"
#include "remedies.h"

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

std::string sqlstate_part(const error& f) {
  return f.details().sqlstate.empty() ? std::string() : "SQLSTATE " + f.details().sqlstate + ": ";
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

}  // namespace

connection::connection(const std::string& dsn) {
  try {
    session_ = connect_postgres(dsn);
  } catch (const database_error& f) {
    throw error(error_code::database, std::string("cannot connect to the database: ") + f.what(), f.details());
  }
}

connection::~connection() = default;

struct engine::impl {
  impl(session& db, history_store& history, migration_lock& lock, const module_set& set, engine_options options)
      : db(db), history(history), lock(lock), set(set), options(std::move(options)) {
    for (const auto& m : set.migrations) by_version[m.version] = &m;
  }

  // Set when the engine built the PostgreSQL seams itself.
  std::unique_ptr<session> owned_session;
  std::unique_ptr<history_store> owned_history;
  std::unique_ptr<migration_lock> owned_lock;

  session& db;
  history_store& history;
  migration_lock& lock;
  const module_set& set;
  engine_options options;
  std::map<std::int64_t, const migration*> by_version;

  // `include_dirty` false: a dirty version is not refused here. Only for the look
  // before the lock: there, dirty may be another runner's NO TRANSACTION
  // migration in progress, which the lock holder clears when it finishes.
  void check_guards(const status_report& status, bool include_dirty = true) const;
  std::vector<plan_step> plan_from(const history_snapshot& snap, const plan_request& request) const {
    return make_plan(set.migrations, snap.for_planner(), request);
  }
  step_result execute(const plan_step& step, run_report& done);
  void execute_in_transaction(const migration& m, const std::vector<statement>& statements, direction dir,
                              run_report& done);
  void execute_without_transaction(const migration& m, const std::vector<statement>& statements,
                                   direction dir, run_report& done);
  // The history rows of a step, inside the transaction already open on `db`.
  void record(const migration& m, int statements, direction dir) {
    if (dir == direction::up) history.record_applied(m, statements);
    else history.record_rolled_back(m.version);
  }
  std::optional<std::string> record_sql(const migration& m, int statements, direction dir) {
    return dir == direction::up ? history.record_applied_sql(m, statements) : history.record_rolled_back_sql(m.version);
  }
  // Consecutive transactional steps from `first` whose history rows the store
  // offers as SQL (up to a size bound): they can travel in one request.
  std::size_t batch_end(const std::vector<plan_step>& steps, std::size_t first);
  // Steps [first, last) as one request: BEGIN; statements; history rows; COMMIT
  // for each. Each migration still commits alone; the server stops at the first
  // error, so on one the history says which committed, and the failing one is
  // then diagnosed and reported like a single step.
  void execute_batch(const std::vector<plan_step>& steps, std::size_t first, std::size_t last, run_report& done,
                     std::set<std::int64_t>& applied, run_observer* observer);
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

void engine::impl::fail_with_statement(const migration& m, const std::vector<statement>& statements,
                                       direction dir, const database_error& original, run_report& done) {
  const char* what = dir == direction::up ? "up" : "down";
  // The batch ran as one query: find the failing statement by replaying them
  // one at a time in a transaction that is rolled back.
  std::optional<std::size_t> index;
  std::optional<database_error> failure;
  try {
    db.exec("ROLLBACK");
    db.exec("BEGIN");
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
      db.exec("BEGIN;\n" + batch_of(statements) + *inline_record + "COMMIT;");
    } else {
      db.exec("BEGIN");
      if (!statements.empty()) db.exec(batch_of(statements));
      record(m, count, dir);
      db.exec("COMMIT");
    }
  } catch (const database_error& f) {
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
  // Recorded before the first statement: a crash from here on leaves the version dirty.
  history.mark_dirty(m, 0, total);
  for (int i = 0; i < total; ++i) {
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
  const auto inline_record = record_sql(m, total, dir);
  try {
    if (inline_record) {
      db.exec("BEGIN;\n" + *inline_record + "COMMIT;");
    } else {
      db.exec("BEGIN");
      record(m, total, dir);
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

// A bound on one request, so a long plan still reaches the lock's check_held
// between requests and the client never holds one huge string.
constexpr std::size_t batch_max_steps = 100;
constexpr std::size_t batch_max_bytes = 1 << 20;

const std::vector<statement>& statements_of(const plan_step& step) {
  return step.dir == direction::up ? step.file->body.up : step.file->body.down;
}

step_result result_of(const plan_step& step, std::chrono::microseconds duration) {
  return step_result{step.dir, step.file->module, step.version, step.file->name, duration};
}

}  // namespace

std::size_t engine::impl::batch_end(const std::vector<plan_step>& steps, std::size_t first) {
  std::size_t bytes = 0;
  std::size_t last = first;
  for (; last < steps.size() && last - first < batch_max_steps; ++last) {
    const migration& m = *steps[last].file;
    if (!m.body.use_transaction || !record_sql(m, 0, steps[last].dir)) break;
    for (const auto& st : statements_of(steps[last])) bytes += st.sql.size();
    if (last > first && bytes > batch_max_bytes) break;
  }
  return last;
}

void engine::impl::execute_batch(const std::vector<plan_step>& steps, std::size_t first, std::size_t last,
                                 run_report& done, std::set<std::int64_t>& applied, run_observer* observer) {
  const auto started = history.step_started_sql();
  std::string sql;
  for (std::size_t i = first; i < last; ++i) {
    const auto& statements = statements_of(steps[i]);
    const auto rows = record_sql(*steps[i].file, static_cast<int>(statements.size()), steps[i].dir);
    sql += "BEGIN;\n";
    if (started) sql += *started;
    sql += batch_of(statements);
    sql += *rows;
    sql += "COMMIT;\n";
  }
  for (std::size_t i = first; i < last; ++i)
    if (observer) observer->step_started(steps[i]);
  const auto start = std::chrono::steady_clock::now();
  std::optional<database_error> failure;
  try {
    db.exec(sql);
  } catch (const database_error& f) {
    failure = f;
  }
  const auto each = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start) /
                    static_cast<long>(last - first);
  // Which steps committed: all of them, or (after an error) those the history now shows.
  std::size_t committed = last;
  if (failure) {
    if (failure->connection_lost()) {
      const migration& a = *steps[first].file;
      const migration& b = *steps[last - 1].file;
      throw run_error(error_code::in_doubt,
                      "migrations " + std::to_string(a.version) + " to " + std::to_string(b.version) + " (" +
                          std::to_string(last - first) +
                          ", each in its own transaction, sent in one request): the connection was lost while they "
                          "ran (" + failure->what() + "), so which of them were " +
                          (steps[first].dir == direction::up ? "applied" : "rolled back") + " is unknown. " +
                          detail::in_doubt_commit_remedy(),
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
    if (steps[i].dir == direction::up) applied.insert(steps[i].version);
    else applied.erase(steps[i].version);
    done.current_version = applied.empty() ? 0 : *applied.rbegin();
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
  fail_with_statement(*failed.file, statements_of(failed), failed.dir, *failure, done);
}

step_result engine::impl::execute(const plan_step& step, run_report& done) {
  const migration& m = *step.file;
  const auto start = std::chrono::steady_clock::now();
  const auto& statements = step.dir == direction::up ? m.body.up : m.body.down;
  if (m.body.use_transaction)
    execute_in_transaction(m, statements, step.dir, done);
  else
    execute_without_transaction(m, statements, step.dir, done);
  return step_result{step.dir, m.module, m.version, m.name,
                     std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)};
}

engine::engine(session& db, history_store& history, migration_lock& lock, const module_set& set,
               engine_options options)
    : impl_(std::make_unique<impl>(db, history, lock, set, std::move(options))) {}

engine::engine(const std::string& dsn, const module_set& set, engine_options options)
    : engine(std::make_unique<connection>(dsn), set, std::move(options)) {}

engine::engine(std::unique_ptr<connection> conn, const module_set& set, engine_options options) {
  std::unique_ptr<session> db = std::move(conn->session_);
  try {
    std::string setup;
    if (options.statement_timeout)
      setup += "SET statement_timeout = " + std::to_string(options.statement_timeout->count()) + ";";
    if (options.db_lock_timeout)
      setup += "SET lock_timeout = " + std::to_string(options.db_lock_timeout->count()) + ";";
    if (!setup.empty()) db->exec(setup);
  } catch (const database_error& f) {
    throw error(error_code::database, std::string("setting up the migration session: ") + f.what(), f.details());
  }
  auto history = make_goose_history_store(*db, options.table);
  auto lock = make_advisory_lock(*db, options.lock_key);
  impl_ = std::make_unique<impl>(*db, *history, *lock, set, std::move(options));
  impl_->owned_session = std::move(db);
  impl_->owned_history = std::move(history);
  impl_->owned_lock = std::move(lock);
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

std::vector<plan_step> engine::plan(const plan_request& request) {
  return translated("planning", [&] {
    auto snap = impl_->history.read();
    impl_->check_guards(compute_status(impl_->set, snap));
    return impl_->plan_from(snap, request);
  });
}

run_report engine::run(const plan_request& request, run_observer* observer) {
  run_report report;
  // Like goose: look before taking the lock, so replicas with nothing to do never
  // queue behind a long migration.
  // A dirty version is judged under the lock only: a dirty version is pending to
  // the planner, so it always leads there.
  auto applied_versions = [](const history_snapshot& snap) {
    std::set<std::int64_t> applied;
    for (const auto& a : snap.applied) applied.insert(a.version);
    return applied;
  };
  auto highest = [](const std::set<std::int64_t>& v) { return v.empty() ? std::int64_t{0} : *v.rbegin(); };
  bool work = translated("reading the migration history", [&] {
    auto snap = impl_->history.read();
    impl_->check_guards(compute_status(impl_->set, snap), /*include_dirty=*/false);
    report.current_version = report.starting_version = highest(applied_versions(snap));
    return !impl_->plan_from(snap, request).empty();
  });
  if (!work) return report;

  try {
    lock_guard lock(impl_->lock, impl_->options.lock_timeout, [&] {
      if (observer) observer->waiting_for_lock();
    });
    report.waited_for_lock = lock.waited();
    impl_->history.ensure();
    // Another runner may have done the work while we waited: plan again under the lock.
    auto snap = impl_->history.read();
    impl_->check_guards(compute_status(impl_->set, snap));
    auto applied = applied_versions(snap);
    report.current_version = highest(applied);
    const auto steps = impl_->plan_from(snap, request);
    for (std::size_t i = 0; i < steps.size();) {
      impl_->lock.check_held();
      // Several transactional steps in a row: one request (one round trip) for all of them.
      const std::size_t end = impl_->batch_end(steps, i);
      if (end - i >= 2) {
        impl_->execute_batch(steps, i, end, report, applied, observer);
        i = end;
        continue;
      }
      const plan_step& step = steps[i++];
      if (observer) observer->step_started(step);
      report.steps.push_back(impl_->execute(step, report));
      if (step.dir == direction::up) applied.insert(step.version);
      else applied.erase(step.version);
      report.current_version = highest(applied);
      if (observer) observer->step_finished(report.steps.back());
    }
  } catch (const database_error& e) {
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

void engine::repair_mark_applied(std::int64_t version) {
  translated("repairing", [&] {
    lock_guard lock(impl_->lock, impl_->options.lock_timeout, nullptr);
    impl_->history.ensure();
    auto it = impl_->by_version.find(version);
    impl_->history.force_applied(it == impl_->by_version.end() ? nullptr : it->second, version);
  });
}

void engine::repair_mark_rolled_back(std::int64_t version) {
  translated("repairing", [&] {
    lock_guard lock(impl_->lock, impl_->options.lock_timeout, nullptr);
    impl_->history.ensure();
    impl_->history.force_rolled_back(version);
  });
}

}  // namespace migrator
