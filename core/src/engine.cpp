#include "migrator/engine.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "advisory_lock.h"
#include "history_store.h"
#include "pg_session.h"
#include "plan_parsing.h"

namespace migrator {

using detail::db_failure;
using detail::history_snapshot;

const char* to_string(migration_state state) noexcept {
  switch (state) {
    case migration_state::applied: return "applied";
    case migration_state::pending: return "pending";
    case migration_state::modified: return "modified";
    case migration_state::dirty: return "dirty";
    case migration_state::unknown: return "unknown";
  }
  return "?";
}

bool status_report::current() const {
  return std::all_of(migrations.begin(), migrations.end(),
                     [](const migration_status& m) { return m.state == migration_state::applied; });
}

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

// The server's "LINE n:" is relative to the statement; turn it into a file line.
int file_line_of(const statement& s, const std::string& server_message) {
  static const std::regex line_marker("\nLINE ([0-9]+):");
  std::smatch match;
  if (std::regex_search(server_message, match, line_marker)) return s.line + std::stoi(match[1]) - 1;
  return s.line;
}

std::string sqlstate_part(const db_failure& f) {
  return f.sqlstate.empty() ? std::string() : "SQLSTATE " + f.sqlstate + ": ";
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

struct connection::impl {
  explicit impl(const std::string& dsn) : session(dsn) {}
  detail::pg_session session;
};

connection::connection(const std::string& dsn) {
  try {
    impl_ = std::make_unique<impl>(dsn);
  } catch (const db_failure& f) {
    throw error(error_code::database, std::string("cannot connect to the database: ") + f.what());
  }
}

connection::~connection() = default;

struct engine::impl {
  impl(std::unique_ptr<connection> conn, const module_set& set, engine_options options)
      : conn(std::move(conn)),
        session(this->conn->impl_->session),
        history(session, options.table),
        set(set),
        options(std::move(options)) {
    for (const auto& m : set.migrations) by_version[m.version] = &m;
    std::string setup;
    if (this->options.statement_timeout)
      setup += "SET statement_timeout = " + std::to_string(this->options.statement_timeout->count()) + ";";
    if (this->options.db_lock_timeout)
      setup += "SET lock_timeout = " + std::to_string(this->options.db_lock_timeout->count()) + ";";
    if (!setup.empty()) session.exec(setup);
  }

  std::unique_ptr<connection> conn;
  detail::pg_session& session;
  detail::history_store history;
  const module_set& set;
  engine_options options;
  std::map<std::int64_t, const migration*> by_version;

  status_report status_of(const history_snapshot& snap) const;
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
  void execute_in_transaction(const migration& m, const std::vector<statement>& statements,
                              const std::string& bookkeeping, direction dir, run_report& done);
  void execute_without_transaction(const migration& m, const std::vector<statement>& statements,
                                   direction dir, run_report& done);
  [[noreturn]] void fail_with_statement(const migration& m, const std::vector<statement>& statements,
                                        direction dir, const db_failure& original, run_report& done);
};

status_report engine::impl::status_of(const history_snapshot& snap) const {
  status_report report;
  report.history_exists = snap.exists;
  std::map<std::int64_t, migration_status> rows;
  for (const auto& m : set.migrations) {
    migration_status s;
    s.module = m.module;
    s.version = m.version;
    s.name = m.name;
    s.path = m.path;
    s.state = migration_state::pending;
    rows.insert_or_assign(rows.end(), m.version, std::move(s));  // the set is sorted by version: O(1)
  }
  std::vector<std::int64_t> applied_versions;  // sorted: one lookup per side-table row
  applied_versions.reserve(snap.applied.size());
  for (const auto& a : snap.applied) {
    applied_versions.push_back(a.version);
    auto& s = rows[a.version];
    s.version = a.version;
    s.applied_at = a.applied_at;
    auto file = by_version.find(a.version);
    s.state = file == by_version.end() ? migration_state::unknown : migration_state::applied;
    report.current_version = std::max(report.current_version, a.version);
  }
  std::sort(applied_versions.begin(), applied_versions.end());
  for (const auto& [version, meta] : snap.meta) {
    auto& s = rows[version];
    s.version = version;
    s.recorded_module = meta.module;
    if (s.module.empty() && meta.module) s.module = *meta.module;
    if (s.name.empty() && meta.name) s.name = *meta.name;
    s.statements_done = meta.statements_done;
    s.statements_total = meta.statements_total;
    s.has_checksum = meta.checksum.has_value();
    auto file = by_version.find(version);
    const bool applied = std::binary_search(applied_versions.begin(), applied_versions.end(), version);
    if (meta.dirty && !applied) {
      s.state = migration_state::dirty;
    } else if (!applied) {
      // A side-table row left without goose's row (goose rolled it back): pending again.
      s.has_checksum = false;
    } else if (file != by_version.end() && meta.checksum && *meta.checksum != file->second->checksum) {
      s.state = migration_state::modified;
    }
    if (meta.module) {
      const module_spec* owner = set.module_for_version(version);
      if (owner && owner->name != *meta.module)
        report.namespace_conflicts.push_back(
            "version " + std::to_string(version) + " was applied by module '" + *meta.module +
            "' but modules.yaml now gives namespace " + std::to_string(owner->first_version()) + "-" +
            std::to_string(owner->last_version()) + " to module '" + owner->name + "'");
    }
  }
  for (auto& [version, s] : rows) {
    if ((s.state == migration_state::applied || s.state == migration_state::modified) && !s.has_checksum)
      ++report.without_checksum;
    report.migrations.push_back(std::move(s));
  }
  return report;
}

void engine::impl::check_guards(const status_report& status, bool include_dirty) const {
  if (!status.namespace_conflicts.empty()) {
    std::string msg = "refusing to write: the module order changed since these migrations were applied:\n";
    for (const auto& c : status.namespace_conflicts) msg += "  " + c + "\n";
    msg += "A module was inserted, removed or moved in modules.yaml; modules are append-only. "
           "Restore the previous order in modules.yaml and add new modules at the end.";
    throw error(error_code::refused, msg);
  }
  std::vector<const migration_status*> drift;
  for (const auto& s : status.migrations)
    if (s.state == migration_state::modified || (include_dirty && s.state == migration_state::dirty))
      drift.push_back(&s);
  if (drift.empty() || options.allow_drift) return;
  std::string msg = "refusing to migrate: the database does not match its migrations:\n";
  for (const auto* s : drift) {
    msg += "  " + s->module + " " + std::to_string(s->version) + " " + (s->path.empty() ? s->name : s->path);
    if (s->state == migration_state::modified) {
      msg += ": modified since it was applied. Revert the file and put the change in a new migration "
             "(app migrate create " + s->module + " <title>), or pass --allow-drift to go on anyway.\n";
    } else {
      msg += ": dirty: a NO TRANSACTION migration stopped after statement " +
             std::to_string(s->statements_done.value_or(0)) + " of " +
             std::to_string(s->statements_total.value_or(0)) +
             ". Fix the database by hand, then run 'app migrate repair " + std::to_string(s->version) +
             " --mark-applied' or 'app migrate repair " + std::to_string(s->version) + " --mark-rolled-back'.\n";
    }
  }
  msg.pop_back();
  throw error(error_code::refused, msg);
}

void engine::impl::fail_with_statement(const migration& m, const std::vector<statement>& statements,
                                       direction dir, const db_failure& original, run_report& done) {
  const char* what = dir == direction::up ? "up" : "down";
  // The batch ran as one query: find the failing statement by replaying them
  // one at a time in a transaction that is rolled back.
  std::optional<std::size_t> index;
  db_failure failure = original;
  try {
    session.exec("ROLLBACK");
    session.exec("BEGIN");
    for (std::size_t i = 0; i < statements.size() && !index; ++i) {
      try {
        session.exec(statements[i].sql);
      } catch (const db_failure& f) {
        if (f.connection_lost) throw;
        index = i;
        failure = f;
      }
    }
    session.exec("ROLLBACK");
  } catch (const db_failure&) {
    // Diagnosis is best effort: report the original failure.
  }
  std::ostringstream msg;
  if (index) {
    const statement& s = statements[*index];
    msg << m.path << ":" << file_line_of(s, failure.what()) << ": " << describe_short(m) << " failed (" << what
        << ") at statement " << (*index + 1) << " of " << statements.size() << " (\"" << first_line(s.sql)
        << "\"): " << sqlstate_part(failure) << failure.what();
  } else {
    msg << m.path << ": " << describe_short(m) << " failed (" << what << "): " << sqlstate_part(original)
        << original.what();
  }
  msg << "\nNothing of " << describe_short(m) << " was " << (dir == direction::up ? "applied." : "rolled back.");
  throw run_error(error_code::database, msg.str(), done);
}

void engine::impl::execute_in_transaction(const migration& m, const std::vector<statement>& statements,
                                          const std::string& bookkeeping, direction dir, run_report& done) {
  // One round trip: the statements, the history rows and COMMIT in one simple
  // query. On an error the server skips the rest, COMMIT included, and leaves the
  // transaction aborted (fail_with_statement rolls it back).
  try {
    session.exec("BEGIN;\n" + batch_of(statements) + bookkeeping + "COMMIT;");
  } catch (const db_failure& f) {
    if (f.connection_lost)
      throw run_error(error_code::in_doubt,
                      describe(m) + ": the connection was lost while its statements and COMMIT were running (" +
                          f.what() + "), so whether it was " + (dir == direction::up ? "applied" : "rolled back") +
                          " is unknown. The change and its history row are committed together or not at all: "
                          "run 'app migrate status' once the database is reachable, then run the command again.",
                      done);
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
      session.exec(statements[i].sql);
      history.update_progress(m.version, i + 1);
    } catch (const db_failure& f) {
      const statement& s = statements[i];
      std::ostringstream msg;
      msg << m.path << ":" << file_line_of(s, f.what()) << ": " << describe_short(m)
          << (f.connection_lost ? " lost the connection to the database (" : " failed (")
          << (dir == direction::up ? "up" : "down") << ", NO TRANSACTION) at statement " << (i + 1) << " of "
          << total << " (\"" << first_line(s.sql) << "\"): " << sqlstate_part(f) << f.what() << "\n";
      if (i > 0) msg << "Statements 1.." << i << " ran and stay applied.";
      // The statement (or the progress update after it) was in flight: it may have run.
      if (f.connection_lost)
        msg << (i > 0 ? " " : "") << "Whether statement " << (i + 1) << " ran is unknown.";
      else if (i == 0)
        msg << "No statement of it ran.";
      msg << " The version is marked dirty: fix the database by hand, then run 'app migrate repair "
          << m.version << " --mark-applied' or '--mark-rolled-back'.";
      throw run_error(error_code::database, msg.str(), done);
    }
  }
  const std::string bookkeeping = dir == direction::up
                                      ? history.record_applied_sql(m, total)
                                      : history.record_rolled_back_sql(m.version);
  try {
    session.exec("BEGIN;\n" + bookkeeping + "COMMIT;");
  } catch (const db_failure& f) {
    const std::string repair = "'app migrate repair " + std::to_string(m.version) +
                               (dir == direction::up ? " --mark-applied'" : " --mark-rolled-back'");
    // The history rows and their COMMIT were in flight: they may have been recorded.
    if (f.connection_lost)
      throw run_error(error_code::in_doubt,
                      describe(m) + ": every statement ran, but the connection to the database was lost while "
                          "recording it (" + f.what() + "), so whether it is recorded as " +
                          (dir == direction::up ? "applied" : "rolled back") +
                          " is unknown. Run 'app migrate status' once the database is reachable: if the version "
                          "is dirty, run " + repair + ".",
                      done);
    throw run_error(error_code::database,
                    describe(m) + ": every statement ran but recording it failed: " + sqlstate_part(f) + f.what() +
                        "\nThe version stays dirty; check it, then run " + repair + ".",
                    done);
  }
}

step_result engine::impl::execute(const plan_step& step, run_report& done) {
  const migration& m = *step.file;
  const auto start = std::chrono::steady_clock::now();
  const auto& statements = step.dir == direction::up ? m.body().up : m.body().down;
  if (m.body().use_transaction) {
    const std::string bookkeeping =
        step.dir == direction::up ? history.record_applied_batch_sql(m, static_cast<int>(statements.size()))
                                  : history.record_rolled_back_sql(m.version);
    execute_in_transaction(m, statements, bookkeeping, step.dir, done);
  } else {
    execute_without_transaction(m, statements, step.dir, done);
  }
  return step_result{step.dir, m.module, m.version, m.name,
                     std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)};
}

engine::engine(const std::string& dsn, const module_set& set, engine_options options)
    : engine(std::make_unique<connection>(dsn), set, std::move(options)) {}

engine::engine(std::unique_ptr<connection> conn, const module_set& set, engine_options options) {
  try {
    impl_ = std::make_unique<impl>(std::move(conn), set, std::move(options));
  } catch (const db_failure& f) {
    throw error(error_code::database, std::string("setting up the migration session: ") + f.what());
  }
}

engine::~engine() = default;

namespace {

// Every database failure outside a migration step (reading history, the lock,
// repair) becomes a database error here.
template <typename F>
auto translated(const char* doing, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const db_failure& e) {
    throw error(error_code::database, std::string(doing) + ": " + sqlstate_part(e) + e.what());
  }
}

}  // namespace

std::vector<plan_step> engine::plan(const plan_request& request) {
  return translated("planning", [&] {
    auto snap = impl_->history.read();
    impl_->check_guards(impl_->status_of(snap));
    return impl_->plan_from(snap, request);
  });
}

run_report engine::run(const plan_request& request, run_observer* observer) {
  run_report report;
  // Like goose: look before taking the lock, so replicas with nothing to do never
  // queue behind a long migration.
  // A dirty version is judged under the lock only: a dirty version is pending to
  // the planner, so it always leads there.
  auto applied_versions = [](const detail::history_snapshot& snap) {
    std::set<std::int64_t> applied;
    for (const auto& a : snap.applied) applied.insert(a.version);
    return applied;
  };
  auto highest = [](const std::set<std::int64_t>& v) { return v.empty() ? std::int64_t{0} : *v.rbegin(); };
  bool work = translated("reading the migration history", [&] {
    auto snap = impl_->history.read();
    impl_->check_guards(impl_->status_of(snap), /*include_dirty=*/false);
    report.current_version = highest(applied_versions(snap));
    return !impl_->plan_from(snap, request).empty();
  });
  if (!work) return report;

  try {
    detail::advisory_lock lock(impl_->session, impl_->options.lock_key, impl_->options.lock_timeout, [&] {
      if (observer) observer->waiting_for_lock();
    });
    report.waited_for_lock = lock.waited();
    impl_->history.ensure();
    impl_->history.prepare_recording();
    // Another runner may have done the work while we waited: plan again under the lock.
    auto snap = impl_->history.read();
    impl_->check_guards(impl_->status_of(snap));
    auto applied = applied_versions(snap);
    report.current_version = highest(applied);
    for (const auto& step : impl_->plan_from(snap, request)) {
      if (observer) observer->step_started(step);
      report.steps.push_back(impl_->execute(step, report));
      if (step.dir == direction::up) applied.insert(step.version);
      else applied.erase(step.version);
      report.current_version = highest(applied);
      if (observer) observer->step_finished(report.steps.back());
    }
  } catch (const db_failure& e) {
    throw run_error(error_code::database,
                    std::string("migration run failed: ") +
                        (e.connection_lost ? "the connection to the database was lost: " : "") + sqlstate_part(e) +
                        e.what(),
                    report);
  }
  return report;
}

status_report engine::status() {
  return translated("reading the migration history", [&] { return impl_->status_of(impl_->history.read()); });
}

std::size_t engine::repair_checksums() {
  return translated("recording checksums", [&] {
    auto snap = impl_->history.read();
    auto status = impl_->status_of(snap);
    if (!status.namespace_conflicts.empty()) impl_->check_guards(status);
    detail::advisory_lock lock(impl_->session, impl_->options.lock_key, impl_->options.lock_timeout, nullptr);
    impl_->history.ensure();
    std::size_t recorded = 0;
    for (const auto& s : impl_->status_of(impl_->history.read()).migrations) {
      if (s.state != migration_state::applied || s.has_checksum) continue;
      impl_->history.record_checksum(*impl_->by_version.at(s.version));
      ++recorded;
    }
    return recorded;
  });
}

void engine::repair_mark_applied(std::int64_t version) {
  translated("repairing", [&] {
    detail::advisory_lock lock(impl_->session, impl_->options.lock_key, impl_->options.lock_timeout, nullptr);
    impl_->history.ensure();
    auto it = impl_->by_version.find(version);
    impl_->history.force_applied(it == impl_->by_version.end() ? nullptr : it->second, version);
  });
}

void engine::repair_mark_rolled_back(std::int64_t version) {
  translated("repairing", [&] {
    detail::advisory_lock lock(impl_->session, impl_->options.lock_key, impl_->options.lock_timeout, nullptr);
    impl_->history.ensure();
    impl_->history.force_rolled_back(version);
  });
}

}  // namespace migrator
