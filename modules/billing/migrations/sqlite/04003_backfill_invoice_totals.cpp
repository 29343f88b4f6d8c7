// SQLite counterpart of ../04003_backfill_invoice_totals.cpp (docs/sqlite.md):
// the same backfill in batches of 1000 invoices, each batch its own
// transaction, resumable after a crash. Only the UPDATE differs: SQLite's
// UPDATE takes no table alias, so the correlated subquery names the table.
#include <migrator/batches.h>
#include <migrator/code_migration.h>

namespace {

void up(migrator::code_connection& db) {
  migrator::batch_options batches;
  batches.table = "billing.invoices";
  batches.key = "id";
  batches.where = "total_cents IS NULL";
  batches.batch_size = 1000;
  migrator::process_in_batches(db, batches, [](migrator::code_transaction& tx, const migrator::batch& b) {
    tx.exec(
        "UPDATE billing.invoices SET total_cents = coalesce("
        "(SELECT sum(l.quantity * l.unit_amount) FROM billing.invoice_lines l WHERE l.invoice_id = invoices.id), 0) "
        "WHERE id BETWEEN $1 AND $2 AND total_cents IS NULL",
        {b.first_key, b.last_key});
  });
}

// Back to the state before the backfill: 04002 had no totals.
void down(migrator::code_connection& db) { db.exec("UPDATE billing.invoices SET total_cents = NULL"); }

}  // namespace

MIGRATOR_CODE_MIGRATION_NO_TRANSACTION(up, down);
