#include "migrator/session.h"

#include <charconv>
#include <string>

namespace migrator {

void rollback_quietly(session& db) noexcept {
  try {
    db.exec("ROLLBACK");
  } catch (...) {
    // Rolled back already (see session.h).
  }
}

std::vector<query_result> session::exec_each(const std::vector<std::string>& statements) {
  std::vector<query_result> results;
  results.reserve(statements.size());
  for (const auto& statement : statements) results.push_back(exec(statement));
  return results;
}

const std::string& query_result::text(std::size_t row_index, std::size_t column) const {
  if (row_index >= rows.size() || column >= rows[row_index].size())
    throw error(error_code::database, "the query returned no value at row " + std::to_string(row_index) +
                                          ", column " + std::to_string(column));
  const field& f = rows[row_index][column];
  if (!f)
    throw error(error_code::database, "the query returned NULL at row " + std::to_string(row_index) +
                                          ", column " + std::to_string(column));
  return *f;
}

bool query_result::boolean(std::size_t row_index, std::size_t column) const {
  const std::string& v = text(row_index, column);
  return v == "t" || v == "true" || v == "1";
}

std::int64_t query_result::integer(std::size_t row_index, std::size_t column) const {
  const std::string& v = text(row_index, column);
  // A server's integer text parses here (a few instructions, no errno or locale);
  // anything else (leading blanks, '+') keeps std::stoll's rules and exceptions.
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
  if (ec == std::errc() && end == v.data() + v.size() && !v.empty()) return value;
  return std::stoll(v);
}

std::string session::quote_qualified(const std::string& name) {
  auto dot = name.find('.');
  if (dot == std::string::npos) return quote_name(name);
  return quote_name(name.substr(0, dot)) + "." + quote_name(name.substr(dot + 1));
}

}  // namespace migrator
