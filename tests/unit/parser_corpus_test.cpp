// Golden tests over tests/testdata/parser (written for this project; see its
// README): the statements each valid file splits into, in both directions, the
// exact message of each file that must be rejected, and the transaction flag.
// Where goose v3 behaves the same, these pin goose's behaviour; the README says
// which cases are our intended differences.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "migrator/parser.h"
#include "test_support.h"

namespace {

namespace fs = std::filesystem;
using testing_support::read_file;

const fs::path corpus = fs::path(MIGRATOR_TESTDATA_DIR) / "parser";

// The environment every corpus file is parsed with (LEDGER_MISSING stays unset).
migrator::env_lookup corpus_env() {
  static const std::map<std::string, std::string> vars = {
      {"LEDGER_SCHEMA", "ledger"}, {"LEDGER_OWNER", "treasurer"}, {"LEDGER_BLANK", ""}};
  return [](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// NN.<direction>.golden.sql files of a directory, by statement index (0-based).
std::map<int, std::string> goldens(const fs::path& dir, const std::string& direction) {
  static const std::regex name(R"((\d+)\.(up|down)\.golden\.sql)");
  std::map<int, std::string> found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::smatch m;
    const std::string file = entry.path().filename().string();
    if (std::regex_match(file, m, name) && m[2] == direction)
      found[std::stoi(m[1]) - 1] = read_file(entry.path());
  }
  return found;
}

struct valid_case {
  std::string dir;  // relative to the corpus root
  std::size_t up;
  std::size_t down;
};

void PrintTo(const valid_case& c, std::ostream* os) { *os << c.dir; }

// The statement counts, written out so that a lost golden file cannot go unnoticed.
const std::vector<valid_case> valid_cases = {
    {"valid/annotation-spelling", 3, 0},
    {"valid/blank-lines-and-comments", 5, 1},
    {"valid/block-of-many-statements", 1, 1},
    {"valid/block-without-final-semicolon", 1, 1},
    {"valid/bom", 1, 1},
    {"valid/comments-around-statements", 2, 2},
    {"valid/crlf", 3, 2},
    {"valid/dashes-in-strings", 3, 1},
    {"valid/multi-line-strings", 3, 1},
    {"valid/other-dialect", 4, 0},
    {"valid/quoted-semicolons", 8, 2},
    {"valid/single-quoted-body", 1, 0},
    {"valid/whitespace-before-up", 1, 1},
    {"envsub/off-by-default", 1, 0},
    {"envsub/on-and-off", 3, 0},
    {"envsub/on-before-up", 3, 1},
};

std::string case_name(const testing::TestParamInfo<valid_case>& info) {
  std::string s = info.param.dir;
  std::replace_if(
      s.begin(), s.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return s;
}

void expect_matches_goldens(const fs::path& dir, const std::vector<migrator::statement>& got,
                            std::size_t count, const std::string& direction) {
  const auto want = goldens(dir, direction);
  ASSERT_EQ(want.size(), count) << dir << ": golden files for " << direction;
  ASSERT_EQ(got.size(), count) << dir << ": " << direction << " statements";
  for (const auto& [index, text] : want) {
    ASSERT_LT(static_cast<std::size_t>(index), got.size()) << "golden files are numbered from 01";
    EXPECT_EQ(got[index].sql, text) << (dir / (std::to_string(index + 1) + "." + direction + ".golden.sql"));
    EXPECT_GT(got[index].line, 0);
  }
}

class Valid : public testing::TestWithParam<valid_case> {};

TEST_P(Valid, SplitsAsTheGoldenFilesSay) {
  const valid_case& c = GetParam();
  const fs::path dir = corpus / c.dir;
  const auto body =
      migrator::parse_migration(read_file(dir / "input.sql"), (dir / "input.sql").string(), corpus_env());
  expect_matches_goldens(dir, body.up, c.up, "up");
  expect_matches_goldens(dir, body.down, c.down, "down");
  EXPECT_TRUE(body.use_transaction);
}

INSTANTIATE_TEST_SUITE_P(Corpus, Valid, testing::ValuesIn(valid_cases), case_name);

TEST(Corpus, EveryValidDirectoryIsInTheTable) {
  std::size_t on_disk = 0;
  for (const char* group : {"valid", "envsub"}) {
    for (const auto& entry : fs::directory_iterator(corpus / group)) {
      ++on_disk;
      const std::string dir = std::string(group) + "/" + entry.path().filename().string();
      EXPECT_TRUE(std::any_of(valid_cases.begin(), valid_cases.end(),
                              [&](const valid_case& c) { return c.dir == dir; }))
          << dir << " has no row in valid_cases";
      EXPECT_TRUE(fs::exists(entry.path() / "input.sql")) << dir;
    }
  }
  EXPECT_EQ(on_disk, valid_cases.size());
}

// rejected/NAME.sql must fail with exactly "PATH:" followed by rejected/NAME.error.
TEST(Corpus, EveryRejectedFileFailsWithItsMessage) {
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(corpus / "rejected")) {
    if (entry.path().extension() != ".sql") continue;
    ++files;
    const std::string path = entry.path().string();
    SCOPED_TRACE(path);
    fs::path error_file = entry.path();
    error_file.replace_extension(".error");
    ASSERT_TRUE(fs::exists(error_file));
    std::string expected = read_file(error_file);
    if (!expected.empty() && expected.back() == '\n') expected.pop_back();
    try {
      migrator::parse_migration(read_file(entry.path()), path, corpus_env());
      ADD_FAILURE() << "parsed, but goose rejects it";
    } catch (const migrator::parse_error& e) {
      EXPECT_EQ(std::string(e.what()), path + ":" + expected);
      EXPECT_EQ(e.where().path, path);
      EXPECT_GT(e.where().line, 0);
    }
  }
  EXPECT_EQ(files, 21u);
}

TEST(Corpus, TransactionFlag) {
  const std::vector<std::pair<std::string, bool>> files = {
      {"00001_default_transaction.sql", true},
      {"00002_block_in_down.sql", true},
      {"00003_no_transaction.sql", false},
      {"00004_no_transaction_after_down.sql", false},
  };
  for (const auto& [file, use_transaction] : files) {
    const fs::path path = corpus / "transaction" / file;
    const auto body = migrator::parse_migration(read_file(path), path.string(), corpus_env());
    EXPECT_EQ(body.use_transaction, use_transaction) << file;
    EXPECT_FALSE(body.up.empty()) << file;
    EXPECT_FALSE(body.down.empty()) << file;
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(corpus / "transaction"), fs::directory_iterator()),
            static_cast<std::ptrdiff_t>(files.size()));
}

}  // namespace
