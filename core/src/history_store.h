// Seam: where history lives. goose v3's table (id, version_id, is_applied,
// tstamp) stays exactly as goose writes and reads it; what goose lacks
// (module, checksum, dirty state, duration, who and where) lives in a side
// table "<table>_meta" that goose never looks at.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "migrator/migration.h"
#include "migrator/planner.h"
#include "pg_session.h"

namespace migrator::detail {

struct applied_row {
  std::int64_t version = 0;
  std::int64_t id = 0;  // goose's id: application order
  std::string applied_at;
};

struct meta_row {
  std::optional<std::string> module;
  std::optional<std::string> name;
  std::optional<std::string> checksum;
  bool dirty = false;
  std::optional<int> statements_done;
  std::optional<int> statements_total;
};

struct history_snapshot {
  bool exists = false;                      // goose's table exists
  std::vector<applied_row> applied;         // currently applied versions (not 0), by id
  std::map<std::int64_t, meta_row> meta;    // side-table rows by version

  std::vector<applied_version> for_planner() const;
  const applied_row* find_applied(std::int64_t version) const;
};

class history_store {
 public:
  history_store(pg_session& session, const std::string& table);

  // Reads everything; a missing table is an empty history (nothing is created).
  history_snapshot read();
  // Creates goose's table with its version-0 row, and the side table, when missing.
  void ensure();

  // Prepares the "record applied" statement for this session (once; after ensure()).
  // From then on record_applied_batch_sql is one EXECUTE: parsing and planning the
  // two INSERTs in every migration's batch cost about 55 us a migration.
  void prepare_recording();
  // SQL fragments the runner puts in the same transaction as the migration itself.
  std::string record_applied_sql(const migration& m, int statements);
  // The same, as an EXECUTE of the prepared statement once prepare_recording() ran.
  std::string record_applied_batch_sql(const migration& m, int statements);
  std::string record_rolled_back_sql(std::int64_t version);
  // Outside a transaction (NO TRANSACTION migrations): dirty bookkeeping.
  void mark_dirty(const migration& m, int statements_done, int statements_total);
  void update_progress(std::int64_t version, int statements_done);
  void record_checksum(const migration& m);
  // Repair: record as applied / forget, in one transaction.
  void force_applied(const migration* m, std::int64_t version);
  void force_rolled_back(std::int64_t version);

 private:
  pg_session& session_;
  std::string table_name_;   // as configured
  std::string table_;        // quoted
  std::string meta_;         // quoted side table
  std::string host_;         // this machine's name, recorded with each row
  bool prepared_ = false;    // prepare_recording() ran on this session
};

}  // namespace migrator::detail
