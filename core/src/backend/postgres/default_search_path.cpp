#include "backend/postgres/default_search_path.h"

namespace migrator::detail {

std::vector<std::string> qualified_on_default_path(session& db, const std::vector<std::string>& tables) {
  std::string select = "SELECT pg_catalog.current_schema()";
  for (const auto& table : tables)
    select += ", (SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = "
              "c.relnamespace WHERE c.oid = pg_catalog.to_regclass(" + db.quote(db.quote_qualified(table)) + "))";
  auto results = db.exec_each({"BEGIN", std::string(reset_search_path_locally), select, "COMMIT"});
  const row& found = results.at(2).rows.at(0);
  std::vector<std::string> out;
  out.reserve(tables.size());
  for (std::size_t i = 0; i < tables.size(); ++i) {
    const std::string& table = tables[i];
    const field& holder = found.at(i + 1);
    const field& schema = holder ? holder : found.at(0);
    // A name is split at its first dot (session::quote_qualified): a schema
    // with a dot in its own name cannot be written that way, and stays implied.
    if (table.find('.') != std::string::npos || !schema || schema->find('.') != std::string::npos) {
      out.push_back(table);
    } else {
      out.push_back(*schema + "." + table);
    }
  }
  return out;
}

}  // namespace migrator::detail
