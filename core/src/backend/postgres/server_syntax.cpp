// Asking the server's grammar (lint on a server newer than libpg_query's grammar).
#include "migrator/postgres.h"

namespace migrator {

namespace {

// The simple query protocol parses a whole request before it runs any of it
// (exec_simple_query: pg_parse_query, then each statement). A first statement
// that always fails, at planning, makes the request parse-only: a syntax error
// anywhere in `sql` is reported first, and otherwise nothing of it runs.
constexpr const char* parse_only_guard = "SELECT 1/0;\n";
constexpr int guard_characters = 12;
constexpr const char* division_by_zero = "22012";

}  // namespace

std::optional<database_error> server_syntax_error(session& s, const std::string& sql) {
  try {
    s.exec(parse_only_guard + sql);
  } catch (const database_error& e) {
    if (e.connection_lost()) throw;
    if (e.details().sqlstate == division_by_zero) return std::nullopt;
    error_details details = e.details();
    details.position = details.position > guard_characters ? details.position - guard_characters : 0;
    return database_error(e.what(), details, false);
  }
  throw error(error_code::database, "the server ran a request that cannot succeed (SELECT 1/0)");
}

}  // namespace migrator
