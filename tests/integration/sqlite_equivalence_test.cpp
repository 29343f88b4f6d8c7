// `app migrate equivalence`: the example modules applied to a real PostgreSQL
// and a SQLite file have the same logical schema; a column dropped from one
// SQLite migration is reported.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_support.h"

using testing_support::run_app;
using testing_support::temp_dir;
using testing_support::test_database;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

const std::string example_modules = std::string(MIGRATOR_SOURCE_DIR) + "/modules";

testing_support::run_result equivalence(const std::string& dsn, const std::filesystem::path& sqlite_file,
                                        const std::string& modules) {
  return run_app({"migrate", "equivalence", "--dsn", dsn, "--sqlite-dsn", "sqlite:" + sqlite_file.string(),
                  "--modules-dir", modules});
}

TEST(SqliteEquivalence, TheExampleModulesAreEquivalentOnBothBackends) {
  test_database db;
  temp_dir dir;
  auto r = equivalence(db.dsn(), dir.path() / "app.db", example_modules);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("difference:")));
  EXPECT_THAT(r.out, HasSubstr("equivalent: 15 tables on PostgreSQL, 15 on SQLite; 0 difference(s); 5 cross-module"));
  EXPECT_THAT(r.out, HasSubstr("not on SQLite (crosses modules): foreign key billing.accounts (organization_id) -> "
                               "organization.organizations (id) ON DELETE RESTRICT"));
  // Both were migrated by the command.
  EXPECT_EQ(db.scalar("SELECT max(version_id) FROM goose_db_version"), "7002");
}

TEST(SqliteEquivalence, AColumnDroppedFromTheSqliteMigrationIsReported) {
  test_database db;
  temp_dir dir;
  const auto modules = dir.path() / "modules";
  std::filesystem::copy(example_modules, modules, std::filesystem::copy_options::recursive);
  const auto file = modules / "identity/migrations/sqlite/02001_identity_init.sql";
  std::string text = testing_support::read_file(file);
  const std::string column = "  disabled_at TEXT,\n";
  ASSERT_NE(text.find(column), std::string::npos);
  text.erase(text.find(column), column.size());
  // And a changed type and a lost NOT NULL, so every difference shows, not just the first.
  const std::string price = "  unit_amount INTEGER NOT NULL CHECK (unit_amount >= 0),\n";
  const auto billing = modules / "billing/migrations/sqlite/04001_billing_init.sql";
  std::string billing_text = testing_support::read_file(billing);
  ASSERT_NE(billing_text.find(price), std::string::npos);
  billing_text.replace(billing_text.find(price), price.size(), "  unit_amount TEXT CHECK (unit_amount >= 0),\n");
  std::ofstream(file, std::ios::trunc) << text;
  std::ofstream(billing, std::ios::trunc) << billing_text;

  auto r = equivalence(db.dsn(), dir.path() / "app.db", modules.string());
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("difference: column identity.users.disabled_at: only on PostgreSQL"));
  EXPECT_THAT(r.out, HasSubstr("difference: column billing.prices.unit_amount: type INTEGER (bigint) on PostgreSQL, "
                               "TEXT (TEXT) on SQLite"));
  EXPECT_THAT(r.out, HasSubstr("difference: column billing.prices.unit_amount: NOT NULL on PostgreSQL, nullable on "
                               "SQLite"));
  EXPECT_THAT(r.out, HasSubstr("NOT equivalent: 15 tables on PostgreSQL, 15 on SQLite; 3 difference(s)"));
}

}  // namespace
