// The SQLite session on libsqlite3: the only file that runs SQL on SQLite for
// the engine, the history store and the lock.
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "migrator/log.h"
#include "migrator/sqlite.h"

namespace migrator {

namespace {

// SQLite's result codes by name: what a reader searches the SQLite docs for.
// Extended codes first; an unknown extended code falls back to its primary one.
const char* result_code_name(int code) {
  switch (code) {
    case SQLITE_ERROR_MISSING_COLLSEQ: return "SQLITE_ERROR_MISSING_COLLSEQ";
    case SQLITE_ERROR_RETRY: return "SQLITE_ERROR_RETRY";
    case SQLITE_ERROR_SNAPSHOT: return "SQLITE_ERROR_SNAPSHOT";
    case SQLITE_BUSY_RECOVERY: return "SQLITE_BUSY_RECOVERY";
    case SQLITE_BUSY_SNAPSHOT: return "SQLITE_BUSY_SNAPSHOT";
    case SQLITE_BUSY_TIMEOUT: return "SQLITE_BUSY_TIMEOUT";
    case SQLITE_LOCKED_SHAREDCACHE: return "SQLITE_LOCKED_SHAREDCACHE";
    case SQLITE_LOCKED_VTAB: return "SQLITE_LOCKED_VTAB";
    case SQLITE_READONLY_RECOVERY: return "SQLITE_READONLY_RECOVERY";
    case SQLITE_READONLY_CANTLOCK: return "SQLITE_READONLY_CANTLOCK";
    case SQLITE_READONLY_ROLLBACK: return "SQLITE_READONLY_ROLLBACK";
    case SQLITE_READONLY_DBMOVED: return "SQLITE_READONLY_DBMOVED";
    case SQLITE_READONLY_CANTINIT: return "SQLITE_READONLY_CANTINIT";
    case SQLITE_READONLY_DIRECTORY: return "SQLITE_READONLY_DIRECTORY";
    case SQLITE_IOERR_READ: return "SQLITE_IOERR_READ";
    case SQLITE_IOERR_SHORT_READ: return "SQLITE_IOERR_SHORT_READ";
    case SQLITE_IOERR_WRITE: return "SQLITE_IOERR_WRITE";
    case SQLITE_IOERR_FSYNC: return "SQLITE_IOERR_FSYNC";
    case SQLITE_IOERR_TRUNCATE: return "SQLITE_IOERR_TRUNCATE";
    case SQLITE_IOERR_DELETE: return "SQLITE_IOERR_DELETE";
    case SQLITE_IOERR_NOMEM: return "SQLITE_IOERR_NOMEM";
    case SQLITE_IOERR_LOCK: return "SQLITE_IOERR_LOCK";
    case SQLITE_CANTOPEN_NOTEMPDIR: return "SQLITE_CANTOPEN_NOTEMPDIR";
    case SQLITE_CANTOPEN_ISDIR: return "SQLITE_CANTOPEN_ISDIR";
    case SQLITE_CANTOPEN_FULLPATH: return "SQLITE_CANTOPEN_FULLPATH";
    case SQLITE_CORRUPT_VTAB: return "SQLITE_CORRUPT_VTAB";
    case SQLITE_CORRUPT_SEQUENCE: return "SQLITE_CORRUPT_SEQUENCE";
    case SQLITE_CORRUPT_INDEX: return "SQLITE_CORRUPT_INDEX";
    case SQLITE_CONSTRAINT_CHECK: return "SQLITE_CONSTRAINT_CHECK";
    case SQLITE_CONSTRAINT_COMMITHOOK: return "SQLITE_CONSTRAINT_COMMITHOOK";
    case SQLITE_CONSTRAINT_FOREIGNKEY: return "SQLITE_CONSTRAINT_FOREIGNKEY";
    case SQLITE_CONSTRAINT_FUNCTION: return "SQLITE_CONSTRAINT_FUNCTION";
    case SQLITE_CONSTRAINT_NOTNULL: return "SQLITE_CONSTRAINT_NOTNULL";
    case SQLITE_CONSTRAINT_PRIMARYKEY: return "SQLITE_CONSTRAINT_PRIMARYKEY";
    case SQLITE_CONSTRAINT_TRIGGER: return "SQLITE_CONSTRAINT_TRIGGER";
    case SQLITE_CONSTRAINT_UNIQUE: return "SQLITE_CONSTRAINT_UNIQUE";
    case SQLITE_CONSTRAINT_VTAB: return "SQLITE_CONSTRAINT_VTAB";
    case SQLITE_CONSTRAINT_ROWID: return "SQLITE_CONSTRAINT_ROWID";
    case SQLITE_CONSTRAINT_PINNED: return "SQLITE_CONSTRAINT_PINNED";
    case SQLITE_CONSTRAINT_DATATYPE: return "SQLITE_CONSTRAINT_DATATYPE";
    default: break;
  }
  switch (code & 0xff) {
    case SQLITE_ERROR: return "SQLITE_ERROR";
    case SQLITE_INTERNAL: return "SQLITE_INTERNAL";
    case SQLITE_PERM: return "SQLITE_PERM";
    case SQLITE_ABORT: return "SQLITE_ABORT";
    case SQLITE_BUSY: return "SQLITE_BUSY";
    case SQLITE_LOCKED: return "SQLITE_LOCKED";
    case SQLITE_NOMEM: return "SQLITE_NOMEM";
    case SQLITE_READONLY: return "SQLITE_READONLY";
    case SQLITE_INTERRUPT: return "SQLITE_INTERRUPT";
    case SQLITE_IOERR: return "SQLITE_IOERR";
    case SQLITE_CORRUPT: return "SQLITE_CORRUPT";
    case SQLITE_NOTFOUND: return "SQLITE_NOTFOUND";
    case SQLITE_FULL: return "SQLITE_FULL";
    case SQLITE_CANTOPEN: return "SQLITE_CANTOPEN";
    case SQLITE_PROTOCOL: return "SQLITE_PROTOCOL";
    case SQLITE_SCHEMA: return "SQLITE_SCHEMA";
    case SQLITE_TOOBIG: return "SQLITE_TOOBIG";
    case SQLITE_CONSTRAINT: return "SQLITE_CONSTRAINT";
    case SQLITE_MISMATCH: return "SQLITE_MISMATCH";
    case SQLITE_MISUSE: return "SQLITE_MISUSE";
    case SQLITE_RANGE: return "SQLITE_RANGE";
    case SQLITE_NOTADB: return "SQLITE_NOTADB";
    default: return "SQLITE_ERROR";
  }
}

// The 1-based character (not byte) of `byte_offset` in `sql`, as PostgreSQL counts.
int character_position(const char* sql, int byte_offset) {
  int characters = 0;
  for (int i = 0; i <= byte_offset && sql[i]; ++i)
    if ((static_cast<unsigned char>(sql[i]) & 0xC0) != 0x80) ++characters;
  return characters;
}

[[noreturn]] void fail(sqlite3* db, int code, const char* statement_start) {
  error_details d;
  d.sqlstate = result_code_name(code);
  d.server_message = db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  const int offset = db ? sqlite3_error_offset(db) : -1;
  if (offset >= 0 && statement_start) d.position = character_position(statement_start, offset);
  throw database_error(d.server_message, d, false);
}

bool starts_with_word(const char* sql, const char* word) {
  while (*sql && std::isspace(static_cast<unsigned char>(*sql))) ++sql;
  for (; *word; ++word, ++sql)
    if (std::tolower(static_cast<unsigned char>(*sql)) != *word) return false;
  return !std::isalnum(static_cast<unsigned char>(*sql)) && *sql != '_';
}

using statement_ptr = std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)>;

class sqlite_session : public session {
 public:
  sqlite_session(const std::string& path, const std::vector<sqlite_attachment>& attachments,
                 std::chrono::milliseconds busy_timeout) {
    const int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc != SQLITE_OK) {
      error_details d;
      d.sqlstate = result_code_name(db_ ? sqlite3_extended_errcode(db_) : rc);
      d.server_message = "cannot open the SQLite database " + path + ": " +
                         (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
      if (db_) sqlite3_close_v2(db_);
      db_ = nullptr;
      throw database_error(d.server_message, d, true);
    }
    try {
      set_up(path, attachments, busy_timeout);
    } catch (...) {
      sqlite3_close_v2(db_);
      db_ = nullptr;
      throw;
    }
  }
  ~sqlite_session() override {
    if (db_) sqlite3_close_v2(db_);
  }
  sqlite_session(const sqlite_session&) = delete;
  sqlite_session& operator=(const sqlite_session&) = delete;

  void set_up(const std::string& path, const std::vector<sqlite_attachment>& attachments,
              std::chrono::milliseconds busy_timeout) {
    sqlite3_extended_result_codes(db_, 1);
    // Not sqlite3_busy_timeout: its wait for another connection's lock cannot
    // be cut short, so a SIGTERM would wait out the whole timeout (5 minutes by
    // default). This handler waits in short slices and gives up on cancel().
    busy_timeout_ = busy_timeout;
    sqlite3_busy_handler(db_, &sqlite_session::on_busy, this);
    const int max_attached = sqlite3_limit(db_, SQLITE_LIMIT_ATTACHED, -1);
    if (static_cast<int>(attachments.size()) > max_attached)
      throw database_error("SQLite attaches at most " + std::to_string(max_attached) +
                               " databases (SQLITE_MAX_ATTACHED) and this set needs " +
                               std::to_string(attachments.size()) + " (one per module schema; docs/sqlite.md)",
                           {}, false);
    for (const auto& a : attachments)
      exec_params("ATTACH DATABASE $1 AS " + quote_name(a.schema), {a.path});
    if (path != ":memory:") refuse_wal("main", path);
    for (const auto& a : attachments)
      if (a.path != ":memory:") refuse_wal(a.schema, a.path);
  }

  // From another thread (engine::interrupt): a statement waiting for a lock
  // gives up with SQLITE_BUSY, a running one stops with SQLITE_INTERRUPT; the
  // engine then rolls back. The stop is not forgotten: the run is ending.
  void cancel() noexcept override {
    cancelled_.store(true);
    sqlite3_interrupt(db_);
  }

  query_result exec(const std::string& sql) override {
    query_result last;
    const char* next = sql.c_str();
    while (*next) {
      sqlite3_stmt* raw = nullptr;
      const char* start = next;
      const int rc = sqlite3_prepare_v2(db_, start, -1, &raw, &next);
      if (rc != SQLITE_OK) fail(db_, sqlite3_extended_errcode(db_), start);
      if (!raw) continue;  // only whitespace or comments
      statement_ptr stmt(raw, &sqlite3_finalize);
      last = step_all(stmt.get(), start);
    }
    return last;
  }

  query_result exec_params(const std::string& sql, const std::vector<field>& params) override {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, &tail) != SQLITE_OK)
      fail(db_, sqlite3_extended_errcode(db_), sql.c_str());
    if (!raw) return {};
    statement_ptr stmt(raw, &sqlite3_finalize);
    const int count = sqlite3_bind_parameter_count(raw);
    for (int i = 1; i <= count; ++i) {
      // $N (PostgreSQL's spelling) and ?N take parameter N; a bare ? the next one.
      const char* name = sqlite3_bind_parameter_name(raw, i);
      std::size_t index = static_cast<std::size_t>(i);
      if (name && (name[0] == '$' || name[0] == '?') && std::isdigit(static_cast<unsigned char>(name[1])))
        index = std::stoul(name + 1);
      else if (name)
        throw database_error("parameter " + std::string(name) + " is not numbered: use $1, $2, ... or ?", {},
                             false);
      if (index == 0 || index > params.size())
        throw database_error("the statement uses parameter " + std::to_string(index) + " but " +
                                 std::to_string(params.size()) + " were given",
                             {}, false);
      const field& value = params[index - 1];
      const int rc = value ? sqlite3_bind_text(raw, i, value->data(), static_cast<int>(value->size()),
                                               SQLITE_TRANSIENT)
                           : sqlite3_bind_null(raw, i);
      if (rc != SQLITE_OK) fail(db_, rc, sql.c_str());
    }
    return step_all(raw, sql.c_str());
  }

  std::string quote(const std::string& value) override {
    std::string q = "'";
    for (char c : value) {
      if (c == '\'') q += '\'';
      q += c;
    }
    return q + "'";
  }

  std::string quote_name(const std::string& identifier) override {
    std::string q = "\"";
    for (char c : identifier) {
      if (c == '"') q += '"';
      q += c;
    }
    return q + "\"";
  }

 private:
  // SQLite's busy handler: `count` is 0 on the first call of one wait.
  // Returns nonzero to try again.
  static int on_busy(void* self_pointer, int count) {
    auto& self = *static_cast<sqlite_session*>(self_pointer);
    const auto now = std::chrono::steady_clock::now();
    if (count == 0) {
      self.busy_since_ = now;
      // Said once per wait, so an operator (and a test) sees why nothing moves.
      log(log_level::info, "waiting for another connection's lock on the SQLite database (SQLITE_BUSY), up to "
                           "the lock timeout of " + std::to_string(self.busy_timeout_.count()) + " ms");
    }
    if (self.cancelled_.load()) return 0;
    const auto left = self.busy_timeout_ - std::chrono::duration_cast<std::chrono::milliseconds>(now - self.busy_since_);
    if (left.count() <= 0) return 0;
    std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(10)));
    return 1;
  }

  query_result step_all(sqlite3_stmt* stmt, const char* start) {
    query_result result;
    const int columns = sqlite3_column_count(stmt);
    result.columns.reserve(columns);
    for (int c = 0; c < columns; ++c) result.columns.emplace_back(sqlite3_column_name(stmt, c));
    for (;;) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) fail(db_, sqlite3_extended_errcode(db_), start);
      row values;
      values.reserve(columns);
      for (int c = 0; c < columns; ++c) {
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
          values.emplace_back(std::nullopt);
        } else {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          values.emplace_back(std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
        }
      }
      result.rows.push_back(std::move(values));
    }
    // sqlite3_changes keeps the last INSERT, UPDATE or DELETE's count through other statements.
    const char* sql = sqlite3_sql(stmt);
    if (sql && !sqlite3_stmt_readonly(stmt) && (starts_with_word(sql, "insert") || starts_with_word(sql, "update") ||
                starts_with_word(sql, "delete") || starts_with_word(sql, "replace") || starts_with_word(sql, "with")))
      result.affected = sqlite3_changes64(db_);
    return result;
  }

  void refuse_wal(const std::string& schema, const std::string& path) {
    auto mode = exec("PRAGMA " + quote_name(schema) + ".journal_mode");
    if (!mode.empty() && mode.rows[0][0] && *mode.rows[0][0] == "wal")
      throw database_error(
          "the SQLite database " + path +
              " is in WAL journal mode: a migration and its history row are in different files (one per module "
              "schema), and SQLite commits several files atomically only with a rollback journal. Switch it "
              "with PRAGMA journal_mode=DELETE while no other connection is open (docs/sqlite.md)",
          {}, false);
  }

  sqlite3* db_ = nullptr;
  std::chrono::milliseconds busy_timeout_{0};
  std::chrono::steady_clock::time_point busy_since_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace

std::string sqlite_schema_path(const std::string& main_path, const std::string& schema) {
  if (main_path == ":memory:") return main_path;
  const auto slash = main_path.rfind('/');
  const auto dot = main_path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash) || dot == slash + 1)
    return main_path + "." + schema;
  return main_path.substr(0, dot) + "." + schema + main_path.substr(dot);
}

int sqlite_max_attached() {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, nullptr) != SQLITE_OK) {
    sqlite3_close_v2(db);
    throw database_error("SQLite could not open an in-memory database", {}, false);
  }
  const int limit = sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, -1);
  sqlite3_close_v2(db);
  return limit;
}

std::unique_ptr<session> connect_sqlite(const std::string& path, const std::vector<sqlite_attachment>& attachments,
                                        std::chrono::milliseconds busy_timeout) {
  return std::make_unique<sqlite_session>(path, attachments, busy_timeout);
}

}  // namespace migrator
