// Golden files: a corpus folder (tests/testdata/parser/accepted, .../rejected)
// holds pairs, an input NAME<input extension> and what it must give,
// NAME<expected extension>, next to it. Shared by the parser's corpus test and
// inspect's, so both read the same cases the same way.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace testing_support {

struct golden_case {
  std::string stem;                     // NAME
  std::filesystem::path input;          // folder/NAME<input extension>
  std::filesystem::path expected_file;  // folder/NAME<expected extension>
  std::string expected;                 // its whole text, as stored
};

// The cases of `folder`, sorted by name. Throws std::runtime_error naming the
// file when the folder holds no case, an input has no expected file, an expected
// file has no input, or a file has neither extension: a corpus is pairs and
// nothing else, so a lost or stray file fails the test instead of being skipped.
std::vector<golden_case> golden_cases(const std::filesystem::path& folder, const std::string& input_extension,
                                      const std::string& expected_extension);

}  // namespace testing_support
