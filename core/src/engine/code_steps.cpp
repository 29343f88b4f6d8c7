// Code migrations (code_migration.h): transactional ones run inside the
// engine's transaction; no-transaction ones get a code_connection, commit as
// they go and keep resumable positions in the progress table.
#include "engine/engine_state.h"
#include "engine/failure_report.h"
#include "migrator/code_migration.h"

namespace migrator {

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
    return code_failure{detail::sqlstate_part(e) + e.what(), e.details(), e.connection_lost()};
  } catch (const std::exception& e) {
    return code_failure{e.what(), {}, false};
  } catch (...) {
    return code_failure{detail::non_standard_exception_cause(), {}, false};
  }
}

}  // namespace

using detail::located;
using detail::step_interrupted;

void engine::impl::execute_code(const migration& m, direction dir, run_report& done) {
  tables_ready();  // records outside a request of its statements
  if (!m.code)
    throw run_error(error_code::plan, detail::code_not_built_in(m), done, located(m, {}, nullptr, std::nullopt));
  if (m.code->use_transaction)
    execute_code_in_transaction(m, dir, done);
  else
    execute_code_without_transaction(m, dir, done);
}

void engine::impl::execute_code_in_transaction(const migration& m, direction dir, run_report& done) {
  // goose runs a missing down as a no-op that still forgets the version: so does this.
  const auto function = dir == direction::up ? m.code->up_in_transaction : m.code->down_in_transaction;
  auto failure = run_code([&] {
    db.exec(begin());  // with the pooled session's SET LOCALs
    code_transaction tx(db);
    if (function) function(tx);
    record(m, 0, dir);
  });
  if (failure) {
    rollback_quietly(db);
    if (interrupted.load() && !failure->connection_lost)
      throw step_interrupted{detail::cancelled_and_rolled_back(m), located(m, failure->server, nullptr, std::nullopt)};
    throw run_error(error_code::database, detail::code_step_failure(m, dir, failure->what), done,
                    located(m, failure->server, nullptr, std::nullopt));
  }
  try {
    db.exec("COMMIT");
  } catch (const database_error& f) {
    if (f.connection_lost())
      throw run_error(error_code::in_doubt, detail::commit_in_doubt(m, dir, f), done,
                      located(m, f.details(), nullptr, std::nullopt));
    rollback_quietly(db);
    throw run_error(error_code::database, detail::commit_failure(m, dir, f), done,
                    located(m, f.details(), nullptr, std::nullopt));
  }
}

void engine::impl::execute_code_without_transaction(const migration& m, direction dir, run_report& done) {
  const auto function = dir == direction::up ? m.code->up_on_connection : m.code->down_on_connection;
  // Portable DDL (PostgreSQL and SQLite): the positions of resumable work.
  db.exec("CREATE TABLE IF NOT EXISTS " + db.quote_qualified(progress_table()) +
          " (version_id bigint NOT NULL, task text NOT NULL, last_key text NOT NULL, steps bigint NOT NULL,"
          " PRIMARY KEY (version_id, task))");
  // As for NO TRANSACTION SQL, from the dirty mark on nothing is cancelled,
  // except a step's own transaction (code_connection::in_transaction), which
  // rolls back whole; after a stop (SIGTERM) no further step starts.
  cancellable.store(false);
  detail::cancellable_again restore{cancellable};
  // Recorded before the code runs: a crash from here on leaves the version dirty.
  history.mark_dirty(m, 0, 0);
  code_connection connection(db, history, m, progress_table(), {&interrupted, &cancellable});
  auto failure = run_code([&] {
    if (function) function(connection);
  });
  // Stopped between steps, or its step in flight cancelled (and rolled back whole).
  if (failure && interrupted.load() && !failure->connection_lost)
    throw step_interrupted{detail::code_stopped(m, connection.steps_done()),
                           located(m, failure->server, nullptr, std::nullopt)};
  if (failure)
    throw run_error(error_code::database,
                    detail::code_no_transaction_failure(m, dir, connection.steps_done(), failure->what,
                                                        failure->connection_lost),
                    done, located(m, failure->server, nullptr, std::nullopt));
  record_after_no_transaction(m, connection.steps_done(), dir, done);
}

}  // namespace migrator
