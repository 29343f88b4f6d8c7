#include "lint/sql_parse.h"

#include "migrator/lint.h"

#include <pg_query.h>

namespace migrator {

std::string lint_grammar() { return std::string("PostgreSQL ") + PG_VERSION; }

parsed_sql parse_sql(std::string_view text) {
  const std::string terminated(text);  // libpg_query reads a C string
  PgQueryParseResult result = pg_query_parse(terminated.c_str());
  parsed_sql parsed;
  if (result.error) {
    // cursorpos is 1-based; 0 means no position.
    parsed.error = sql_syntax_error{result.error->message, result.error->cursorpos > 0 ? result.error->cursorpos - 1 : 0};
  } else {
    parsed.tree = parse_tree::parse(result.parse_tree);
  }
  pg_query_free_parse_result(result);
  return parsed;
}

}  // namespace migrator
