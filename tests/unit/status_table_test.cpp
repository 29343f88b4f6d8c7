// `app migrate status`'s table (cmd/status_table.cpp): written to the stream in
// pieces, a table of any length comes out whole, in version order, once.
#include "status_table.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace {

migrator::status_report applied_report(int count) {
  migrator::status_report r;
  r.history_exists = true;
  for (int i = 1; i <= count; ++i) {
    migrator::migration_status m;
    m.module = "m" + std::to_string(i / 500 + 1);
    m.version = (i / 500 + 1) * 1000 + i % 500 + 1;
    m.name = "add_column_number_" + std::to_string(i);
    m.state = migrator::migration_state::applied;
    m.applied_at = "2026-12-07 04:05:36";
    r.migrations.push_back(m);
    r.current_version = m.version;
  }
  return r;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST(status_table, a_table_of_any_length_is_written_whole_and_in_order) {
  // 1: one line; 1,500 and 4,000: tables of about 110 KB and 290 KB, more than one piece.
  for (const int count : {1, 1500, 4000}) {
    SCOPED_TRACE(count);
    const auto report = applied_report(count);
    std::ostringstream out;
    app::print_status_table(out, report);
    const auto lines = lines_of(out.str());
    // The header, a line per migration, a blank line and the summary.
    ASSERT_EQ(lines.size(), static_cast<std::size_t>(count) + 3);
    EXPECT_EQ(lines[0].rfind("MODULE", 0), 0u) << lines[0];
    for (int i = 0; i < count; ++i) {
      const auto& m = report.migrations[static_cast<std::size_t>(i)];
      const std::string& line = lines[static_cast<std::size_t>(i) + 1];
      EXPECT_EQ(line.rfind(m.module + " ", 0), 0u) << line;
      EXPECT_NE(line.find(" " + std::to_string(m.version) + " "), std::string::npos) << line;
      EXPECT_NE(line.find(" " + m.name + " "), std::string::npos) << line;
      EXPECT_EQ(line.substr(line.size() - 19), "2026-12-07 04:05:36") << line;
    }
    EXPECT_EQ(lines[static_cast<std::size_t>(count) + 1], "");
    EXPECT_EQ(lines.back().rfind("version " + std::to_string(report.current_version) + ": " +
                                     std::to_string(count) + " applied",
                                 0),
              0u)
        << lines.back();
  }
}
