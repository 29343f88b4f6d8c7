// INTERIM (replaced by branch `config`): resolved configuration of one app invocation.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace migrator {

struct settings {
  std::string dsn;
  std::string dsn_source;
  std::optional<std::string> modules_dir;
  std::string table = "goose_db_version";
  std::chrono::milliseconds lock_timeout{std::chrono::minutes(5)};
  std::optional<std::chrono::milliseconds> statement_timeout;
  std::optional<std::chrono::milliseconds> db_lock_timeout;
  std::chrono::milliseconds wait_timeout{std::chrono::seconds(60)};
  bool migrate_on_start = true;
  std::optional<std::string> app_role;
  std::string log_level = "info";
  std::string log_format = "text";
  bool allow_drift = false;
};

}  // namespace migrator
