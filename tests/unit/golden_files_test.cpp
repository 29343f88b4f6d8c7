// testing_support::golden_cases (tests/support/golden_files.h): a corpus folder is
// pairs of NAME.sql and NAME.json and nothing else; anything else fails, never skips.
#include "golden_files.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "test_support.h"

namespace {

using testing_support::golden_cases;
using testing_support::temp_dir;

struct broken_folder {
  const char* what;
  std::vector<std::pair<std::string, std::string>> files;  // {name, text}
  std::string message_part;
};

const std::vector<broken_folder> broken_folders = {
    {"no case at all", {}, ": no NAME.sql case"},
    {"only expected files", {{"a.json", "{}"}}, ": no NAME.sql case"},
    {"an input without its expected file",
     {{"a.sql", "x"}, {"b.sql", "y"}, {"b.json", "{}"}},
     "a.sql: its expected file"},
    {"an expected file without its input",
     {{"a.sql", "x"}, {"a.json", "{}"}, {"c.json", "{}"}},
     "c.json: no c.sql beside it"},
    {"a stray file",
     {{"a.sql", "x"}, {"a.json", "{}"}, {"notes.txt", "?"}},
     "notes.txt: only NAME.sql and NAME.json"},
};

TEST(GoldenCases, FailsOnAFolderThatIsNotPairsOnly) {
  for (const auto& c : broken_folders) {
    SCOPED_TRACE(c.what);
    temp_dir dir;
    const auto folder = dir.path() / "corpus";
    std::filesystem::create_directories(folder);
    for (const auto& [name, text] : c.files) dir.write("corpus/" + name, text);
    try {
      golden_cases(folder, ".sql", ".json");
      ADD_FAILURE() << "listed, but the folder is " << c.what;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(c.message_part), std::string::npos) << e.what();
    }
  }
}

TEST(GoldenCases, ListsThePairsSortedWithTheirExpectedText) {
  temp_dir dir;
  dir.write("corpus/b.sql", "SELECT 2;");
  dir.write("corpus/b.error", "2: second\n");
  dir.write("corpus/a.sql", "SELECT 1;");
  dir.write("corpus/a.error", "1: first\n");
  const auto cases = golden_cases(dir.path() / "corpus", ".sql", ".error");
  ASSERT_EQ(cases.size(), 2u);
  EXPECT_EQ(cases[0].stem, "a");
  EXPECT_EQ(cases[0].input, dir.path() / "corpus" / "a.sql");
  EXPECT_EQ(cases[0].expected_file, dir.path() / "corpus" / "a.error");
  EXPECT_EQ(cases[0].expected, "1: first\n");
  EXPECT_EQ(cases[1].stem, "b");
  EXPECT_EQ(cases[1].expected, "2: second\n");
}

}  // namespace
