// Golden tests over tests/testdata/parser (designed for this project; see its
// README): for every accepted file, the statements it splits into in both
// directions and its transaction flag, exactly as `app migrate inspect --json`
// prints them (accepted/NAME.json); for every rejected file, its exact message
// (rejected/NAME.error). Where goose v3 behaves the same, these pin goose's
// behaviour; the README names the files that pin our intended differences.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>  // header-only: the expected files are inspect's JSON

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "migrator/parser.h"
#include "golden_files.h"
#include "test_support.h"

namespace {

namespace fs = std::filesystem;
using testing_support::golden_cases;
using testing_support::read_file;

const fs::path corpus = fs::path(MIGRATOR_TESTDATA_DIR) / "parser";

// The environment every corpus file is parsed with (CORPUS_UNSET stays unset).
migrator::env_lookup corpus_env() {
  static const std::map<std::string, std::string> vars = {
      {"CORPUS_SCHEMA", "billing"}, {"CORPUS_ROLE", "billing_writer"}, {"CORPUS_EMPTY", ""}};
  return [](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

struct accepted_case {
  std::string stem;  // accepted/<stem>.sql and accepted/<stem>.json
  std::size_t up;
  std::size_t down;
  bool transaction;
};

void PrintTo(const accepted_case& c, std::ostream* os) { *os << c.stem; }

// Counts and flags written out again, so that an expected file regenerated
// without review, or lost, cannot go unnoticed.
const std::vector<accepted_case> accepted_cases = {
    {"02401_identity_comments", 4, 1, true},
    {"02402_identity_no_transaction_last", 1, 1, false},
    {"02403_identity_transaction_by_default", 2, 1, true},
    {"02404_identity_crlf", 2, 2, true},
    {"02405_identity_bom", 2, 1, true},
    {"03301_inventory_dollar_bodies", 4, 3, true},
    {"03302_inventory_no_transaction", 1, 1, false},
    {"04101_billing_annotation_spellings", 3, 2, true},
    {"04102_billing_statement_blocks", 3, 1, true},
    {"04103_billing_envsub_before_up", 2, 2, true},
    {"04104_billing_envsub_switching", 5, 2, true},
    {"04105_billing_envsub_off_by_default", 3, 1, true},
    {"05201_notifications_quoting", 5, 2, true},
    {"05202_notifications_blank_lines", 3, 2, true},
    {"05203_notifications_quote_aware_ends", 8, 2, true},
};

constexpr std::size_t rejected_count = 26;

std::string case_name(const testing::TestParamInfo<accepted_case>& info) { return "v" + info.param.stem; }

std::vector<std::string> sql_of(const std::vector<migrator::statement>& statements) {
  std::vector<std::string> r;
  for (const auto& s : statements) r.push_back(s.sql);
  return r;
}

// Line `n` (1-based) of a file, without its CR, BOM or leading whitespace.
std::string source_line(const std::string& text, int n) {
  std::istringstream in(text);
  std::string line;
  for (int i = 0; i < n && std::getline(in, line); ++i) {
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
  return line.substr(std::min(line.find_first_not_of(" \t"), line.size()));
}

// Each statement's line is where its text begins: that source line is the
// statement's first line (checked where no ENVSUB changes the text).
void expect_lines(const std::string& text, const std::vector<migrator::statement>& statements) {
  const bool substituted = text.find("ENVSUB ON") != std::string::npos ||
                           text.find("envsub on") != std::string::npos;
  for (const auto& s : statements) {
    ASSERT_GT(s.line, 0) << s.sql;
    if (substituted) continue;
    EXPECT_EQ(source_line(text, s.line), s.sql.substr(0, s.sql.find('\n'))) << "line " << s.line;
  }
}

class Accepted : public testing::TestWithParam<accepted_case> {};

TEST_P(Accepted, SplitsAsItsJsonSays) {
  const accepted_case& c = GetParam();
  const fs::path sql = corpus / "accepted" / (c.stem + ".sql");
  const std::string text = read_file(sql);
  const auto body = migrator::parse_migration(text, sql.string(), corpus_env());
  const auto parts = migrator::parse_file_name(sql.string());
  ASSERT_TRUE(parts && parts->version) << "corpus files are named <version>_<name>.sql";

  const auto want = nlohmann::json::parse(read_file(corpus / "accepted" / (c.stem + ".json")));
  EXPECT_EQ(want.at("version"), *parts->version);
  EXPECT_EQ(want.at("name"), parts->name);
  EXPECT_EQ(want.at("transaction").get<bool>(), body.use_transaction);
  EXPECT_EQ(want.at("up").get<std::vector<std::string>>(), sql_of(body.up));
  EXPECT_EQ(want.at("down").get<std::vector<std::string>>(), sql_of(body.down));

  EXPECT_EQ(body.up.size(), c.up);
  EXPECT_EQ(body.down.size(), c.down);
  EXPECT_EQ(body.use_transaction, c.transaction);
  expect_lines(text, body.up);
  expect_lines(text, body.down);
}

INSTANTIATE_TEST_SUITE_P(Corpus, Accepted, testing::ValuesIn(accepted_cases), case_name);

TEST(Corpus, EveryAcceptedFileIsInTheTableWithItsJson) {
  // golden_cases fails unless every accepted/NAME.sql has its accepted/NAME.json and nothing else is there.
  std::set<std::string> sql;
  for (const auto& c : golden_cases(corpus / "accepted", ".sql", ".json")) sql.insert(c.stem);
  std::set<std::string> table;
  for (const auto& c : accepted_cases) table.insert(c.stem);
  EXPECT_EQ(sql, table) << "accepted_cases lists every accepted file";
  EXPECT_EQ(sql.size(), accepted_cases.size());
}

// rejected/NAME.sql must fail with exactly "PATH:" followed by rejected/NAME.error.
TEST(Corpus, EveryRejectedFileFailsWithItsMessage) {
  // golden_cases fails unless every rejected/NAME.sql has its NAME.error and nothing else is there.
  const auto cases = golden_cases(corpus / "rejected", ".sql", ".error");
  for (const auto& c : cases) {
    const std::string path = c.input.string();
    SCOPED_TRACE(path);
    std::string expected = c.expected;
    if (!expected.empty() && expected.back() == '\n') expected.pop_back();
    try {
      migrator::parse_migration(read_file(c.input), path, corpus_env());
      ADD_FAILURE() << "parsed, but goose rejects it";
    } catch (const migrator::parse_error& e) {
      EXPECT_EQ(std::string(e.what()), path + ":" + expected);
      EXPECT_EQ(e.where().path, path);
      EXPECT_GT(e.where().line, 0);
    }
  }
  EXPECT_EQ(cases.size(), rejected_count);
}

}  // namespace
