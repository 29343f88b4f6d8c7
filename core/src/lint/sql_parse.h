// PostgreSQL's own parser (libpg_query, PostgreSQL 15) behind one function, so
// no other file includes pg_query.h. Pure: no database.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lint/parse_tree.h"

namespace migrator {

struct sql_syntax_error {
  std::string message;  // the server's message, e.g. "syntax error at or near \"TABL\""
  int offset = 0;       // 0-based byte offset in the text (0 when unknown)
};

struct parsed_sql {
  // {"version":150001,"stmts":[{"stmt":{...},"stmt_location":N,"stmt_len":N}, ...]};
  // fields with default values (0, false, empty) are left out, as libpg_query writes them.
  parse_tree tree;
  std::optional<sql_syntax_error> error;
};

parsed_sql parse_sql(std::string_view text);

}  // namespace migrator
