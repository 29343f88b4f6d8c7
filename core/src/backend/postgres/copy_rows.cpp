#include "backend/postgres/copy_rows.h"

#include "migrator/error.h"

namespace migrator::detail {

namespace {

int digit_value(char c, int base) {
  if (c >= '0' && c <= '9' && c - '0' < base) return c - '0';
  if (base == 16 && c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (base == 16 && c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends `field` (one column's text as COPY wrote it, not \N) decoded.
void append_decoded(std::string_view field, std::string& out) {
  for (std::size_t i = 0; i < field.size(); ++i) {
    const char c = field[i];
    if (c != '\\' || i + 1 == field.size()) {
      out += c;
      continue;
    }
    const char next = field[++i];
    switch (next) {
      case 'b': out += '\b'; continue;
      case 'f': out += '\f'; continue;
      case 'n': out += '\n'; continue;
      case 'r': out += '\r'; continue;
      case 't': out += '\t'; continue;
      case 'v': out += '\v'; continue;
      default: break;
    }
    // \x followed by one or two hex digits; \ followed by one to three octal digits.
    const bool hex = next == 'x' && i + 1 < field.size() && digit_value(field[i + 1], 16) >= 0;
    const int base = hex ? 16 : 8;
    const std::size_t most = hex ? 2 : 3;
    std::size_t at = hex ? i + 1 : i;
    if (digit_value(field[at], base) < 0) {
      out += next;  // any other character stands for itself
      continue;
    }
    int value = 0;
    std::size_t taken = 0;
    for (; taken < most && at < field.size() && digit_value(field[at], base) >= 0; ++taken, ++at)
      value = value * base + digit_value(field[at], base);
    out += static_cast<char>(value & 0xff);
    i = at - 1;
  }
}

}  // namespace

void copied_rows::add_row(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  std::size_t columns = 0;
  for (std::size_t start = 0;;) {
    const std::size_t tab = line.find('\t', start);
    const std::string_view field = line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start);
    if (text_.size() + field.size() >= null_value)
      throw error(error_code::database, "the copied rows exceed 4 GiB");
    if (field == "\\N") {
      begin_.push_back(null_value);
      end_.push_back(null_value);
    } else {
      begin_.push_back(static_cast<std::uint32_t>(text_.size()));
      if (field.find('\\') == std::string_view::npos)
        text_.append(field);
      else
        append_decoded(field, text_);
      end_.push_back(static_cast<std::uint32_t>(text_.size()));
    }
    ++columns;
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  if (rows_ == 0) {
    columns_ = columns;
  } else if (columns != columns_) {
    begin_.resize(begin_.size() - columns);
    end_.resize(end_.size() - columns);
    throw error(error_code::database, "COPY sent a row of " + std::to_string(columns) + " columns after rows of " +
                                          std::to_string(columns_));
  }
  ++rows_;
}

bool copied_rows::is_null(std::size_t row, std::size_t column) const noexcept {
  return row < rows_ && column < columns_ && begin_[row * columns_ + column] == null_value;
}

std::string_view copied_rows::value(std::size_t row, std::size_t column) const noexcept {
  if (row >= rows_ || column >= columns_) return {};
  const std::size_t at = row * columns_ + column;
  if (begin_[at] == null_value) return {};
  return std::string_view(text_).substr(begin_[at], end_[at] - begin_[at]);
}

}  // namespace migrator::detail
