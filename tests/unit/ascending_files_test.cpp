// plan/ascending_files.h: each version asked of a version-sorted vector gives
// its migration or nothing, whatever order the versions come in (the next
// file first, a binary search otherwise).
#include "plan/ascending_files.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using migrator::migration;
using migrator::detail::ascending_files;

std::vector<migration> files_of(const std::vector<std::int64_t>& versions) {
  std::vector<migration> files;
  for (const std::int64_t v : versions) {
    migration m;
    m.version = v;
    m.name = "v" + std::to_string(v);
    files.push_back(m);
  }
  return files;
}

struct lookup_case {
  const char* what;
  std::vector<std::int64_t> asked;
};

TEST(ascending_files, finds_each_version_whatever_the_order_and_nothing_for_one_it_lacks) {
  const std::vector<migration> files = files_of({1001, 1002, 1003, 1005, 2001, 2002, 3001});
  const std::vector<lookup_case> cases = {
      {"ascending, every one", {1001, 1002, 1003, 1005, 2001, 2002, 3001}},
      {"descending", {3001, 2002, 2001, 1005, 1003, 1002, 1001}},
      {"gaps and jumps back", {1002, 2001, 1001, 3001, 1003, 1005}},
      {"missing ones between found ones", {1001, 1004, 1002, 999, 1003, 4001, 2002, 2003}},
      {"the same twice", {1002, 1002, 1003, 1003}},
      {"past the last and before the first", {3002, 1000, 1001}},
  };
  for (const auto& c : cases) {
    ascending_files lookup(files);
    for (const std::int64_t v : c.asked) {
      const migration* found = lookup.find(v);
      const migration* want = nullptr;
      for (const auto& m : files)
        if (m.version == v) want = &m;
      EXPECT_EQ(found, want) << c.what << ": version " << v;
    }
  }
}

TEST(ascending_files, an_empty_vector_has_nothing) {
  const std::vector<migration> none;
  ascending_files lookup(none);
  EXPECT_EQ(lookup.find(1001), nullptr);
  EXPECT_EQ(lookup.find(0), nullptr);
}

}  // namespace
