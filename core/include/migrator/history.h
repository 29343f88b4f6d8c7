// Seam: where history lives. The engine reads a snapshot, then records each
// step through a history_store. The goose table store (postgres.h,
// core/src/backend/postgres/history_store.cpp) is one implementation: goose v3's
// goose_db_version exactly as goose writes it, plus a "<table>_meta" side table
// for what goose lacks. A SQLite store implements the same interface.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "migrator/builds.h"
#include "migrator/migration.h"
#include "migrator/planner.h"

namespace migrator {

// The tables the tool keeps beside a module set's own, for history table `table`:
// goose's table, its "<table>_meta" side table, the "<table>_progress" table
// of resumable code migrations, the "<table>_builds" registry of running builds,
// the "<table>_repeatable" checksums of repeatable migrations and the
// "<table>_digest" digests of the side rows (PostgreSQL's store). Catalog
// comparisons (verify, squash) leave them out.
inline std::vector<std::string> bookkeeping_tables(const std::string& table) {
  return {table, table + "_meta", table + "_progress", table + "_builds", table + "_repeatable", table + "_digest"};
}
// Where repeatable migrations' checksums are recorded (goose's table never holds them).
inline std::string repeatable_table_of(const std::string& table) { return table + "_repeatable"; }
// Where no-transaction code migrations keep their resumable positions.
inline std::string progress_table_of(const std::string& table) { return table + "_progress"; }

struct applied_row {
  std::int64_t version = 0;
  std::int64_t id = 0;     // application order (goose's id); higher = later
  std::string applied_at;  // "YYYY-MM-DD HH:MM:SS"; empty when the row has no finite time
};

// What the store knows beyond goose's row.
struct meta_row {
  std::optional<std::string> module;
  std::optional<std::string> name;
  std::optional<std::string> checksum;  // nullopt for rows written by goose itself
  bool dirty = false;                   // a NO TRANSACTION migration started and did not finish
  std::optional<int> statements_done;
  std::optional<int> statements_total;
};

// What history_store::compare_applied answers.
struct history_comparison {
  bool equal = false;        // the applied history is exactly the expected one
  std::int64_t highest = 0;  // the highest applied version; 0 when none is
};

// A repeatable migration's row: the checksum of the file last applied.
struct repeatable_row {
  std::string checksum;
  std::string applied_at;          // "YYYY-MM-DD HH:MM:SS"
  std::int64_t known_version = 0;  // the applying build's migration::known_version
};

struct history_snapshot {
  bool exists = false;                    // the history table exists
  std::vector<applied_row> applied;       // currently applied versions (never 0), by id
  std::map<std::int64_t, meta_row> meta;  // side rows by version
  // "<table>_repeatable" rows by (module, name); empty when the table does not exist.
  std::map<std::pair<std::string, std::string>, repeatable_row> repeatables{};
  // Set by history_store::read_for_status only: the store proved that every
  // applied version has a file of the set and a side row in state "applied"
  // with that file's module and checksum, and that there is no other side row;
  // `meta` is then left empty.
  bool side_rows_match_files = false;

  std::vector<applied_version> for_planner() const;
};

// History tables a store makes on a session of its own
// (history_store::tables_to_make_aside), while the engine goes on.
class tables_in_making {
 public:
  virtual ~tables_in_making() = default;
  // Starts making them (committed on their own).
  virtual void start() = 0;
  // Returns once they are made, and the store counts them as ensured; throws
  // database_error when they could not be made.
  virtual void wait() = 0;
};

class history_store {
 public:
  virtual ~history_store() = default;

  // Reads everything; a missing table is an empty history (nothing is created).
  virtual history_snapshot read() = 0;
  // Optional capability: what `status` needs of the history for `migrations`
  // (sorted by version), which may leave the side rows unread when they are
  // proved equal to the files (history_snapshot::side_rows_match_files).
  // Not offered: read().
  virtual history_snapshot read_for_status(const std::vector<migration>& /*migrations*/) { return read(); }
  // Optional capability, under the lock, when a run or a repair has ended
  // well: rewrites what read_for_status proves the side rows by.
  virtual void refresh_digests() {}
  // Creates the tables when missing. Called under the migration lock.
  virtual void ensure() = 0;
  // Under the lock: creates the tables (as ensure() does) and reads the history
  // (as read() does). By default the one after the other.
  // Where ensures_in_transaction(), both happen in a transaction begun on the
  // session, in one round trip where the store can, and the transaction is left
  // open (a failure ends it). The engine commits it, or rolls it back and the
  // tables with it: a run that stops before its first step (a malformed file)
  // has then changed nothing.
  virtual history_snapshot ensure_and_read() {
    ensure();
    return read();
  }
  // Optional capability, under the lock, instead of ensure_and_read(): when
  // the history has no tables yet (a fresh database: its history is empty),
  // what makes them on a session of the store's own. The engine starts it once
  // the plan is parsed (a malformed file still changes nothing), sends the
  // first migration's statements meanwhile, and waits for the tables before
  // that migration's history rows or anything else that needs them: the
  // tables' statements no longer hold the migration back.
  // nullptr: not offered, or the tables exist; the engine calls ensure_and_read().
  virtual std::unique_ptr<tables_in_making> tables_to_make_aside() { return nullptr; }
  // Whether ensure_and_read() leaves its transaction to the caller (asked
  // before the lock). Not SQLite's store: its ensure() takes the write lock in
  // a transaction of its own.
  virtual bool ensures_in_transaction() const { return false; }
  // Optional capability: whether the applied history is exactly `migrations`
  // all applied (each version applied, with its module and checksum, and clean),
  // in one round trip that reads only what the comparison needs (no applied-at
  // times, nothing built per row). `up` asks it with its whole set: when equal,
  // every migration is applied, unmodified and clean, and there is nothing to do.
  // nullopt: not offered, or no history yet; the engine then reads the snapshot.
  // Equal also requires each of `repeatables` recorded with its checksum, or by
  // a newer build (a higher known_version); with none, the repeatable table is
  // not consulted.
  virtual std::optional<history_comparison> compare_applied(const std::vector<migration>& /*migrations*/,
                                                            const std::vector<migration>& /*repeatables*/) {
    return std::nullopt;
  }

  // Optional capability: the running builds registered beside the history
  // (builds.h), which contract migrations wait for; empty when none is
  // registered. nullopt: this backend keeps no registry (SQLite), so contract
  // migrations run as soon as they are reached.
  virtual std::optional<std::vector<live_build>> live_builds() { return std::nullopt; }

  // Record a transactional migration's step inside the transaction the engine
  // opened on the same session, after its statements ran and before COMMIT:
  // the change and its history row commit together or not at all.
  virtual void record_applied(const migration& m, int statements) = 0;
  virtual void record_rolled_back(std::int64_t version) = 0;

  // Optional capability: the same records as SQL in the session's dialect, which
  // the engine appends to the migration's statements so BEGIN, statements,
  // history rows and COMMIT travel in one request (one round trip per
  // migration). nullopt: not offered; the engine then calls record_* above.
  virtual std::optional<std::string> record_applied_sql(const migration&, int /*statements*/) { return std::nullopt; }
  virtual std::optional<std::string> record_rolled_back_sql(std::int64_t /*version*/) { return std::nullopt; }
  // Optional, with record_*_sql: SQL the engine puts right after each BEGIN when
  // several migrations travel in one request, so the store can time each one
  // (the server's statement clock is the request's, shared by all of them).
  // Asked for a request's first transaction, then once for its others: the
  // first answer may carry statements the store needs sent once, ahead of
  // its record_*_sql (PostgreSQL's store: its PREPAREs).
  virtual std::optional<std::string> step_started_sql() { return std::nullopt; }

  // Repeatable migrations (migration_role::repeatable), keyed by (module, name).
  // ensure_repeatables creates their table when missing, under the lock, before
  // the first one of a run is applied (a set without any never gets the table).
  // record_repeatable stores the file's checksum inside the engine's transaction,
  // like record_applied; record_repeatable_sql is the same as SQL when offered.
  // forget_repeatable deletes the row (reset ran its Down section).
  virtual void ensure_repeatables() = 0;
  virtual void record_repeatable(const migration& m) = 0;
  virtual std::optional<std::string> record_repeatable_sql(const migration&) { return std::nullopt; }
  virtual void forget_repeatable(const migration& m) = 0;

  // NO TRANSACTION migrations, each call committed on its own: dirty before the
  // first statement, progress after each one. record_* then clears the mark.
  virtual void mark_dirty(const migration& m, int statements_done, int statements_total) = 0;
  virtual void update_progress(std::int64_t version, int statements_done) = 0;

  // Repair, each in its own transaction: adopt a checksum for an applied row
  // that has none; record a version as applied (m may be null when no file has
  // it) or as not applied.
  virtual void record_checksum(const migration& m) = 0;
  virtual void force_applied(const migration* m, std::int64_t version) = 0;
  virtual void force_rolled_back(std::int64_t version) = 0;
};

}  // namespace migrator
