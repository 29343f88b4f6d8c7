// Through a transaction pooler (PgBouncer's pool_mode = transaction) a server
// connection keeps the session-level settings of the client that used it
// before: a `SET search_path TO app, public` another client ran reaches this
// tool's next transaction or autocommitted statement there. goose's table, its
// side tables and the lease would then be looked for (and created) in `app`,
// the history would look empty, and applied migrations would run again. So a
// pooled session names its own tables with the schema they resolve to on the
// server's default search_path (the one a direct connection starts with), and
// each of its transactions resets the path for its own length.
#pragma once

#include <string>
#include <vector>

#include "migrator/session.h"

namespace migrator::detail {

// After each BEGIN of a pooled session: the path the server would give a new
// connection (the role's and the database's settings), for this transaction only.
inline constexpr const char* reset_search_path_locally = "SET LOCAL search_path TO DEFAULT;";

// Each of `tables`, qualified with the schema it resolves to on `db`'s default
// search_path: the one that holds it, or, when none does, the one an
// unqualified CREATE TABLE would use (current_schema()). A name that is
// already qualified, one with no schema to go to, or one whose schema has a
// dot in its name (not writable as "schema.table") comes back as given.
// One round trip (a transaction of its own). Throws database_error.
std::vector<std::string> qualified_on_default_path(session& db, const std::vector<std::string>& tables);

}  // namespace migrator::detail
