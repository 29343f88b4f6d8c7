// Rolling deploys (docs/configuration.md, on_unknown): an older build tolerates
// versions a newer build applied, but not one the newer build left dirty. The
// newer build's NO TRANSACTION migration fails half-way, so the database
// records a version the older build does not know as dirty; the older build
// must refuse to migrate (exit 4) and to start (exit 4 when it migrates first,
// 6 with --no-migrate), naming it, rather than run on a half-migrated schema,
// whatever --on-unknown says.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

std::vector<module_files> old_build() {
  return {{"orders", {{"01001_init.sql", migration_text("CREATE SCHEMA orders;\n"
                                                         "CREATE TABLE orders.lines (id int PRIMARY KEY, sku text);",
                                                         "DROP SCHEMA orders CASCADE;")}}}};
}

// One migration more: its first statement succeeds, its second fails (the
// index name is taken), so it stops with 1 of 2 statements done.
std::vector<module_files> new_build() {
  auto set = old_build();
  set[0].files.push_back({"01002_sku_index.sql",
                          "-- +goose NO TRANSACTION\n-- +goose Up\n"
                          "CREATE INDEX CONCURRENTLY lines_sku ON orders.lines (sku);\n"
                          "CREATE INDEX CONCURRENTLY lines_sku ON orders.lines (id, sku);\n"
                          "-- +goose Down\nDROP INDEX CONCURRENTLY orders.lines_sku;\n"});
  return set;
}

class rolling_deploy_dirty : public ::testing::Test {
 protected:
  test_database db;
  temp_dir old_modules, new_modules;
  void SetUp() override {
    write_module_set(old_modules, old_build());
    write_module_set(new_modules, new_build());
    auto newer = run_app_process(
        {"migrate", "up", "--dsn", db.dsn(), "--modules-dir", new_modules.path().string()});
    ASSERT_NE(newer.code, 0) << "the newer build's second index should have failed:\n" << newer.err;
    // What the older build meets: 1002, which it does not know, recorded dirty after 1 of 2 statements.
    ASSERT_EQ(db.scalar("SELECT state || ' ' || statements_done || '/' || statements_total "
                        "FROM goose_db_version_meta WHERE version_id = 1002"),
              "dirty 1/2");
    ASSERT_EQ(db.scalar("SELECT count(*) FROM goose_db_version WHERE version_id = 1002"), "0");
    history_before = history();
  }
  std::string history() const {
    return db.scalar("SELECT string_agg(version_id || ':' || is_applied, ',' ORDER BY id) FROM goose_db_version") +
           " | " +
           db.scalar("SELECT string_agg(version_id || ':' || state || ':' || statements_done, ',' ORDER BY "
                     "version_id) FROM goose_db_version_meta");
  }
  std::vector<std::string> with_old(std::vector<std::string> args) const {
    args.insert(args.end(), {"--dsn", db.dsn(), "--modules-dir", old_modules.path().string()});
    return args;
  }
  std::string history_before;
};

TEST_F(rolling_deploy_dirty, an_older_build_starting_refuses_a_dirty_version_it_does_not_know) {
  auto r = run_app_process(with_old({"start", "--once"}));
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_THAT(r.err, HasSubstr("refusing to migrate"));
  EXPECT_THAT(r.err, HasSubstr("orders 1002 sku_index: dirty"));
  EXPECT_THAT(r.err, Not(HasSubstr("ready")));
  EXPECT_EQ(history(), history_before);
}

TEST_F(rolling_deploy_dirty, an_older_build_starting_without_migrating_refuses_it_too) {
  auto r = run_app_process(with_old({"start", "--once", "--no-migrate"}));
  EXPECT_EQ(r.code, 6) << r.err;
  EXPECT_THAT(r.err, HasSubstr("refusing to start"));
  EXPECT_THAT(r.err, HasSubstr("orders 1002 sku_index: dirty"));
  EXPECT_THAT(r.err, Not(HasSubstr("ready")));
  EXPECT_EQ(history(), history_before);
}

// Every migration of the older build is applied, so its `up` has nothing to
// run: it still refuses instead of answering "nothing to do" (the one-query
// comparison sees the dirty side row too).
TEST_F(rolling_deploy_dirty, up_of_the_older_build_refuses_instead_of_nothing_to_do) {
  auto r = run_app_process(with_old({"migrate", "up"}));
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_THAT(r.err, HasSubstr("orders 1002 sku_index: dirty"));
  EXPECT_THAT(r.err, HasSubstr("app migrate repair 1002"));
  EXPECT_THAT(r.err, Not(HasSubstr("nothing to do")));
  EXPECT_EQ(history(), history_before);
}

TEST_F(rolling_deploy_dirty, status_of_the_older_build_shows_it_dirty_and_exits_6) {
  auto r = run_app_process(with_old({"migrate", "status", "--exit-code"}));
  EXPECT_EQ(r.code, 6) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("1002"));
  EXPECT_THAT(r.out, HasSubstr("dirty"));
}

TEST_F(rolling_deploy_dirty, on_unknown_warn_given_explicitly_does_not_tolerate_it_either) {
  auto r = run_app_process(with_old({"start", "--once", "--no-migrate", "--on-unknown", "warn"}));
  EXPECT_EQ(r.code, 6) << r.err;
  EXPECT_THAT(r.err, HasSubstr("orders 1002 sku_index: dirty"));
  EXPECT_THAT(r.err, Not(HasSubstr("ready")));
  EXPECT_EQ(history(), history_before);
}

}  // namespace
