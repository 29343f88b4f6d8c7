#include "pg_session.h"

namespace migrator::detail {

std::string clean_server_message(const std::string& what) {
  std::string m = what;
  for (const char* prefix : {"ERROR:  ", "FATAL:  "})
    if (m.rfind(prefix, 0) == 0) m = m.substr(std::char_traits<char>::length(prefix));
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

pg_session::pg_session(const std::string& dsn) {
  try {
    conn_ = std::make_unique<pqxx::connection>(dsn);
  } catch (const pqxx::broken_connection& e) {
    throw db_failure(clean_server_message(e.what()), "", true);
  } catch (const std::exception& e) {
    // e.g. an invalid connection string: libpq's message does not echo the password.
    throw db_failure(clean_server_message(e.what()), "", false);
  }
}

pqxx::result pg_session::exec(const std::string& sql) {
  try {
    pqxx::nontransaction tx(*conn_);
    return tx.exec(sql);
  } catch (const pqxx::broken_connection& e) {
    throw db_failure(clean_server_message(e.what()), "", true);
  } catch (const pqxx::sql_error& e) {
    // A backend terminated by the server (shutdown, pg_terminate_backend) answers
    // with SQLSTATE 57P01..57P03 and closes; a connection that just died has none.
    const std::string& state = e.sqlstate();
    bool lost = !conn_->is_open() || state.rfind("57P0", 0) == 0 || state.rfind("08", 0) == 0;
    throw db_failure(clean_server_message(e.what()), state, lost);
  } catch (const pqxx::failure& e) {
    throw db_failure(clean_server_message(e.what()), "", !conn_->is_open());
  }
}

std::string pg_session::quote_qualified(const std::string& name) {
  auto dot = name.find('.');
  if (dot == std::string::npos) return quote_name(name);
  return quote_name(name.substr(0, dot)) + "." + quote_name(name.substr(dot + 1));
}

}  // namespace migrator::detail
