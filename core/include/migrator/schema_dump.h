// A module's schema as SQL: pg_dump --schema-only of one schema, normalised
// so the text depends only on the schema (no owners, no pg_dump or server
// version, no session settings), for review in pull requests and for sqlc.
#pragma once

#include <string>
#include <string_view>

namespace migrator {

// Runs `pg_dump` (a program name looked up in PATH, or a path; no shell; the
// password, if the DSN has one, goes in PGPASSWORD, never on its command line) for `schema`
// of the database at `dsn` and returns normalize_schema_dump of its output.
// Throws error(io) when pg_dump cannot be run or fails (its stderr in the
// message, redacted).
std::string dump_schema(const std::string& dsn, const std::string& schema, const std::string& pg_dump = "pg_dump");

// Pure. Drops pg_dump's header comments ("Dumped from/by ... version"), SET
// and set_config lines, \restrict/\unrestrict lines, "; Owner: x" in object
// comments and OWNER TO statements; collapses blank-line runs; ends with one
// newline.
std::string normalize_schema_dump(std::string_view raw);

}  // namespace migrator
