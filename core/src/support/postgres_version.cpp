#include "support/postgres_version.h"

#include "migrator/postgres_versions.h"

namespace migrator::detail {

std::string postgres_version_text(int num) {
  if (num >= 100000) return std::to_string(num / 10000) + "." + std::to_string(num % 10000);
  return std::to_string(num / 10000) + "." + std::to_string(num / 100 % 100) + "." + std::to_string(num % 100);
}

int postgres_major(int num) { return num / 10000; }

std::optional<std::string> unsupported_server_reason(int num) {
  if (num <= 0) return std::string("the server did not tell its version (is this PostgreSQL?)");
  if (postgres_major(num) >= oldest_supported_postgres_major) return std::nullopt;
  return "the server runs PostgreSQL " + postgres_version_text(num) + ", older than " +
         std::to_string(oldest_supported_postgres_major) +
         ", the oldest version this tool supports (docs/postgres-versions.md); nothing was run on it";
}

}  // namespace migrator::detail
