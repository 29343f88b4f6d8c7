#include <unistd.h>

#include <memory>
#include <random>

#include "backend/postgres/conninfo.h"
#include "migrator/postgres.h"
#include "migrator/verify.h"

namespace migrator {

std::string dsn_with_database(const std::string& dsn, const std::string& database) {
  auto entries = detail::parse_conninfo(dsn);
  if (!entries) throw error(error_code::config, "the DSN cannot be parsed");
  std::vector<detail::conninfo_entry> out{{"dbname", database}};
  for (auto& e : *entries)
    if (e.keyword != "dbname") out.push_back(std::move(e));
  return detail::conninfo_string(out);
}

scratch_database::scratch_database(const std::string& server_dsn) : server_dsn_(server_dsn) {
  std::random_device random;
  name_ = "app_verify_" + std::to_string(::getpid()) + "_" + std::to_string(random() % 1000000);
  dsn_ = dsn_with_database(server_dsn, name_);
  try {
    std::unique_ptr<session> admin = connect_postgres(server_dsn);
    admin->exec("CREATE DATABASE " + admin->quote_name(name_));
  } catch (const database_error& e) {
    throw error(error_code::database, "cannot create the scratch database " + name_ + ": " +
                                          (e.connection_lost() ? "connection failed" : e.what()));
  }
}

scratch_database::~scratch_database() {
  try {
    std::unique_ptr<session> admin = connect_postgres(server_dsn_);
    admin->exec("DROP DATABASE IF EXISTS " + admin->quote_name(name_) + " WITH (FORCE)");
  } catch (const std::exception&) {
    // Nothing to do from a destructor; the name says what it was for.
  }
}

}  // namespace migrator
