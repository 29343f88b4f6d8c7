// What both history stores (PostgreSQL's and SQLite's) read the same way: goose's
// rows into the applied versions, and the "<table>_meta" rows. Pure: the stores
// send the queries, these read their results.
//
// The readers are templates over the rows they read: a query_result (through
// result_rows) or, for PostgreSQL, libpq's result read in place (pg_rows,
// backend/postgres/pg_session.h), which spares the history's thousands of rows a
// vector and strings each. Rows give size(), is_null, text (compares), integer,
// boolean and owned_text (the text as a string of its own).
#pragma once

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "migrator/error.h"
#include "migrator/history.h"
#include "migrator/session.h"

namespace migrator::detail {

// A query_result read as rows; owned_text moves each text out instead of copying it.
class result_rows {
 public:
  explicit result_rows(query_result& result) : result_(result) {}
  std::size_t size() const noexcept { return result_.size(); }
  bool is_null(std::size_t row, std::size_t column) const {
    return row < result_.size() && column < result_.rows[row].size() && !result_.rows[row][column];
  }
  const std::string& text(std::size_t row, std::size_t column) const { return result_.text(row, column); }
  std::int64_t integer(std::size_t row, std::size_t column) const { return result_.integer(row, column); }
  bool boolean(std::size_t row, std::size_t column) const { return result_.boolean(row, column); }
  std::string owned_text(std::size_t row, std::size_t column) {
    result_.text(row, column);  // throws for NULL or out of range, as text does
    return std::move(*result_.rows[row][column]);
  }

 private:
  query_result& result_;
};

// A statement count: NULL for rows goose wrote; parsed as query_result::integer does.
template <typename Rows>
std::optional<int> optional_int(const Rows& rows, std::size_t row, std::size_t column) {
  if (rows.is_null(row, column)) return std::nullopt;
  const std::int64_t value = rows.integer(row, column);
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max())
    throw error(error_code::database, "statement count " + std::to_string(value) + " is out of range");
  return static_cast<int>(value);
}

// `rows`: id, version_id, is_applied, applied-at, in any order; `applied_at(i)`
// gives row i's applied-at text. goose v3 deletes the row on down; goose v2
// appended is_applied = false rows. The latest row (highest id) of a version
// decides, which reads both. Returns the applied versions by id.
template <typename Rows, typename AppliedAt>
std::vector<applied_row> applied_from_goose_rows(Rows& rows, AppliedAt&& applied_at) {
  const std::size_t count = rows.size();
  std::vector<applied_row> applied;
  applied.reserve(count);
  // Row numbers by id. The server returns a table that goose only appended to in
  // id order, so sorting (asked for in SQL, it cost a fresh server process a
  // sort) is rarely needed here.
  std::vector<std::int64_t> ids(count), versions(count);
  std::vector<std::size_t> by_id(count);
  bool sorted = true;
  for (std::size_t i = 0; i < count; ++i) {
    ids[i] = rows.integer(i, 0);
    versions[i] = rows.integer(i, 1);
    by_id[i] = i;
    if (i > 0 && ids[i] < ids[i - 1]) sorted = false;
  }
  if (!sorted)
    std::stable_sort(by_id.begin(), by_id.end(), [&](std::size_t a, std::size_t b) { return ids[a] < ids[b]; });
  // Versions rising with id (goose v3 applying in order, the usual history): every
  // row is its version's latest, read in one pass with no set of versions.
  bool rising = true;
  std::int64_t highest = 0;
  for (const std::size_t i : by_id) {
    if (versions[i] == 0) continue;
    if (versions[i] <= highest) rising = false;
    highest = versions[i];
  }
  if (rising) {
    for (const std::size_t i : by_id)
      if (versions[i] != 0 && rows.boolean(i, 2)) applied.push_back(applied_row{versions[i], ids[i], applied_at(i)});
    return applied;
  }
  // Newest row first: the first row seen of a version is its latest (O(n), no tree).
  std::unordered_set<std::int64_t> decided;
  decided.reserve(count);
  for (auto k = count; k-- > 0;) {
    const std::size_t i = by_id[k];
    const auto version = versions[i];
    if (version == 0 || !decided.insert(version).second) continue;
    if (rows.boolean(i, 2)) applied.push_back(applied_row{version, ids[i], applied_at(i)});
  }
  std::reverse(applied.begin(), applied.end());  // by id, as goose applied them
  return applied;
}
// The same with the applied-at as the row's text.
template <typename Rows>
std::vector<applied_row> applied_from_goose_rows(Rows& rows) {
  return applied_from_goose_rows(rows, [&](std::size_t i) { return rows.owned_text(i, 3); });
}
// The same for a query_result (its applied-at texts are moved out).
std::vector<applied_row> applied_from_goose_rows(query_result& rows);

// The query for the meta rows of side table `meta` (quoted), in the column
// order meta_from_rows reads.
std::string meta_rows_sql(const std::string& meta);
// Its column list, which PostgreSQL's store also copies (COPY meta (columns) TO STDOUT).
extern const char* const meta_row_columns;

// Reads meta_rows_sql's result into `out`.
template <typename Rows>
void meta_from_rows(Rows& meta, std::map<std::int64_t, meta_row>& out) {
  const auto optional_text = [&](std::size_t row, std::size_t column) -> std::optional<std::string> {
    if (meta.is_null(row, column)) return std::nullopt;
    return meta.owned_text(row, column);
  };
  for (std::size_t i = 0; i < meta.size(); ++i) {
    meta_row m;
    m.module = optional_text(i, 1);
    m.name = optional_text(i, 2);
    m.checksum = optional_text(i, 3);
    m.dirty = !meta.is_null(i, 4) && meta.text(i, 4) == "dirty";
    m.statements_done = optional_int(meta, i, 5);
    m.statements_total = optional_int(meta, i, 6);
    // Rows in key order (the usual heap order) go in at the end without a search.
    out.emplace_hint(out.end(), meta.integer(i, 0), std::move(m));
  }
}
// The same for a query_result (its texts are moved out).
void meta_from_rows(query_result& meta, std::map<std::int64_t, meta_row>& out);

// The query for the rows of repeatable table `repeatable` (quoted), with
// `applied_at_text` the dialect's expression for its applied_at as
// "YYYY-MM-DD HH:MM:SS", in the column order repeatables_from_rows reads.
std::string repeatable_rows_sql(const std::string& repeatable, const std::string& applied_at_text);

// Reads repeatable_rows_sql's result into `out`.
template <typename Rows>
void repeatables_from_rows(Rows& rows, std::map<std::pair<std::string, std::string>, repeatable_row>& out) {
  const auto owned = [&](std::size_t row, std::size_t column) {
    return rows.is_null(row, column) ? std::string() : rows.owned_text(row, column);
  };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::int64_t known = rows.is_null(i, 4) ? 0 : rows.integer(i, 4);
    out[{owned(i, 0), owned(i, 1)}] = repeatable_row{owned(i, 2), owned(i, 3), known};
  }
}
// The same for a query_result (its texts are moved out).
void repeatables_from_rows(query_result& rows, std::map<std::pair<std::string, std::string>, repeatable_row>& out);

}  // namespace migrator::detail
