// The PostgreSQL session on libpq: the only file that runs SQL on PostgreSQL
// for the engine, the history store and the lock. libpq is used directly
// (not libpqxx) because its result carries the server's diagnostic fields
// (PQresultErrorField), which libpqxx 6 reduces to the SQLSTATE.
#pragma once

#include <string>
#include <vector>

#include "migrator/session.h"

struct pg_conn;
struct pg_cancel;

namespace migrator::detail {

class pg_session : public session {
 public:
  // Throws database_error (connection_lost) when the server cannot be reached.
  explicit pg_session(const std::string& dsn, const std::string& application_name = "");
  ~pg_session() override;
  pg_session(const pg_session&) = delete;
  pg_session& operator=(const pg_session&) = delete;

  query_result exec(const std::string& sql) override;
  query_result exec_params(const std::string& sql, const std::vector<field>& params) override;
  std::string quote(const std::string& value) override;
  std::string quote_name(const std::string& identifier) override;
  void cancel() noexcept override;
  std::int64_t process_id_at_connect() const noexcept override;
  int server_version() const noexcept override;

 private:
  pg_conn* conn_ = nullptr;
  pg_cancel* cancel_ = nullptr;  // made once at connect: PQcancel on it is async-signal-safe
};

// The server's message without libpq's "ERROR:  " prefix and trailing newline.
std::string clean_server_message(const std::string& what);

}  // namespace migrator::detail
