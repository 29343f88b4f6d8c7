#include "golden_files.h"

#include <set>
#include <stdexcept>

#include "test_support.h"

namespace testing_support {

namespace fs = std::filesystem;

std::vector<golden_case> golden_cases(const fs::path& folder, const std::string& input_extension,
                                      const std::string& expected_extension) {
  std::set<std::string> inputs, expected;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string extension = entry.path().extension().string();
    if (extension == input_extension)
      inputs.insert(entry.path().stem().string());
    else if (extension == expected_extension)
      expected.insert(entry.path().stem().string());
    else
      throw std::runtime_error(entry.path().string() + ": only NAME" + input_extension + " and NAME" +
                               expected_extension + " belong in " + folder.string());
  }
  if (inputs.empty()) throw std::runtime_error(folder.string() + ": no NAME" + input_extension + " case");
  for (const auto& stem : expected)
    if (!inputs.count(stem))
      throw std::runtime_error((folder / (stem + expected_extension)).string() + ": no " + stem +
                               input_extension + " beside it");

  std::vector<golden_case> cases;
  for (const auto& stem : inputs) {  // a std::set: sorted by name
    golden_case c;
    c.stem = stem;
    c.input = folder / (stem + input_extension);
    c.expected_file = folder / (stem + expected_extension);
    if (!expected.count(stem))
      throw std::runtime_error(c.input.string() + ": its expected file " + c.expected_file.string() +
                               " is missing");
    c.expected = read_file(c.expected_file);
    cases.push_back(std::move(c));
  }
  return cases;
}

}  // namespace testing_support
