// Ten steps, each its own transaction with its saved position, without the
// batch helper: a migration that keeps its own progress. Step 6 on reads
// code_gate_steps, which a test locks to stop it after step 5.
#include <migrator/code_migration.h>

#include <string>

namespace {

void up(migrator::code_connection& db) {
  const int total = 10;
  const auto saved = db.saved_position("steps");
  const int done = saved ? static_cast<int>(saved->steps) : 0;
  db.record_progress(done, total);
  for (int step = done + 1; step <= total; ++step) {
    db.in_transaction([&](migrator::code_transaction& tx) {
      if (step > 5) tx.exec("SELECT count(*) FROM code_gate_steps");
      tx.exec("INSERT INTO code_steps (step) VALUES ($1)", {std::to_string(step)});
      db.save_position(tx, "steps", {std::to_string(step), step});
    });
    db.record_progress(step, total);
  }
}

void down(migrator::code_connection& db) { db.exec("DELETE FROM code_steps"); }

}  // namespace

MIGRATOR_CODE_MIGRATION_NO_TRANSACTION(up, down);
