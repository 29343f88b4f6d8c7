// --single-transaction: every step of a run in one transaction with its
// history rows, so a failure leaves nothing of the run (an upgrade from one
// release to the next lands whole or not at all).
#include <algorithm>
#include <chrono>

#include "engine/engine_state.h"
#include "engine/failure_report.h"
#include "migrator/code_migration.h"

namespace migrator {

using detail::located;
using detail::statements_of;
using detail::step_interrupted;

void engine::impl::refuse_outside_one_transaction(const std::vector<plan_step>& steps) const {
  for (const auto& step : steps) {
    if (step.record_only) continue;
    const migration& m = *step.file;
    const bool own_transactions = m.kind == migration_kind::code ? (m.code && !m.code->use_transaction)
                                                                 : !m.body().use_transaction;
    if (own_transactions) throw error(error_code::refused, detail::single_transaction_refusal(m));
  }
}

void engine::impl::execute_as_one_transaction(const std::vector<plan_step>& steps, run_report& done,
                                              run_observer* observer,
                                              const std::function<void(const plan_step&)>& committed_step) {
  tables_ready();  // the one transaction records as it goes
  cancellable.store(true);
  std::vector<step_result> results;
  std::size_t at = 0;  // the step running
  // The migrations among steps [0, end): callbacks run in the same transaction
  // but are not migrations, so the messages do not count them.
  auto migrations_before = [&](std::size_t end) {
    return static_cast<std::size_t>(std::count_if(steps.begin(), steps.begin() + static_cast<std::ptrdiff_t>(end),
                                                  [](const plan_step& s) { return !s.is_callback(); }));
  };
  // Each statement on its own request: a failure then names its statement
  // without the replay a one-request migration needs, and the cost (a round
  // trip a statement) is what all-or-nothing asks for anyway.
  auto fail = [&](const migration& m, direction dir, const std::string& cause, const error_details& server,
                  const std::vector<statement>* statements, std::optional<std::size_t> index,
                  bool connection_lost) {
    rollback_quietly(db);
    const error_details details = located(m, server, statements, index);
    if (interrupted.load() && !connection_lost)
      throw step_interrupted{"the run's transaction was cancelled on the server and rolled back: nothing of it "
                             "remains",
                             details};
    throw run_error(error_code::database,
                    detail::single_transaction_failure(m, dir, cause, statements, index, details.line, migrations_before(at)), done,
                    details);
  };
  if (std::any_of(steps.begin(), steps.end(), [](const plan_step& s) { return s.file->role == migration_role::repeatable; }))
    history.ensure_repeatables();
  db.exec(begin());
  for (at = 0; at < steps.size(); ++at) {
    const plan_step& step = steps[at];
    const migration& m = *step.file;
    if (observer && !step.is_callback()) observer->step_started(step);
    const auto start = std::chrono::steady_clock::now();
    if (step.record_only) {
      try {
        history.record_applied(m, 0);
      } catch (const database_error& f) {
        fail(m, step.dir, detail::sqlstate_part(f) + f.what(), f.details(), nullptr, std::nullopt, f.connection_lost());
      }
    } else if (m.kind == migration_kind::code) {
      if (!m.code)
        throw run_error(error_code::plan, detail::code_not_built_in(m), done, located(m, {}, nullptr, std::nullopt));
      const auto function = step.dir == direction::up ? m.code->up_in_transaction : m.code->down_in_transaction;
      try {
        code_transaction tx(db);
        if (function) function(tx);
        record(m, 0, step.dir);
      } catch (const database_error& f) {
        fail(m, step.dir, detail::sqlstate_part(f) + f.what(), f.details(), nullptr, std::nullopt, f.connection_lost());
      } catch (const std::exception& e) {
        fail(m, step.dir, e.what(), {}, nullptr, std::nullopt, false);
      }
    } else {
      const auto& statements = statements_of(step);
      std::size_t i = 0;
      try {
        for (; i < statements.size(); ++i) db.exec(statements[i].sql);
        record(m, static_cast<int>(statements.size()), step.dir);
      } catch (const database_error& f) {
        const bool in_statement = i < statements.size();
        fail(m, step.dir, detail::sqlstate_part(f) + f.what(), f.details(), in_statement ? &statements : nullptr,
             in_statement ? std::optional<std::size_t>(i) : std::nullopt, f.connection_lost());
      }
    }
    results.push_back(detail::result_of(
        step, std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)));
  }
  try {
    db.exec("COMMIT");
  } catch (const database_error& f) {
    if (f.connection_lost())
      throw run_error(error_code::in_doubt, detail::single_transaction_in_doubt(migrations_before(steps.size()), f), done, f.details());
    rollback_quietly(db);
    throw run_error(error_code::database,
                    "--single-transaction: the run's COMMIT failed: " + detail::sqlstate_part(f) + f.what() +
                        "\nNothing of the run was applied.",
                    done, f.details());
  }
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].is_callback()) continue;  // callbacks are no steps of the report
    done.steps.push_back(results[i]);
    committed_step(steps[i]);
    if (observer) observer->step_finished(done.steps.back());
  }
}

}  // namespace migrator
