// Seam: how the engine talks to a database. The PostgreSQL session
// (postgres.h, core/src/backend/postgres/pg_session.cpp on libpq) is one implementation; a
// SQLite or test-harness session is another. Results come back in our own
// types; failures are database_error (error.h) with the server's fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "migrator/error.h"

namespace migrator {

// One value as text; nullopt is SQL NULL.
using field = std::optional<std::string>;
using row = std::vector<field>;

struct query_result {
  std::vector<std::string> columns;  // column names of the last statement (empty for commands)
  std::vector<row> rows;
  std::int64_t affected = 0;  // rows the last command inserted, updated or deleted

  bool empty() const noexcept { return rows.empty(); }
  std::size_t size() const noexcept { return rows.size(); }
  // The text of a non-NULL value; throws error(database) when it is NULL or out of range.
  const std::string& text(std::size_t row_index, std::size_t column) const;
  // true for PostgreSQL's "t" and SQLite's "1".
  bool boolean(std::size_t row_index, std::size_t column) const;
  std::int64_t integer(std::size_t row_index, std::size_t column) const;
};

class session {
 public:
  virtual ~session() = default;

  // Runs SQL as one request (several ';'-separated statements allowed, no
  // parameters; PostgreSQL's simple query protocol): one round trip. Returns the
  // last statement's result; stops at the first error. Throws database_error.
  virtual query_result exec(const std::string& sql) = 0;
  // Runs `statements` (one each, no parameters) and returns each one's result,
  // in order; stops at the first error. PostgreSQL's session sends them as one
  // request (one round trip), and a COPY ... TO STDOUT among them answers with
  // its rows (exec refuses COPY); the default sends one request each.
  virtual std::vector<query_result> exec_each(const std::vector<std::string>& statements);
  // Runs one statement with text parameters ($1, $2, ... for PostgreSQL); nullopt is NULL.
  virtual query_result exec_params(const std::string& sql, const std::vector<field>& params) = 0;

  // A string literal / an identifier quoted for this session's dialect.
  virtual std::string quote(const std::string& value) = 0;
  virtual std::string quote_name(const std::string& identifier) = 0;
  // Asks the server to cancel the statement in flight, if any. Callable from
  // another thread and from a signal handler (libpq's PQcancel is
  // async-signal-safe); the statement then fails with SQLSTATE 57014. The
  // default does nothing.
  virtual void cancel() noexcept {}
  // The server process id the connection was given when it opened (libpq's
  // PQbackendPID); 0 when unknown. A transaction pooler hands out a number of
  // its own, which is how the engine recognises one (pg_backend_pid() differs).
  virtual std::int64_t process_id_at_connect() const noexcept { return 0; }
  // The server's version as PostgreSQL numbers it (server_version_num: 180004
  // for 18.4), known at connect without a query (libpq's PQserverVersion); 0
  // when the session is not PostgreSQL's.
  virtual int server_version() const noexcept { return 0; }

  // A possibly schema-qualified name ("ops.goose_db_version") quoted part by part.
  std::string quote_qualified(const std::string& name);
};

// Ends the session's transaction on the way out of a failure. A ROLLBACK that
// fails changes nothing: the connection is gone and the server has rolled back
// (PostgreSQL), or the database rolled back on its own error (SQLite's
// SQLITE_FULL, SQLITE_IOERR).
void rollback_quietly(session& db) noexcept;

}  // namespace migrator
