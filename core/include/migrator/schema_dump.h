// A module's schema as SQL: pg_dump --schema-only of one schema, normalised
// so the text depends only on the schema (no owners, no pg_dump or server
// version, no session settings), for review in pull requests and for sqlc.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace migrator {

// Runs `pg_dump` (a program name looked up in PATH, or a path; no shell; the
// password, if the DSN has one, goes in PGPASSWORD, never on its command line) for `schema`
// of the database at `dsn` and returns normalize_schema_dump of its output.
// Throws error(io) when pg_dump cannot be run or fails (its stderr in the
// message, redacted).
std::string dump_schema(const std::string& dsn, const std::string& schema, const std::string& pg_dump = "pg_dump");

// pg_dump reads servers of its own major version or older only, and says so
// only after it started. Run before any work: runs `pg_dump --version`, asks
// the server its version (one connection, no query) and throws error(config)
// naming both versions and what to install or pass when pg_dump is older.
// Throws error(io) when pg_dump cannot be run, error(database) when the server
// cannot be reached.
void require_pg_dump_for_server(const std::string& dsn, const std::string& pg_dump = "pg_dump");

// Pure. The version in `pg_dump --version`'s output as server_version_num
// counts ("pg_dump (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)" -> 150014,
// "... 18beta2" -> 180000); nullopt when the text holds none.
std::optional<int> parse_pg_dump_version(std::string_view version_output);

// Pure. Why pg_dump of `dump_version` cannot dump a server of `server_version`
// (both server_version_num style), or nullopt when it can.
std::optional<std::string> pg_dump_version_mismatch(int dump_version, int server_version, const std::string& pg_dump);

// Pure. Drops pg_dump's header comments ("Dumped from/by ... version"), SET
// and set_config lines, \restrict/\unrestrict lines, "; Owner: x" in object
// comments and OWNER TO statements; collapses blank-line runs; ends with one
// newline.
std::string normalize_schema_dump(std::string_view raw);

}  // namespace migrator
