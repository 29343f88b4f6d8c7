// A small module set on disk, assembled, for tests of how a database is opened
// and read (reads_only_test, read_ahead_test): module "db" with 01001 creating
// table a and 01002 creating table b, each with its down; and a fixture with it
// and a database of its own.
#pragma once

#include <gtest/gtest.h>

#include "migrator/assembler.h"
#include "migrator/engine.h"
#include "migrator/environment.h"
#include "migrator/source.h"
#include "test_support.h"

namespace testing_support {

// Writes the set into `modules` and assembles it; a set with problems fails the test.
inline migrator::module_set two_table_set(const temp_dir& modules) {
  write_module_set(modules, {{"db",
                              {{"01001_a.sql", migration_text("CREATE TABLE a (id int);", "DROP TABLE a;")},
                               {"01002_b.sql", migration_text("CREATE TABLE b (id int);", "DROP TABLE b;")}}}});
  auto assembled =
      migrator::assemble(migrator::make_directory_source(modules.path())->load(), migrator::process_environment());
  EXPECT_TRUE(assembled.ok()) << "the two-table set has problems";
  return std::move(assembled.set);
}

// `set` (two_table_set in `modules`) and an empty database `db`.
class two_table_database : public ::testing::Test {
 protected:
  test_database db;
  temp_dir modules;
  migrator::module_set set;

  void SetUp() override {
    set = two_table_set(modules);
    ASSERT_EQ(set.migrations.size(), 2u);
  }

  // The options of an engine that only reads (status, version).
  static migrator::engine_options reading() {
    migrator::engine_options o;
    o.reads_only = true;
    return o;
  }
};

}  // namespace testing_support
