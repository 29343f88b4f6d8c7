// goose's annotations, one row per line: is it an annotation, and which one (or
// what is wrong with it).
#include "format/annotation.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

namespace {

using migrator::parsing::annotation;

TEST(IsAnnotationLine, Table) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"-- +goose Up", true},
      {"--+goose Down", true},
      {"   -- +goose Up", true},  // an annotation, refused later for its indentation
      {"-- see +goose below", true},  // "+goose" anywhere after "--" makes it one
      {"-- +GOOSE Up", false},   // the marker is case-sensitive
      {"-- plain comment", false},
      {"SELECT 1; -- +goose Up", false},
      {"+goose Up", false},
      {"- +goose Up", false},
      {"", false},
      {"\xC2\xA0-- +goose Up", true},  // NBSP is whitespace for trimming
  };
  for (const auto& [line, expected] : cases) {
    SCOPED_TRACE(line);
    EXPECT_EQ(migrator::parsing::is_annotation_line(line), expected);
  }
}

struct annotation_case {
  std::string line;
  std::variant<annotation, std::string> expected;  // the annotation, or the message
};

const std::string known =
    "expected one of Up, Down, StatementBegin, StatementEnd, NO TRANSACTION, ENVSUB ON, ENVSUB OFF";
const std::string indented =
    "annotation must start at the beginning of the line: remove the whitespace before \"--\"";

TEST(ExtractAnnotation, Table) {
  const std::vector<annotation_case> cases = {
      {"-- +goose Up", annotation::up},
      {"-- +goose Down", annotation::down},
      {"-- +goose StatementBegin", annotation::statement_begin},
      {"-- +goose StatementEnd", annotation::statement_end},
      {"-- +goose NO TRANSACTION", annotation::no_transaction},
      {"-- +goose ENVSUB ON", annotation::envsub_on},
      {"-- +goose ENVSUB OFF", annotation::envsub_off},
      // Spelling: any case, free spacing around the word, dashes removed anywhere.
      {"-- +goose up", annotation::up},
      {"-- +goose dOwN", annotation::down},
      {"--+goose statementbegin", annotation::statement_begin},
      {"--    +goose    StatementEnd \t ", annotation::statement_end},
      {"---- +goose Up--", annotation::up},
      {"-- +gooseDown", annotation::down},
      {"-- +goose envsub on", annotation::envsub_on},
      {"-- +goose No Transaction", annotation::no_transaction},
      {"-- +goose NO TRAN\xC5\xBF" "ACTION", annotation::no_transaction},  // long s folds to s
      {"-- +goose Up\xC2\xA0", annotation::up},                            // trailing NBSP trimmed
      // Errors.
      {" -- +goose Up", indented},
      {"\t-- +goose Up", indented},
      {"-- +goose +goose Up", std::string("two \"+goose\" annotations on one line")},
      {"-- +goose", "empty annotation \"-- +goose\": " + known},
      {"-- +goose   \t", "empty annotation \"-- +goose\": " + known},
      {"-- +goose Sideways", "unknown annotation \"Sideways\": " + known},
      {"-- +goose NO  TRANSACTION", "unknown annotation \"NO  TRANSACTION\": " + known},
      {"-- +goose Up -- the accounts table", "unknown annotation \"Up  the accounts table\": " + known},
      {"-- the +goose format", "unknown annotation \"the  format\": " + known},
      {"-- +goose " + std::string(80, 'x'), "unknown annotation \"" + std::string(72, 'x') + "...\": " + known},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    const auto got = migrator::parsing::extract_annotation(c.line);
    if (const auto* want = std::get_if<annotation>(&c.expected)) {
      ASSERT_TRUE(std::holds_alternative<annotation>(got)) << std::get<std::string>(got);
      EXPECT_EQ(std::get<annotation>(got), *want);
    } else {
      ASSERT_TRUE(std::holds_alternative<std::string>(got));
      EXPECT_EQ(std::get<std::string>(got), std::get<std::string>(c.expected));
    }
  }
}

}  // namespace
