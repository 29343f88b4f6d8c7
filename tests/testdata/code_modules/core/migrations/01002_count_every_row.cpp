// Visits all 100,000 rows of code_items in batches of 1000, adding 1 to each
// row's counter: after any number of kills and resumes every counter must be 1.
// From batch 31 on, each batch reads code_gate_batches, which a test locks to
// stop it there.
#include <migrator/batches.h>
#include <migrator/code_migration.h>

namespace {

void up(migrator::code_connection& db) {
  migrator::batch_options options;
  options.table = "code_items";
  options.batch_size = 1000;
  migrator::process_in_batches(db, options, [](migrator::code_transaction& tx, const migrator::batch& b) {
    if (b.number > 30) tx.exec("SELECT count(*) FROM code_gate_batches");
    tx.exec("UPDATE code_items SET processed = processed + 1 WHERE id BETWEEN $1 AND $2", {b.first_key, b.last_key});
  });
}

void down(migrator::code_connection& db) { db.exec("UPDATE code_items SET processed = 0"); }

}  // namespace

MIGRATOR_CODE_MIGRATION_NO_TRANSACTION(up, down);
