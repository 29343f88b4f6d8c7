#include "migrator/batches.h"

#include <algorithm>

#include "migrator/error.h"

namespace migrator {

batch_report process_in_batches(code_connection& db, const batch_options& options,
                                const std::function<void(code_transaction&, const batch&)>& work) {
  if (options.table.empty()) throw error(error_code::usage, "process_in_batches: no table given");
  if (options.batch_size <= 0) throw error(error_code::usage, "process_in_batches: batch_size must be positive");
  const std::string task = options.task.empty() ? options.table : options.task;
  const std::string table = db.quote_qualified(options.table);
  const std::string key = db.quote_name(options.key);
  const std::string filter = options.where.empty() ? "" : " AND (" + options.where + ")";
  const std::string limit = " ORDER BY " + key + " LIMIT " + std::to_string(options.batch_size);

  batch_report report;
  std::optional<std::string> after;
  std::int64_t number = 0;
  if (auto saved = db.saved_position(task)) {
    after = saved->last_key;
    number = saved->steps;
    report.resumed_after = number;
  }
  // For status only: an estimate of the batches left, counted once per run.
  const auto remaining_rows =
      after ? db.exec("SELECT count(*) FROM " + table + " WHERE " + key + " > $1" + filter, {*after}).integer(0, 0)
            : db.exec("SELECT count(*) FROM " + table + " WHERE TRUE" + filter).integer(0, 0);
  const auto estimate = number + (remaining_rows + options.batch_size - 1) / options.batch_size;
  db.record_progress(static_cast<int>(number), static_cast<int>(estimate));

  for (bool more = true; more;) {
    db.in_transaction([&](code_transaction& tx) {
      // The keys of this batch, read in the batch's own transaction.
      const query_result keys =
          after ? tx.exec("SELECT " + key + " FROM " + table + " WHERE " + key + " > $1" + filter + limit, {*after})
                : tx.exec("SELECT " + key + " FROM " + table + " WHERE TRUE" + filter + limit);
      if (keys.empty()) {
        more = false;
        return;
      }
      batch b;
      b.first_key = keys.text(0, 0);
      b.last_key = keys.text(keys.size() - 1, 0);
      b.rows = static_cast<std::int64_t>(keys.size());
      b.number = number + 1;
      work(tx, b);
      db.save_position(tx, task, {b.last_key, b.number});
      // Committed by in_transaction when this returns: only then is the batch counted.
      after = b.last_key;
      number = b.number;
      report.batches += 1;
      report.rows += b.rows;
      more = b.rows == options.batch_size;
    });
    db.record_progress(static_cast<int>(number), static_cast<int>(std::max(estimate, number)));
  }
  return report;
}

}  // namespace migrator
