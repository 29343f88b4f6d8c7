// The engine's side of history_store::compare_applied: the text of a set fully
// applied, which the PostgreSQL store's query rebuilds from the history
// (tests/integration/applied_history_test.cpp checks that the two agree).
#include <gtest/gtest.h>

#include "backend/applied_history.h"

namespace {

migrator::migration applied(std::int64_t version, const std::string& module, const std::string& checksum) {
  migrator::migration m;
  m.version = version;
  m.module = module;
  m.name = "n" + std::to_string(version);
  m.checksum = checksum;
  return m;
}

TEST(applied_history_text, one_line_per_migration_in_version_order) {
  struct expectation {
    const char* what;
    std::vector<migrator::migration> set;
    const char* text;
  };
  const expectation cases[] = {
      {"an empty set: an empty history", {}, ""},
      {"one migration", {applied(1001, "db", "ab12")}, "1001 db ab12 applied\n"},
      {"listed out of order: sorted by version",
       {applied(2001, "shop", "c3"), applied(1002, "db", "b2"), applied(1001, "db", "a1")},
       "1001 db a1 applied\n1002 db b2 applied\n2001 shop c3 applied\n"},
      {"versions compare as numbers, not text", {applied(10001, "m10", "x"), applied(9001, "m9", "y")},
       "9001 m9 y applied\n10001 m10 x applied\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(migrator::detail::applied_history_text(c.set), c.text);
  }
}

}  // namespace
