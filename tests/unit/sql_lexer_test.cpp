// Where a statement ends: each row feeds the lines of one statement to a fresh
// scanner and says, line by line, whether that line ends it, and what is still
// open after the last line.
#include "format/sql_lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

struct scan_case {
  std::string name;
  std::vector<std::string> lines;
  std::vector<bool> ends;  // one per line
  std::string still_open = "";
};

const std::vector<scan_case> cases = {
    // goose's rule on words.
    {"semicolon at the end", {"SELECT 1;"}, {true}},
    {"no semicolon", {"SELECT 1"}, {false}},
    {"spaces after the semicolon", {"SELECT 1;  \t"}, {true}},
    {"a space before the semicolon", {"COMMIT ;"}, {true}},
    {"a comment after the semicolon", {"SELECT 1; -- done"}, {true}},
    {"a semicolon inside the trailing comment", {"SELECT 1 -- done;"}, {false}},
    {"'--' glued to the semicolon is part of the last word", {"SELECT 1;--done"}, {false}},
    {"a word starting with '--' ends the words", {"SELECT 1; --;"}, {true}},
    {"a semicolon in the middle of a line", {"SELECT 1; SELECT 2"}, {false}},
    {"a lone semicolon", {";"}, {true}},
    {"an empty line", {""}, {false}},
    {"Unicode spaces separate words", {"SELECT 1\xC2\xA0;\xE2\x80\x83-- x"}, {true}},
    {"'--' inside a word opens a comment for the lexer only", {"SELECT a--b;"}, {true}},
    {"a quote after an inner '--' opens nothing", {"SELECT a--it's", "FROM t;"}, {false, true}},
    {"lines of a statement", {"CREATE TABLE ledger (", "  id int", ");"}, {false, false, true}},

    // Strings.
    {"semicolon inside a string at the line end", {"INSERT INTO notes VALUES ('a;", "b');"}, {false, true},
     ""},
    {"doubled quote", {"SELECT 'don''t;", "';"}, {false, true}},
    {"a backslash does not escape in a standard string", {"SELECT 'C:\\';"}, {true}},
    {"E string: backslash escapes the quote", {"SELECT E'it\\'s;", "';"}, {false, true}},
    {"e string in lower case", {"SELECT e'\\';", "';"}, {false, true}},
    {"E string: escaped backslash", {"SELECT E'\\\\';"}, {true}},
    {"an identifier ending in e is not E''", {"SELECT type'\\';"}, {true}},
    {"an escape at the end of a line does not reach the next", {"SELECT E'a\\", "';"}, {false, true}},
    {"'--' inside a string is not a comment", {"SELECT '-- x;';"}, {true}},
    {"a string left open", {"SELECT 'open;"}, {false}, "a string opened on line 1 is never closed"},
    {"an E string left open", {"SELECT 1,", "E'x\\';"}, {false, false}, "a string opened on line 2 is never closed"},

    // Quoted identifiers.
    {"semicolon in a quoted identifier", {"CREATE TABLE \"odd;", "name\" (id int);"}, {false, true}},
    {"doubled double quote", {"SELECT 1 AS \"a\"\";", "\";"}, {false, true}},
    {"an identifier left open", {"SELECT 1 AS \"x;"}, {false},
     "a double-quoted identifier opened on line 1 is never closed"},

    // Dollar quoting.
    {"$$ body", {"DO $$", "BEGIN PERFORM 1; END;", "$$;"}, {false, false, true}},
    {"$tag$ body ignores other delimiters", {"SELECT $fn$ x;", "$$;", "$other$;", "$fn$;"},
     {false, false, false, true}},
    {"a positional parameter is not a delimiter", {"SELECT $1;"}, {true}},
    {"a $ inside an identifier is not a delimiter", {"SELECT price$usd$ FROM t;"}, {true}},
    {"a tag may not start with a digit", {"SELECT $1$;"}, {true}},
    {"a body left open", {"DO $body$", "BEGIN END;"}, {false, false},
     "the dollar-quoted body $body$ opened on line 1 is never closed"},

    // Comments.
    {"a semicolon in a block comment", {"SELECT /* a;", "*/ 1;"}, {false, true}},
    {"nested block comments", {"SELECT /* a /* b;", "*/ c;", "*/ 1;"}, {false, false, true}},
    {"a quote in a block comment opens nothing", {"SELECT 1 /* don't */;"}, {true}},
    {"a quote in a line comment opens nothing", {"SELECT 1 -- don't", ";"}, {false, true}},
    {"a block comment left open", {"SELECT 1;", "/* note;"}, {true, false},
     "a /* comment opened on line 2 is never closed"},
    {"a line comment is closed by the end of its line", {"SELECT 1 -- x", "/* y */;"}, {false, true}},
};

void PrintTo(const scan_case& c, std::ostream* os) { *os << c.name; }

class Scanner : public testing::TestWithParam<scan_case> {};

TEST_P(Scanner, EndsAndOpenConstruct) {
  const scan_case& c = GetParam();
  ASSERT_EQ(c.lines.size(), c.ends.size());
  migrator::parsing::statement_end_scanner scanner;
  for (std::size_t i = 0; i < c.lines.size(); ++i)
    EXPECT_EQ(scanner.ends_statement(c.lines[i], static_cast<int>(i + 1)), c.ends[i]) << "line " << i + 1;
  EXPECT_EQ(scanner.open_construct(), c.still_open);
}

INSTANTIATE_TEST_SUITE_P(Lexer, Scanner, testing::ValuesIn(cases), [](const auto& info) {
  std::string s;
  for (char ch : info.param.name) s += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return s;
});

TEST(Scanner, ResetForgetsWhatWasOpen) {
  migrator::parsing::statement_end_scanner scanner;
  EXPECT_FALSE(scanner.ends_statement("SELECT 'open;", 7));
  EXPECT_EQ(scanner.open_construct(), "a string opened on line 7 is never closed");
  scanner.reset();
  EXPECT_EQ(scanner.open_construct(), "");
  EXPECT_TRUE(scanner.ends_statement("SELECT 1;", 8));
}

}  // namespace
