// The rows of a `COPY ... TO STDOUT` in text format, decoded. The history is
// read with COPY, not SELECT: a COPY of a table's columns is not planned, so a
// new server process does not open the table's indexes and look up what a
// query needs. Measured on PostgreSQL 15, a new connection per read, 200
// each: reading the side table and goose's table of 100 migrations cost
// 1.7 ms more than `SELECT 1` with COPY and 3.1 ms more with SELECT; the
// psql floor of the benchmarks, `SELECT count(*)` of goose's table, 3.3 ms.
// With 1,000 migrations (150 each), status's whole first request took 22.8 ms
// with COPY and 25.8 ms with SELECT, the count 22.8 ms.
//
// The text format (PostgreSQL's COPY documentation, "Text Format"): one row per
// line, columns separated by a tab, NULL written \N; a backslash starts \b \f
// \n \r \t \v, an octal \d[d[d]], a hexadecimal \xh[h], or stands for the
// character after it. The server sends each row in a CopyData message of its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace migrator::detail {

class copied_rows {
 public:
  // Decodes one row (the terminating newline optional) and keeps it. Throws
  // error(database) when it has another number of columns than the rows before.
  void add_row(std::string_view line);

  std::size_t size() const noexcept { return rows_; }
  std::size_t columns() const noexcept { return columns_; }
  bool is_null(std::size_t row, std::size_t column) const noexcept;
  // The decoded value; a view into this object. Empty for NULL (see is_null).
  std::string_view value(std::size_t row, std::size_t column) const noexcept;

 private:
  static constexpr std::uint32_t null_value = UINT32_MAX;
  std::string text_;                  // every decoded value, back to back
  std::vector<std::uint32_t> begin_;  // per value: where it starts in text_, or null_value
  std::vector<std::uint32_t> end_;    // per value: where it ends
  std::size_t rows_ = 0, columns_ = 0;
};

}  // namespace migrator::detail
