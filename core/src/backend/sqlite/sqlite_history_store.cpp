// The SQLite history store: goose v3's sqlite3-dialect table (id, version_id,
// is_applied, tstamp) exactly as goose creates and reads it, plus the side
// table "<table>_meta" for what goose lacks, as on PostgreSQL. Records are
// plain statements on the engine's session, inside the transaction the engine
// opened: a migration and its history rows commit together.
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "backend/history_rows.h"
#include "migrator/sqlite.h"
#include "support/host_name.h"

namespace migrator {

namespace {

// SQLite has no database users: the operating system's user who ran it.
std::string this_user() {
  if (const passwd* pw = getpwuid(geteuid())) return pw->pw_name;
  const char* user = std::getenv("USER");
  return user ? user : "";
}

class sqlite_history_store : public history_store {
 public:
  sqlite_history_store(session& s, const std::string& table)
      : session_(s), host_(detail::host_name()), user_(this_user()) {
    const auto dot = table.find('.');
    schema_ = dot == std::string::npos ? "main" : table.substr(0, dot);
    table_name_ = dot == std::string::npos ? table : table.substr(dot + 1);
    table_ = s.quote_name(schema_) + "." + s.quote_name(table_name_);
    meta_ = s.quote_name(schema_) + "." + s.quote_name(table_name_ + "_meta");
    repeatable_ = s.quote_name(schema_) + "." + s.quote_name(repeatable_table_of(table_name_));
  }

  history_snapshot read() override {
    history_snapshot snap;
    snap.exists = table_exists(table_name_);
    if (!snap.exists) return snap;
    // goose v3 deletes the row on down; older goose appended is_applied = 0 rows.
    // The latest row of a version decides, which reads both.
    auto rows = session_.exec("SELECT id, version_id, is_applied, ifnull(strftime('%Y-%m-%d %H:%M:%S', tstamp), '') "
                              "FROM " + table_ + " ORDER BY id");
    snap.applied = detail::applied_from_goose_rows(rows);
    if (table_exists(table_name_ + "_meta")) {
      auto meta = session_.exec(detail::meta_rows_sql(meta_));
      detail::meta_from_rows(meta, snap.meta);
    }
    if (table_exists(repeatable_table_of(table_name_))) {
      auto rows = session_.exec(
          detail::repeatable_rows_sql(repeatable_, "ifnull(strftime('%Y-%m-%d %H:%M:%S', applied_at), '')"));
      detail::repeatables_from_rows(rows, snap.repeatables);
    }
    return snap;
  }

  void ensure_repeatables() override {
    session_.exec("CREATE TABLE IF NOT EXISTS " + repeatable_ + " (\n"
                  "  module TEXT NOT NULL,\n"
                  "  name TEXT NOT NULL,\n"
                  "  checksum TEXT NOT NULL,\n"
                  "  known_version INTEGER NOT NULL DEFAULT 0,\n"
                  "  applied_by TEXT,\n"
                  "  applied_host TEXT,\n"
                  "  applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),\n"
                  "  PRIMARY KEY (module, name))");
  }

  void record_repeatable(const migration& m) override {
    session_.exec_params("INSERT INTO " + repeatable_ + " (module, name, checksum, applied_by, applied_host, "
                         "known_version) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (module, name) DO UPDATE SET "
                         "checksum = excluded.checksum, known_version = excluded.known_version, "
                         "applied_by = excluded.applied_by, applied_host = excluded.applied_host, "
                         "applied_at = strftime('%Y-%m-%d %H:%M:%f', 'now')",
                         {m.module, m.name, m.checksum, user_, host_, std::to_string(m.known_version)});
  }

  void forget_repeatable(const migration& m) override {
    session_.exec_params("DELETE FROM " + repeatable_ + " WHERE module = $1 AND name = $2", {m.module, m.name});
  }

  void ensure() override {
    if (table_exists(table_name_) && table_exists(table_name_ + "_meta")) return;
    // IMMEDIATE: the write lock first, so two first runs cannot both create the table.
    session_.exec("BEGIN IMMEDIATE");
    try {
      if (!table_exists(table_name_)) {
        // goose's sqlite3 dialect DDL and its version-0 row: goose reads this table as its own.
        session_.exec("CREATE TABLE " + table_ + " (\n"
                      "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
                      "  version_id INTEGER NOT NULL,\n"
                      "  is_applied INTEGER NOT NULL,\n"
                      "  tstamp TIMESTAMP DEFAULT (datetime('now')));\n"
                      "INSERT INTO " + table_ + " (version_id, is_applied) VALUES (0, 1)");
      }
      session_.exec("CREATE TABLE IF NOT EXISTS " + meta_ + " (\n"
                    "  version_id INTEGER PRIMARY KEY,\n"
                    "  module TEXT,\n"
                    "  name TEXT,\n"
                    "  checksum TEXT,\n"
                    "  state TEXT NOT NULL DEFAULT 'applied' CHECK (state IN ('applied', 'dirty')),\n"
                    "  statements_done INTEGER,\n"
                    "  statements_total INTEGER,\n"
                    "  duration_ms REAL,\n"
                    "  applied_by TEXT,\n"
                    "  applied_host TEXT,\n"
                    "  recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')))");
      session_.exec("COMMIT");
    } catch (...) {
      migrator::rollback_quietly(session_);
      throw;
    }
  }

  void record_applied(const migration& m, int statements) override {
    session_.exec_params("INSERT INTO " + table_ + " (version_id, is_applied) VALUES ($1, 1)",
                         {std::to_string(m.version)});
    upsert_meta(m, "applied", statements, statements);
  }

  void record_rolled_back(std::int64_t version) override {
    const std::vector<field> v{std::to_string(version)};
    session_.exec_params("DELETE FROM " + table_ + " WHERE version_id = $1", v);
    session_.exec_params("DELETE FROM " + meta_ + " WHERE version_id = $1", v);
  }

  void mark_dirty(const migration& m, int statements_done, int statements_total) override {
    upsert_meta(m, "dirty", statements_done, statements_total);
  }

  void update_progress(std::int64_t version, int statements_done) override {
    session_.exec_params("UPDATE " + meta_ + " SET statements_done = $1, recorded_at = strftime('%Y-%m-%d %H:%M:%f', "
                         "'now') WHERE version_id = $2",
                         {std::to_string(statements_done), std::to_string(version)});
  }

  void record_checksum(const migration& m) override {
    session_.exec_params("INSERT INTO " + meta_ + " (version_id, module, name, checksum, state, applied_by, "
                         "applied_host) VALUES ($1, $2, $3, $4, 'applied', $5, $6) ON CONFLICT (version_id) DO "
                         "UPDATE SET module = excluded.module, name = excluded.name, checksum = excluded.checksum",
                         {std::to_string(m.version), m.module, m.name, m.checksum, user_, host_});
  }

  void force_applied(const migration* m, std::int64_t version) override {
    in_transaction([&] {
      const std::vector<field> v{std::to_string(version)};
      session_.exec_params("DELETE FROM " + table_ + " WHERE version_id = $1", v);
      session_.exec_params("INSERT INTO " + table_ + " (version_id, is_applied) VALUES ($1, 1)", v);
      if (m) {
        const int statements = static_cast<int>(m->body().up.size());
        upsert_meta(*m, "applied", statements, statements);
      } else {
        session_.exec_params("UPDATE " + meta_ + " SET state = 'applied' WHERE version_id = $1", v);
      }
    });
  }

  void force_rolled_back(std::int64_t version) override {
    in_transaction([&] { record_rolled_back(version); });
  }

 private:
  bool table_exists(const std::string& name) {
    return session_
        .exec_params("SELECT count(*) FROM " + session_.quote_name(schema_) +
                         ".sqlite_master WHERE type = 'table' AND name = $1",
                     {name})
        .boolean(0, 0);
  }

  void upsert_meta(const migration& m, const char* state, int done, int total) {
    session_.exec_params(
        "INSERT INTO " + meta_ + " (version_id, module, name, checksum, state, statements_done, statements_total, "
        "applied_by, applied_host) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (version_id) DO UPDATE "
        "SET module = excluded.module, name = excluded.name, checksum = excluded.checksum, state = excluded.state, "
        "statements_done = excluded.statements_done, statements_total = excluded.statements_total, "
        "applied_by = excluded.applied_by, applied_host = excluded.applied_host, "
        "recorded_at = strftime('%Y-%m-%d %H:%M:%f', 'now')",
        {std::to_string(m.version), m.module, m.name, m.checksum, std::string(state), std::to_string(done),
         std::to_string(total), user_, host_});
  }

  template <typename F>
  void in_transaction(F&& f) {
    session_.exec("BEGIN IMMEDIATE");
    try {
      f();
      session_.exec("COMMIT");
    } catch (...) {
      migrator::rollback_quietly(session_);
      throw;
    }
  }

  session& session_;
  std::string schema_;      // "main" unless the table is schema-qualified
  std::string table_name_;  // unquoted, without the schema
  std::string table_;       // quoted and qualified
  std::string meta_;
  std::string repeatable_;
  std::string host_;
  std::string user_;
};

}  // namespace

std::unique_ptr<history_store> make_sqlite_history_store(session& s, const std::string& table) {
  return std::make_unique<sqlite_history_store>(s, table);
}

}  // namespace migrator
