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

// Column 3, moved out (checked as query_result::text checks it): no copy per row.
std::string applied_at(query_result& rows, std::size_t row) {
  rows.text(row, 3);  // throws for NULL
  return std::move(*rows.rows[row][3]);
}

}  // namespace

std::vector<applied_row> applied_from_goose_rows(query_result& rows) {
  std::vector<applied_row> applied;
  applied.reserve(rows.size());
  // Versions rising with id (goose v3 applying in order, the usual history): every
  // row is its version's latest, read in one pass with no set of versions.
  std::vector<std::int64_t> versions(rows.size());
  bool rising = true;
  std::int64_t highest = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    versions[i] = rows.integer(i, 1);
    if (versions[i] == 0) continue;
    if (versions[i] <= highest) rising = false;
    highest = versions[i];
  }
  if (rising) {
    for (std::size_t i = 0; i < rows.size(); ++i)
      if (versions[i] != 0 && rows.boolean(i, 2))
        applied.push_back(applied_row{versions[i], rows.integer(i, 0), applied_at(rows, i)});
    return applied;
  }
  // Newest row first: the first row seen of a version is its latest (O(n), no tree).
  std::unordered_set<std::int64_t> decided;
  decided.reserve(rows.size());
  for (auto i = rows.size(); i-- > 0;) {
    const auto version = versions[i];
    if (version == 0 || !decided.insert(version).second) continue;
    if (rows.boolean(i, 2)) applied.push_back(applied_row{version, rows.integer(i, 0), applied_at(rows, i)});
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
    m.dirty = r[4] && *r[4] == "dirty";
    m.statements_done = optional_int(meta, i, 5);
    m.statements_total = optional_int(meta, i, 6);
    // In key order: each insert goes at the end without a search.
    out.emplace_hint(out.end(), meta.integer(i, 0), std::move(m));
  }
}

}  // namespace migrator::detail
