// The app's embedded module set (tools/embed_migrations at build time) carries each
// file's checksum, so a start hashes nothing: every one must be exactly what
// migration_checksum gives for the embedded bytes, for SQL and code files, for
// PostgreSQL's folders and SQLite's.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "migrator/embedded.h"
#include "migrator/parser.h"
#include "migrator/source.h"

namespace {

TEST(embedded_set, precomputed_checksums_equal_fresh_ones) {
  const auto tree = migrator::make_embedded_source()->load();
  std::size_t files = 0, code = 0, sqlite = 0;
  for (const auto& folder : tree.folders) {
    for (const auto* list : {&folder.files, &folder.sqlite_files}) {
      for (const auto& file : *list) {
        ++files;
        if (file.path.size() > 4 && file.path.compare(file.path.size() - 4, 4, ".cpp") == 0) ++code;
        if (list == &folder.sqlite_files) ++sqlite;
        ASSERT_TRUE(file.checksum.has_value()) << file.path;
        EXPECT_EQ(*file.checksum, migrator::migration_checksum(file.content)) << file.path;
      }
    }
  }
  EXPECT_GT(files, 0u);
  // The repository's own modules/ has both kinds; a build embedding another set may not.
  RecordProperty("files", static_cast<int>(files));
  RecordProperty("code_files", static_cast<int>(code));
  RecordProperty("sqlite_files", static_cast<int>(sqlite));
}

TEST(embedded_set, assembled_checksums_are_the_precomputed_ones) {
  auto tree = migrator::make_embedded_source()->load();
  std::map<std::string, std::string> expected;
  for (const auto& folder : tree.folders)
    for (const auto& file : folder.files) expected[file.path] = migrator::migration_checksum(file.content);
  const auto assembled = migrator::assemble_embedded();
  ASSERT_TRUE(assembled.ok());
  ASSERT_FALSE(assembled.set.migrations.empty());
  for (const auto& m : assembled.set.migrations) {
    ASSERT_EQ(expected.count(m.path), 1u) << m.path;
    EXPECT_EQ(m.checksum, expected[m.path]) << m.path;
  }
}

}  // namespace
