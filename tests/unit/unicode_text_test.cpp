// Go's notion of whitespace, case folding and valid UTF-8, one table per helper.
#include "support/unicode_text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace std::string_literals;
namespace p = migrator::parsing;

struct space_case {
  std::string text;
  std::size_t length;  // of the whitespace character at the start, 0 = none
};

TEST(SpaceLen, UnicodeIsSpaceTable) {
  const std::vector<space_case> cases = {
      {" x", 1},
      {"\tx", 1},
      {"\n", 1},
      {"\v", 1},
      {"\f", 1},
      {"\r", 1},
      {"x", 0},
      {"\x1f", 0},
      {"\x85", 0},          // a lone continuation byte is not NEL
      {"\xC2\x85", 2},      // U+0085 NEL
      {"\xC2\xA0", 2},      // U+00A0 NO-BREAK SPACE
      {"\xC2\xA1", 0},      // U+00A1 is punctuation
      {"\xC2", 0},          // truncated
      {"\xE1\x9A\x80", 3},  // U+1680 OGHAM SPACE MARK
      {"\xE2\x80\x80", 3},  // U+2000
      {"\xE2\x80\x8A", 3},  // U+200A
      {"\xE2\x80\x8B", 0},  // U+200B ZERO WIDTH SPACE is not a space in Go
      {"\xE2\x80\xA8", 3},  // U+2028 LINE SEPARATOR
      {"\xE2\x80\xA9", 3},  // U+2029 PARAGRAPH SEPARATOR
      {"\xE2\x80\xAF", 3},  // U+202F NARROW NO-BREAK SPACE
      {"\xE2\x81\x9F", 3},  // U+205F MEDIUM MATHEMATICAL SPACE
      {"\xE2\x81\xA0", 0},  // U+2060 WORD JOINER
      {"\xE3\x80\x80", 3},  // U+3000 IDEOGRAPHIC SPACE
      {"\xE3\x80\x81", 0},  // U+3001
      {"\xE2\x80", 0},      // truncated
      {"\xEF\xBB\xBF", 0},  // the BOM is not whitespace
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.text));
    EXPECT_EQ(p::space_len(c.text.data(), c.text.data() + c.text.size()), c.length);
  }
}

struct trim_case {
  std::string text;
  std::string left;   // trim_left
  std::string space;  // trim_space
};

TEST(Trim, LikeGoStringsTrimSpace) {
  const std::vector<trim_case> cases = {
      {"", "", ""},
      {"   ", "", ""},
      {"a", "a", "a"},
      {" \t a b \r\n", "a b \r\n", "a b"},
      {"\xC2\xA0x\xC2\xA0", "x\xC2\xA0", "x"},
      {"\xE3\x80\x80\xE3\x80\x80sql\xE2\x80\x83", "sql\xE2\x80\x83", "sql"},
      {"caf\xC3\xA9 ", "caf\xC3\xA9 ", "caf\xC3\xA9"},    // é ends in a continuation byte
      {"x\xC2\x85", "x\xC2\x85", "x"},                     // NEL at the end
      {"x\x85", "x\x85", "x\x85"},                         // a stray byte is kept
      {"\xE2\x80\x8Bx\xE2\x80\x8B", "\xE2\x80\x8Bx\xE2\x80\x8B", "\xE2\x80\x8Bx\xE2\x80\x8B"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.text));
    EXPECT_EQ(p::trim_left(c.text), c.left);
    EXPECT_EQ(p::trim_space(c.text), c.space);
  }
}

struct fold_case {
  std::string in;
  std::string word;
  bool equal;
};

TEST(EqualFold, LikeGoStringsEqualFold) {
  const std::vector<fold_case> cases = {
      {"up", "Up", true},
      {"UP", "Up", true},
      {"uP", "Up", true},
      {"Upp", "Up", false},
      {"U", "Up", false},
      {"", "", true},
      {"no transaction", "NO TRANSACTION", true},
      {"no  transaction", "NO TRANSACTION", false},
      {"no_transaction", "NO TRANSACTION", false},
      {"\xC5\xBFtatementEnd", "StatementEnd", true},       // U+017F long s folds to s
      {"\xE2\x84\xAA", "k", true},                         // U+212A Kelvin sign folds to k
      {"\xE2\x84\xAA", "s", false},
      {"\xC5\xBF", "k", false},
      {"Stat\xC3\xA9mentEnd", "StatementEnd", false},
      {"[", "{", false},  // 0x5B | 0x20 == 0x7B, but neither is a letter
      {"@", "`", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in + " vs " + c.word);
    EXPECT_EQ(p::equal_fold(c.in, c.word), c.equal);
  }
}

struct utf8_case {
  std::string text;
  std::size_t invalid_at;  // npos: valid
};

TEST(FindInvalidByte, NulAndMalformedUtf8) {
  constexpr std::size_t ok = std::string::npos;
  const std::vector<utf8_case> cases = {
      {"", ok},
      {"plain ascii that is longer than eight bytes", ok},
      {"caf\xC3\xA9", ok},
      {"\xE2\x82\xAC euro", ok},
      {"\xF0\x9F\x90\x98 elephant", ok},
      {"\xF4\x8F\xBF\xBF", ok},          // U+10FFFF
      {"\xEF\xBF\xBD", ok},              // U+FFFD itself is fine
      {"abc\0def"s, 3},
      {"0123456789\0"s, 10},             // NUL after a whole 8-byte block
      {"\xC0\x80", 0},                   // overlong NUL
      {"\xC1\xBF", 0},                   // overlong
      {"\xE0\x80\x80", 0},               // overlong 3-byte
      {"\xED\xA0\x80", 0},               // surrogate U+D800
      {"\xF0\x80\x80\x80", 0},           // overlong 4-byte
      {"\xF4\x90\x80\x80", 0},           // above U+10FFFF
      {"\xF5\x80\x80\x80", 0},
      {"ab\x80", 2},                     // stray continuation
      {"ab\xC3", 2},                     // truncated at the end
      {"ab\xE2\x82", 2},
      {"\xE2\x82x", 0},                  // continuation missing
      {"\xFF", 0},
      {"12345678\xE9", 8},               // Latin-1 after a block of ASCII
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.text));
    EXPECT_EQ(p::find_invalid_byte(c.text), c.invalid_at);
  }
}

TEST(Excerpt, FirstLineAtMost72BytesOfWholeCharacters) {
  EXPECT_EQ(p::excerpt("SELECT 1;"), "SELECT 1;");
  EXPECT_EQ(p::excerpt("SELECT 1\n, 2;"), "SELECT 1...");
  EXPECT_EQ(p::excerpt(""), "");
  const std::string seventy_two(72, 'a');
  EXPECT_EQ(p::excerpt(seventy_two), seventy_two);
  EXPECT_EQ(p::excerpt(seventy_two + "b"), seventy_two + "...");
  // 71 ASCII bytes then 'é' (2 bytes): byte 72 would split it, so it is left out whole.
  const std::string seventy_one(71, 'a');
  EXPECT_EQ(p::excerpt(seventy_one + "\xC3\xA9" + "z"), seventy_one + "...");
}

TEST(StartsWith, Prefixes) {
  EXPECT_TRUE(p::starts_with("-- +goose Up", "--"));
  EXPECT_TRUE(p::starts_with("x", ""));
  EXPECT_FALSE(p::starts_with("-", "--"));
  EXPECT_FALSE(p::starts_with(" --", "--"));
}

}  // namespace
