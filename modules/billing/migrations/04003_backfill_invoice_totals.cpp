// Fills billing.invoices.total_cents for the invoices that have none, from
// their lines. A code migration rather than SQL because the table is large in
// production: one UPDATE would hold row locks on every invoice for its whole
// run and could not be resumed. Here each batch of 1000 invoices is its own
// transaction; a crash resumes after the last committed batch.
//
// One file for both backends: migrations/sqlite/04003_backfill_invoice_totals.cpp
// is a symbolic link to it (docs/sqlite.md, "Code migrations"), compiled a second
// time as the SQLite migration. So its SQL is what both accept: SQLite's UPDATE
// takes no table alias, and PostgreSQL's lets the subquery name the table itself.
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
        "(SELECT sum(l.quantity * l.unit_amount) FROM billing.invoice_lines l "
        "WHERE l.invoice_id = invoices.id), 0) "
        "WHERE id BETWEEN $1 AND $2 AND total_cents IS NULL",
        {b.first_key, b.last_key});
  });
}

// Back to the state before the backfill: 04002 had no totals.
void down(migrator::code_connection& db) { db.exec("UPDATE billing.invoices SET total_cents = NULL"); }

}  // namespace

MIGRATOR_CODE_MIGRATION_NO_TRANSACTION(up, down);
