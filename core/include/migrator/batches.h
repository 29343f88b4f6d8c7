// The common backfill of a no-transaction code migration: walk a table in key
// order, a batch of N rows at a time, each batch in its own transaction that
// also saves the position reached. A run that is killed resumes after the
// last committed batch, so every row is processed once.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "migrator/code_migration.h"

namespace migrator {

struct batch_options {
  // The table to walk, possibly schema-qualified ("billing.invoices"); quoted part by part.
  std::string table;
  // A unique, NOT NULL column that orders the rows (quoted). Default: id
  std::string key = "id";
  // Extra condition on the rows to visit, as SQL (not quoted), e.g. "total_cents IS NULL".
  // Default: every row.
  std::string where;
  // Rows per batch (and per transaction). Default: 1000
  std::int64_t batch_size = 1000;
  // Names the saved position, so one migration can walk several tables. Default: the table.
  std::string task;
};

// The rows of one batch: first_key <= key <= last_key (in the key's order), all
// of them visited in this batch and none before.
struct batch {
  std::string first_key;
  std::string last_key;
  std::int64_t rows = 0;
  std::int64_t number = 0;  // 1-based, counted across resumed runs
};

struct batch_report {
  std::int64_t batches = 0;       // run by this call
  std::int64_t rows = 0;          // visited by this call
  std::int64_t resumed_after = 0;  // batches an earlier run had committed (0: a fresh start)
};

// Runs `work` once per batch, inside the batch's transaction; the position is
// saved in that transaction, and `status` shows "step <batches> of <estimate>".
// A throwing `work` rolls its batch back and the exception goes on (the
// migration stays dirty; the next run resumes at that batch).
batch_report process_in_batches(code_connection& db, const batch_options& options,
                                const std::function<void(code_transaction&, const batch&)>& work);

}  // namespace migrator
