#include "backend/history_rows.h"

namespace migrator::detail {

std::vector<applied_row> applied_from_goose_rows(query_result& rows) {
  result_rows read(rows);
  return applied_from_goose_rows(read);
}

const char* const meta_row_columns =
    "version_id, module, name, checksum, state, statements_done, statements_total";

std::string meta_rows_sql(const std::string& meta) {
  // No ORDER BY: meta_from_rows takes the rows in any order, and a sort is work
  // for the server process, which on a start is still new.
  return std::string("SELECT ") + meta_row_columns + " FROM " + meta;
}

void meta_from_rows(query_result& meta, std::map<std::int64_t, meta_row>& out) {
  result_rows read(meta);
  meta_from_rows(read, out);
}

std::string repeatable_rows_sql(const std::string& repeatable, const std::string& applied_at_text) {
  return "SELECT module, name, checksum, " + applied_at_text + ", known_version FROM " + repeatable;
}

void repeatables_from_rows(query_result& rows, std::map<std::pair<std::string, std::string>, repeatable_row>& out) {
  result_rows read(rows);
  repeatables_from_rows(read, out);
}

}  // namespace migrator::detail
