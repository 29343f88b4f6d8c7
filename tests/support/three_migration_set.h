// A database and a module set on disk of three migrations: db's 01001_a and
// 01002_b, shop's 02001_c (each creates its table; Down drops it), assembled
// as `set`. For tests of the history as a whole set applied reads it.
#pragma once

#include <gtest/gtest.h>

#include <utility>

#include "migrator/environment.h"
#include "migrator/source.h"
#include "test_support.h"

namespace testing_support {

class three_migration_set : public ::testing::Test {
 protected:
  test_database db;
  temp_dir modules;
  migrator::module_set set;

  void SetUp() override {
    write_module_set(
        modules, {{"db",
                   {{"01001_a.sql", migration_text("CREATE TABLE a (id int);", "DROP TABLE a;")},
                    {"01002_b.sql", migration_text("CREATE TABLE b (id int);", "DROP TABLE b;")}}},
                  {"shop", {{"02001_c.sql", migration_text("CREATE TABLE c (id int);", "DROP TABLE c;")}}}});
    ASSERT_NO_FATAL_FAILURE(load_set());
  }

  // `set` assembled from the module folder as it is now.
  void load_set() {
    auto assembled = migrator::assemble(migrator::make_directory_source(modules.path())->load(),
                                        migrator::process_environment());
    ASSERT_TRUE(assembled.ok());
    set = std::move(assembled.set);
  }
};

}  // namespace testing_support
