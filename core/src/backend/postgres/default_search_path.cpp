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
    if (table.find('.') != std::string::npos) {
      out.push_back(table);
    } else if (const field& holder = found.at(i + 1)) {
      out.push_back(*holder + "." + table);
    } else if (const field& current = found.at(0)) {
      out.push_back(*current + "." + table);
    } else {
      out.push_back(table);
    }
  }
  return out;
}

}  // namespace migrator::detail
