// The rows of a COPY ... TO STDOUT in text format, decoded without a database:
// each case is one line as the server sends it and the values it stands for
// (PostgreSQL's COPY documentation, "Text Format"). The history tests
// (engine_test, applied_history_test) read the same format from a real server.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "backend/postgres/copy_rows.h"
#include "migrator/error.h"

namespace {

using value = std::optional<std::string>;

struct line_case {
  const char* what;
  std::string line;
  std::vector<value> values;
};

std::vector<value> decoded(const migrator::detail::copied_rows& rows, std::size_t row) {
  std::vector<value> out;
  for (std::size_t c = 0; c < rows.columns(); ++c)
    out.push_back(rows.is_null(row, c) ? value() : value(std::string(rows.value(row, c))));
  return out;
}

TEST(copy_rows, decodes_each_line_into_its_values) {
  const line_case cases[] = {
      {"plain columns", "1001\tshop\tabc\n", {"1001", "shop", "abc"}},
      {"no newline at the end", "7\tt", {"7", "t"}},
      {"NULL and an empty text differ", "1\t\\N\t\n", {"1", std::nullopt, ""}},
      {"a text that reads \\N is written \\\\N", "\\\\N\tx", {"\\N", "x"}},
      {"one empty column", "\n", {""}},
      {"tab, newline and carriage return inside a value", "a\\tb\\nc\\rd", {"a\tb\nc\rd"}},
      {"backspace, form feed, vertical tab", "\\b\\f\\v", {"\b\f\v"}},
      {"a backslash", "C:\\\\dir\\\\file", {"C:\\dir\\file"}},
      {"octal: at most three digits", "\\101\\1012\\7", {"AA2\a"}},
      {"hexadecimal: at most two digits", "\\x41\\x4g\\x414", {std::string("A\x04gA4")}},
      {"\\x without a hex digit is an x", "\\xg", {"xg"}},
      {"any other escaped character is itself", "\\q\\.\\\"", {"q.\""}},
      {"bytes beyond ASCII pass as they are", "caf\xc3\xa9\t\\303\\251", {"caf\xc3\xa9", "\xc3\xa9"}},
  };
  for (const auto& c : cases) {
    migrator::detail::copied_rows rows;
    rows.add_row(c.line);
    ASSERT_EQ(rows.size(), 1u) << c.what;
    EXPECT_EQ(decoded(rows, 0), c.values) << c.what;
  }
}

TEST(copy_rows, keeps_rows_in_order_and_refuses_a_row_of_other_width) {
  migrator::detail::copied_rows rows;
  rows.add_row("1\ta\n");
  rows.add_row("2\t\\N\n");
  EXPECT_THROW(rows.add_row("3\n"), migrator::error);
  EXPECT_THROW(rows.add_row("4\tb\tc\n"), migrator::error);
  rows.add_row("5\te\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(decoded(rows, 0), (std::vector<value>{"1", "a"}));
  EXPECT_EQ(decoded(rows, 1), (std::vector<value>{"2", std::nullopt}));
  EXPECT_EQ(decoded(rows, 2), (std::vector<value>{"5", "e"}));
  EXPECT_FALSE(rows.is_null(3, 0)) << "out of range is not NULL";
  EXPECT_EQ(rows.value(3, 0), "");
}

}  // namespace
