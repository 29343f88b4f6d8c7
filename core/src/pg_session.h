// The migration connection: one plain libpqxx connection opened from the DSN
// as given (never with a custom search_path). libpqxx exceptions stop here:
// every failure becomes a db_failure with the facts the engine reports.
#pragma once

#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>

namespace migrator::detail {

struct db_failure : std::runtime_error {
  db_failure(const std::string& message, std::string sqlstate, bool connection_lost)
      : std::runtime_error(message), sqlstate(std::move(sqlstate)), connection_lost(connection_lost) {}
  std::string sqlstate;  // empty when the server sent none
  bool connection_lost;  // the connection broke: whatever was in flight may or may not have happened
};

class pg_session {
 public:
  // Throws db_failure when the server cannot be reached.
  explicit pg_session(const std::string& dsn);

  // Runs SQL with the simple query protocol (several statements allowed);
  // returns the last statement's result. Throws db_failure.
  pqxx::result exec(const std::string& sql);

  std::string quote(const std::string& value) { return conn_->quote(value); }
  std::string quote_name(const std::string& identifier) { return conn_->quote_name(identifier); }
  // A possibly schema-qualified name ("ops.goose_db_version") quoted part by part.
  std::string quote_qualified(const std::string& name);

 private:
  std::unique_ptr<pqxx::connection> conn_;
};

// The server's message without libpq's "ERROR:  " prefix and trailing newline.
std::string clean_server_message(const std::string& what);

}  // namespace migrator::detail
