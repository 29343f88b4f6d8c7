// Golden tests. goose's own parser corpus (tests/testdata/goose-sqlparser,
// copied from pressly/goose internal/sqlparser/testdata) must split byte for
// byte as goose's parser_test.go expects; our corpus (tests/testdata/parser)
// pins the intended difference from goose and the BOM/CRLF handling. Layout:
// <dir>/input.sql next to NN.up.golden.sql / NN.down.golden.sql, one per statement.
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

const fs::path goose_dir = fs::path(MIGRATOR_TESTDATA_DIR) / "goose-sqlparser";
const fs::path our_dir = fs::path(MIGRATOR_TESTDATA_DIR) / "parser";

// The environment of goose's TestEnvsub (parser_test.go).
migrator::env_lookup golden_env() {
  static const std::map<std::string, std::string> vars = {
      {"GOOSE_ENV_REGION", "us_east_"}, {"GOOSE_ENV_SET_BUT_EMPTY_VALUE", ""}, {"GOOSE_ENV_NAME", "foo"}};
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

void expect_matches_goldens(const fs::path& dir, const std::vector<migrator::statement>& got,
                            const std::string& direction) {
  const auto want = goldens(dir, direction);
  ASSERT_EQ(got.size(), want.size()) << dir << ": " << direction << " statements vs golden files";
  for (const auto& [index, text] : want) {
    ASSERT_LT(static_cast<std::size_t>(index), got.size());
    EXPECT_EQ(got[index].sql, text) << (dir / (std::to_string(index + 1) + "." + direction + ".golden.sql"));
    EXPECT_GT(got[index].line, 0);
  }
}

struct valid_case {
  std::string dir;  // relative to its corpus root
  std::size_t up;
  std::optional<std::size_t> down;  // nullopt: goose checks only up for this directory
};

void PrintTo(const valid_case& c, std::ostream* os) { *os << c.dir; }

std::string case_name(const testing::TestParamInfo<valid_case>& info) {
  std::string s = info.param.dir;
  std::replace_if(
      s.begin(), s.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return s;
}

// The table of goose's TestValidUp and TestEnvsub.
const std::vector<valid_case> goose_valid = {
    {"valid-up/test01", 3, std::nullopt},
    {"valid-up/test02", 1, std::nullopt},
    {"valid-up/test03", 1, std::nullopt},
    {"valid-up/test04", 3, std::nullopt},
    {"valid-up/test05", 2, std::nullopt},
    {"valid-up/test06", 5, std::nullopt},
    {"valid-up/test07", 1, std::nullopt},
    {"valid-up/test08", 6, std::nullopt},
    {"valid-up/test09", 1, std::nullopt},
    {"envsub/test01", 4, 1},
    {"envsub/test02", 3, 0},
    {"envsub/test03", 1, 0},
};

class GooseValid : public testing::TestWithParam<valid_case> {};

TEST_P(GooseValid, SplitsLikeGoose) {
  const valid_case& c = GetParam();
  const fs::path dir = goose_dir / c.dir;
  const auto body =
      migrator::parse_migration(read_file(dir / "input.sql"), (dir / "input.sql").string(), golden_env());
  ASSERT_EQ(body.up.size(), c.up);
  expect_matches_goldens(dir, body.up, "up");
  if (c.down) {
    ASSERT_EQ(body.down.size(), *c.down);
    expect_matches_goldens(dir, body.down, "down");
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, GooseValid, testing::ValuesIn(goose_valid), case_name);

TEST(GooseInvalid, EveryFileInInvalidUpFails) {
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(goose_dir / "invalid" / "up")) {
    ++files;
    const std::string path = entry.path().string();
    try {
      migrator::parse_migration(read_file(entry.path()), path, golden_env());
      ADD_FAILURE() << path << " parsed, but goose rejects it";
    } catch (const migrator::parse_error& e) {
      EXPECT_EQ(e.where().path, path);
      EXPECT_GT(e.where().line, 0) << e.what();
      EXPECT_EQ(std::string(e.what()).rfind(path + ":", 0), 0u) << e.what();
    }
  }
  EXPECT_EQ(files, 4u);
}

// goose's TestUseTransactions.
TEST(GooseTransactions, NoTransactionAnnotationTurnsTheTransactionOff) {
  const std::vector<std::pair<std::string, bool>> files = {
      {"00001_create_users_table.sql", true},
      {"00002_rename_root.sql", true},
      {"00003_no_transaction.sql", false},
  };
  for (const auto& [file, use_transaction] : files) {
    const fs::path path = goose_dir / "valid-txn" / file;
    const auto body = migrator::parse_migration(read_file(path), path.string(), golden_env());
    EXPECT_EQ(body.use_transaction, use_transaction) << file;
    EXPECT_FALSE(body.up.empty()) << file;
    EXPECT_FALSE(body.down.empty()) << file;
  }
}

// Our corpus: every directory is valid, and both directions are checked.
std::vector<valid_case> our_valid() {
  std::vector<valid_case> cases;
  for (const auto& entry : fs::directory_iterator(our_dir)) {
    if (!fs::exists(entry.path() / "input.sql")) continue;
    cases.push_back({entry.path().filename().string(), goldens(entry.path(), "up").size(),
                     goldens(entry.path(), "down").size()});
  }
  std::sort(cases.begin(), cases.end(),
            [](const valid_case& a, const valid_case& b) { return a.dir < b.dir; });
  return cases;
}

class OurGolden : public testing::TestWithParam<valid_case> {};

TEST_P(OurGolden, SplitsAsTheGoldenFilesSay) {
  const fs::path dir = our_dir / GetParam().dir;
  const auto body =
      migrator::parse_migration(read_file(dir / "input.sql"), (dir / "input.sql").string(), golden_env());
  expect_matches_goldens(dir, body.up, "up");
  expect_matches_goldens(dir, body.down, "down");
  EXPECT_GT(body.up.size() + body.down.size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Corpus, OurGolden, testing::ValuesIn(our_valid()), case_name);

TEST(OurGoldenCorpus, IsNotEmpty) { EXPECT_GE(our_valid().size(), 3u); }

}  // namespace
