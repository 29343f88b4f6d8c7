// read_code_source() and parse_code_file_name(): what a code migration's text
// declares, read without compiling it; each rejected text with its line.
#include "migrator/code_source.h"

#include <gtest/gtest.h>

namespace {

struct accepted_case {
  const char* label;
  std::string text;
  int line;
  bool use_transaction;
  std::string up;
  std::string down;
};

void PrintTo(const accepted_case& c, std::ostream* os) { *os << c.label; }

class code_source_accepted : public testing::TestWithParam<accepted_case> {};

TEST_P(code_source_accepted, finds_the_one_declaration) {
  const auto& c = GetParam();
  const auto info = migrator::read_code_source(c.text, "m/04003_x.cpp");
  EXPECT_EQ(info.line, c.line);
  EXPECT_EQ(info.use_transaction, c.use_transaction);
  EXPECT_EQ(info.up, c.up);
  EXPECT_EQ(info.down, c.down);
}

const std::string header = "#include <migrator/code_migration.h>\n";

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    texts, code_source_accepted,
    testing::Values(
        accepted_case{"up_and_down", header + "void up(migrator::code_transaction&) {}\nvoid down(migrator::code_transaction&) {}\nMIGRATOR_CODE_MIGRATION(up, down);\n", 4, true, "up", "down"},
        accepted_case{"up_only", header + "MIGRATOR_CODE_MIGRATION(up);\n", 2, true, "up", ""},
        accepted_case{"explicit_null_down", header + "MIGRATOR_CODE_MIGRATION(up, nullptr);\n", 2, true, "up", ""},
        accepted_case{"no_transaction", header + "\n\nMIGRATOR_CODE_MIGRATION_NO_TRANSACTION( fill ,\n   unfill );\n", 4, false, "fill", "unfill"},
        accepted_case{"qualified_names", header + "MIGRATOR_CODE_MIGRATION(&billing::up, billing::down);\n", 2, true, "&billing::up", "billing::down"},
        accepted_case{"macro_in_comments_and_strings_ignored",
                      header + "// MIGRATOR_CODE_MIGRATION(old);\n/* MIGRATOR_CODE_MIGRATION(older);\n */\n"
                               "const char* s = \"MIGRATOR_CODE_MIGRATION(x)\";\nconst char* r = R\"sql(MIGRATOR_CODE_MIGRATION(y) \")sql\";\n"
                               "int n = 1'000;\nchar q = '\\'';\nMIGRATOR_CODE_MIGRATION(up, down);\n",
                      9, true, "up", "down"},
        accepted_case{"lambda_with_commas_is_one_argument",
                      header + "MIGRATOR_CODE_MIGRATION([](migrator::code_transaction& tx) { tx.exec(\"SELECT 1, 2\", {}); });\n",
                      2, true, "[](migrator::code_transaction& tx) { tx.exec(\"SELECT 1, 2\", {}); }", ""}));
// clang-format on

struct rejected_case {
  const char* label;
  std::string text;
  int line;
  std::string message_part;
};

void PrintTo(const rejected_case& c, std::ostream* os) { *os << c.label; }

class code_source_rejected : public testing::TestWithParam<rejected_case> {};

TEST_P(code_source_rejected, says_where) {
  const auto& c = GetParam();
  try {
    migrator::read_code_source(c.text, "modules/billing/migrations/04003_x.cpp");
    FAIL() << "accepted";
  } catch (const migrator::parse_error& e) {
    EXPECT_EQ(e.where().path, "modules/billing/migrations/04003_x.cpp");
    EXPECT_EQ(e.where().line, c.line) << e.what();
    EXPECT_NE(std::string(e.what()).find(c.message_part), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("modules/billing/migrations/04003_x.cpp:", 0), 0u) << e.what();
  }
}

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    texts, code_source_rejected,
    testing::Values(
        rejected_case{"no_declaration", header + "void up(migrator::code_transaction&) {}\n", 0, "defines no code migration"},
        rejected_case{"only_in_a_comment", header + "// MIGRATOR_CODE_MIGRATION(up);\n", 0, "defines no code migration"},
        rejected_case{"missing_up", header + "MIGRATOR_CODE_MIGRATION();\n", 2, "has no up function"},
        rejected_case{"null_up", header + "\nMIGRATOR_CODE_MIGRATION(nullptr, down);\n", 3, "has no up function"},
        rejected_case{"two_declarations", header + "MIGRATOR_CODE_MIGRATION(a);\nMIGRATOR_CODE_MIGRATION_NO_TRANSACTION(b);\n", 3, "the first is at line 2"},
        rejected_case{"three_arguments", header + "MIGRATOR_CODE_MIGRATION(a, b, c);\n", 2, "not 3 arguments"},
        rejected_case{"unclosed", header + "MIGRATOR_CODE_MIGRATION(up, \n", 2, "is never closed"},
        rejected_case{"unclosed_comment", header + "/* MIGRATOR_CODE_MIGRATION(up);\n", 2, "never closed"}));
// clang-format on

TEST(parse_code_file_name, numbers_like_sql_files) {
  auto p = migrator::parse_code_file_name("modules/billing/migrations/04003_backfill_invoice_totals.cpp");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->version, 4003);
  EXPECT_EQ(p->name, "backfill_invoice_totals");
  p = migrator::parse_code_file_name("backfill.cpp");
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->version);
  EXPECT_FALSE(migrator::parse_code_file_name("04003_backfill.sql"));
  EXPECT_FALSE(migrator::parse_code_file_name("04003_backfill.hpp"));
  EXPECT_FALSE(migrator::parse_code_file_name("04003_backfill.cpp.orig"));
}

}  // namespace
