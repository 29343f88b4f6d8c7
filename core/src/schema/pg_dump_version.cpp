// pg_dump against the server's version, checked before dump or squash work.
#include <algorithm>
#include <cctype>

#include "support/postgres_version.h"
#include "migrator/error.h"
#include "migrator/postgres.h"
#include "migrator/schema_dump.h"
#include "support/child_process.h"

namespace migrator {

namespace {

// Digits at `at`, moved past; -1 when there are none.
int read_number(std::string_view text, std::size_t& at) {
  if (at >= text.size() || !std::isdigit(static_cast<unsigned char>(text[at]))) return -1;
  int n = 0;
  while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])) && n < 100000)
    n = n * 10 + (text[at++] - '0');
  return n;
}

}  // namespace

std::optional<int> parse_pg_dump_version(std::string_view output) {
  constexpr std::string_view marker = "(PostgreSQL) ";
  const std::size_t found = output.find(marker);
  if (found == std::string_view::npos) return std::nullopt;
  std::size_t at = found + marker.size();
  const int major = read_number(output, at);
  if (major <= 0) return std::nullopt;
  int minor = 0;
  if (at < output.size() && output[at] == '.') {
    ++at;
    minor = std::max(read_number(output, at), 0);
  }
  if (major >= 10) return major * 10000 + minor;
  // Before 10 the major had two parts: 9.6.24.
  int patch = 0;
  if (at < output.size() && output[at] == '.') {
    ++at;
    patch = std::max(read_number(output, at), 0);
  }
  return major * 10000 + minor * 100 + patch;
}

std::optional<std::string> pg_dump_version_mismatch(int dump_version, int server_version, const std::string& pg_dump) {
  const int dump_major = detail::postgres_major(dump_version);
  const int server_major = detail::postgres_major(server_version);
  if (server_major <= dump_major) return std::nullopt;
  const std::string major = std::to_string(server_major);
  return pg_dump + " is pg_dump " + detail::postgres_version_text(dump_version) +
         ", and the server runs PostgreSQL " + detail::postgres_version_text(server_version) +
         ": pg_dump reads servers of its own major version or older only. Nothing was done. Install pg_dump " +
         major + " or newer (Debian: postgresql-client-" + major + ") and pass it with --pg-dump, e.g. --pg-dump "
         "/usr/lib/postgresql/" + major + "/bin/pg_dump";
}

void require_pg_dump_for_server(const std::string& dsn, const std::string& pg_dump) {
  const auto output = detail::run_program({pg_dump, "--version"}, detail::current_environment());
  const auto dump_version = output.exited_ok ? parse_pg_dump_version(output.out) : std::nullopt;
  if (!dump_version)
    throw error(error_code::config, pg_dump + " --version did not print a pg_dump version (it printed '" +
                                        output.out + output.err + "'): is --pg-dump a pg_dump program?");
  int server_version = 0;
  try {
    server_version = connect_postgres(dsn, "migrator pg_dump check")->server_version();
  } catch (const database_error& f) {
    throw error(error_code::database, std::string("cannot connect to the database: ") + f.what(), f.details());
  }
  if (auto mismatch = pg_dump_version_mismatch(*dump_version, server_version, pg_dump))
    throw error(error_code::config, *mismatch);
}

}  // namespace migrator
