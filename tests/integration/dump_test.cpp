// `app migrate dump`: the checked-in schema/<module>.sql files are the
// normalised pg_dump of the example modules after `up` (like sqlc_schemas.sql,
// a stale file fails this test), and --check notices a stale file. On a server
// newer than pg_dump (scripts/test --pg 18) each asserts dump's refusal instead.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;

namespace {

TEST(dump, the_checked_in_schema_files_are_current) {
  test_database db;
  if (pg_dump_refused_instead(db.dsn(), {"migrate", "dump", "--dsn", db.dsn()})) return;
  ASSERT_EQ(run_app({"migrate", "up", "--dsn", db.dsn()}).code, 0);
  temp_dir out;
  auto r = run_app({"migrate", "dump", "--dsn", db.dsn(), "--out", out.path().string()});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* module : {"db", "identity", "organization", "billing", "entitlements", "audit", "integration"}) {
    const std::string name = std::string(module) + ".sql";
    EXPECT_EQ(read_file(std::filesystem::path(MIGRATOR_SOURCE_DIR) / "schema" / name), read_file(out.path() / name))
        << "schema/" << name << " is stale: run `app migrate up` then `app migrate dump` at the repository root";
  }
}

TEST(dump, output_has_no_owner_and_no_version_header) {
  test_database db;
  if (pg_dump_refused_instead(db.dsn(), {"migrate", "dump", "--dsn", db.dsn()})) return;
  ASSERT_EQ(run_app({"migrate", "up", "--dsn", db.dsn()}).code, 0);
  temp_dir out;
  ASSERT_EQ(run_app({"migrate", "dump", "--dsn", db.dsn(), "--out", out.path().string()}).code, 0);
  const std::string text = read_file(out.path() / "billing.sql");
  EXPECT_THAT(text, HasSubstr("CREATE TABLE billing.accounts ("));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("Owner:")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("OWNER TO")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("Dumped")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("SET ")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("CREATE TABLE identity.")));
}

TEST(dump, check_fails_on_a_stale_file_and_on_a_database_that_is_not_current) {
  test_database db;
  if (pg_dump_refused_instead(db.dsn(), {"migrate", "dump", "--dsn", db.dsn(), "--check"})) return;
  auto not_current = run_app({"migrate", "dump", "--dsn", db.dsn(), "--check"});
  EXPECT_EQ(not_current.code, 6);
  EXPECT_THAT(not_current.err, HasSubstr("run app migrate up before dump"));
  ASSERT_EQ(run_app({"migrate", "up", "--dsn", db.dsn()}).code, 0);
  temp_dir out;
  ASSERT_EQ(run_app({"migrate", "dump", "--dsn", db.dsn(), "--out", out.path().string()}).code, 0);
  EXPECT_EQ(run_app({"migrate", "dump", "--dsn", db.dsn(), "--out", out.path().string(), "--check"}).code, 0);
  out.write("audit.sql", read_file(out.path() / "audit.sql") + "-- edited by hand\n");
  auto stale = run_app({"migrate", "dump", "--dsn", db.dsn(), "--out", out.path().string(), "--check"});
  EXPECT_EQ(stale.code, 1);
  EXPECT_THAT(stale.err, HasSubstr("audit.sql: stale"));
}

}  // namespace
