#include "migrator/code_migration.h"

#include "engine/remedies.h"
#include "migrator/error.h"
#include "migrator/history.h"
#include "migrator/migration.h"

namespace migrator {

code_connection::code_connection(session& db, history_store& history, const migration& m,
                                 std::string progress_table, stop_signals stop)
    : db_(db),
      history_(history),
      migration_(m),
      progress_table_(db.quote_qualified(progress_table)),
      stop_(stop) {}

query_result code_connection::exec(const std::string& sql, const std::vector<field>& params) {
  return db_.exec_params(sql, params);
}

void code_connection::in_transaction(const std::function<void(code_transaction&)>& work) {
  auto refuse_when_stopped = [&] {
    if (!stop_.requested || !stop_.requested->load()) return;
    stopped_ = true;
    throw error(error_code::interrupted, detail::code_step_refused_after_stop());
  };
  refuse_when_stopped();
  // A step is one transaction: cancelling it loses nothing committed. Stored
  // before `requested` is read again (both sequentially consistent): either
  // this sees the stop, or interrupt() sees that it may cancel (if its cancel
  // lands before BEGIN, this step runs whole and the next one is refused).
  struct cancellable_while_here {
    std::atomic<bool>* flag;
    explicit cancellable_while_here(std::atomic<bool>* f) : flag(f) {
      if (flag) flag->store(true);
    }
    ~cancellable_while_here() {
      if (flag) flag->store(false);
    }
  } cancellable{stop_.cancellable};
  refuse_when_stopped();
  db_.exec("BEGIN");
  try {
    code_transaction tx(db_);
    work(tx);
  } catch (...) {
    rollback_quietly(db_);
    throw;
  }
  db_.exec("COMMIT");
}

void code_connection::record_progress(int done, int total) {
  steps_done_ = done;
  // mark_dirty is an upsert that keeps the version dirty: it also records the total.
  history_.mark_dirty(migration_, done, total);
}

std::optional<code_connection::position> code_connection::saved_position(const std::string& task) {
  auto r = db_.exec_params("SELECT last_key, steps FROM " + progress_table_ + " WHERE version_id = $1 AND task = $2",
                           {std::to_string(migration_.version), task});
  if (r.empty()) return std::nullopt;
  return position{r.text(0, 0), r.integer(0, 1)};
}

void code_connection::save_position(code_transaction& tx, const std::string& task, const position& p) {
  tx.exec("INSERT INTO " + progress_table_ +
              " (version_id, task, last_key, steps) VALUES ($1, $2, $3, $4)"
              " ON CONFLICT (version_id, task) DO UPDATE SET last_key = excluded.last_key, steps = excluded.steps",
          {std::to_string(migration_.version), task, p.last_key, std::to_string(p.steps)});
}

std::int64_t code_connection::version() const noexcept { return migration_.version; }

}  // namespace migrator
