// goose's rows read into the applied versions (backend/history_rows.h), without a
// database: the server sends them in its own order, so every order of the same
// rows must give the same history.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "backend/history_rows.h"

namespace {

struct goose_row {
  int id;
  int version;
  bool applied;
};

// The rows as a query_result of "id, version_id, is_applied, applied-at", the
// applied-at naming the row ("at <id>") so that the test sees which row decided.
migrator::query_result result_of(const std::vector<goose_row>& rows) {
  migrator::query_result result;
  for (const auto& r : rows)
    result.rows.push_back({std::to_string(r.id), std::to_string(r.version), std::string(r.applied ? "t" : "f"),
                           "at " + std::to_string(r.id)});
  return result;
}

std::string applied_text(const std::vector<goose_row>& rows) {
  auto result = result_of(rows);
  std::string text;
  for (const auto& a : migrator::detail::applied_from_goose_rows(result))
    text += (text.empty() ? "" : " ") + std::to_string(a.version) + "@" + std::to_string(a.id) + "(" + a.applied_at + ")";
  return text;
}

struct history_case {
  const char* what;
  std::vector<goose_row> rows;  // in id order
  const char* applied;          // version@id(applied-at) by id
};

TEST(history_rows, every_order_of_the_same_rows_reads_the_same_history) {
  const history_case cases[] = {
      {"goose v3 applying in order", {{1, 0, true}, {2, 1001, true}, {3, 1002, true}, {4, 2001, true}},
       "1001@2(at 2) 1002@3(at 3) 2001@4(at 4)"},
      {"goose v3 after a down (the row deleted) and an allow-missing older version",
       {{1, 0, true}, {2, 2001, true}, {4, 1001, true}}, "2001@2(at 2) 1001@4(at 4)"},
      {"goose v2 rolled 1002 back (its latest row is is_applied = false)",
       {{1, 0, true}, {2, 1001, true}, {3, 1002, true}, {5, 1002, false}}, "1001@2(at 2)"},
      {"goose v2 rolled 1002 back and applied it again: the latest row's time",
       {{1, 0, true}, {2, 1002, true}, {3, 1002, false}, {7, 1002, true}, {8, 1001, true}},
       "1002@7(at 7) 1001@8(at 8)"},
      {"no rows but goose's version 0", {{1, 0, true}}, ""},
  };
  for (const auto& c : cases) {
    std::vector<goose_row> rows = c.rows;
    EXPECT_EQ(applied_text(rows), c.applied) << c.what << " (in id order)";
    std::reverse(rows.begin(), rows.end());
    EXPECT_EQ(applied_text(rows), c.applied) << c.what << " (reversed)";
    // Every rotation: the heap order after rows were updated and moved.
    for (std::size_t k = 1; k < rows.size(); ++k) {
      std::vector<goose_row> rotated = c.rows;
      std::rotate(rotated.begin(), rotated.begin() + static_cast<std::ptrdiff_t>(k), rotated.end());
      EXPECT_EQ(applied_text(rotated), c.applied) << c.what << " (rotated by " << k << ")";
    }
  }
}

}  // namespace
