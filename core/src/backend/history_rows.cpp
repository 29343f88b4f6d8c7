#include "backend/history_rows.h"

#include <algorithm>
#include <limits>
#include <unordered_set>

namespace migrator::detail {

namespace {

// A statement count: NULL for rows goose wrote; parsed as query_result::integer does.
std::optional<int> optional_int(const query_result& rows, std::size_t row, std::size_t column) {
  if (!rows.rows[row][column]) return std::nullopt;
  const std::int64_t value = rows.integer(row, column);
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max())
    throw error(error_code::database, "statement count " + std::to_string(value) + " is out of range");
  return static_cast<int>(value);
}

}  // namespace

std::vector<applied_row> applied_from_goose_rows(const query_result& rows) {
  std::vector<applied_row> applied;
  applied.reserve(rows.size());
  // Newest row first: the first row seen of a version is its latest (O(n), no tree).
  std::unordered_set<std::int64_t> decided;
  decided.reserve(rows.size());
  for (auto i = rows.size(); i-- > 0;) {
    const auto version = rows.integer(i, 1);
    if (version == 0 || !decided.insert(version).second) continue;
    if (rows.boolean(i, 2)) applied.push_back(applied_row{version, rows.integer(i, 0), rows.text(i, 3)});
  }
  std::reverse(applied.begin(), applied.end());  // by id, as goose applied them
  return applied;
}

std::string meta_rows_sql(const std::string& meta) {
  return "SELECT version_id, module, name, checksum, state, statements_done, statements_total FROM " + meta +
         " ORDER BY version_id";
}

void meta_from_rows(query_result& meta, std::map<std::int64_t, meta_row>& out) {
  for (std::size_t i = 0; i < meta.size(); ++i) {
    auto& r = meta.rows[i];
    meta_row m;
    m.module = std::move(r[1]);
    m.name = std::move(r[2]);
    m.checksum = std::move(r[3]);
    m.dirty = r[4] == std::string("dirty");
    m.statements_done = optional_int(meta, i, 5);
    m.statements_total = optional_int(meta, i, 6);
    // In key order: each insert goes at the end without a search.
    out.emplace_hint(out.end(), meta.integer(i, 0), std::move(m));
  }
}

std::string repeatable_rows_sql(const std::string& repeatable, const std::string& applied_at_text) {
  return "SELECT module, name, checksum, " + applied_at_text + " FROM " + repeatable;
}

void repeatables_from_rows(query_result& rows, std::map<std::pair<std::string, std::string>, repeatable_row>& out) {
  for (auto& r : rows.rows)
    out[{std::move(r[0]).value_or(""), std::move(r[1]).value_or("")}] =
        repeatable_row{std::move(r[2]).value_or(""), std::move(r[3]).value_or("")};
}

}  // namespace migrator::detail
