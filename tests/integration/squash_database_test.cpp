// `app migrate squash` on the real server: the example module identity squashed
// into a baseline whose catalog fingerprint equals the history's (checked by
// squash and again here, independently), databases with the history adopting
// it, a module whose history reaches outside its schema refused with what
// differs, and --dry-run writing nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

#include "migrator/catalog_fingerprint.h"
#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {

// The example modules for PostgreSQL only: squash refuses a module that keeps
// SQLite migrations (tests/unit/squash_test.cpp), so their sqlite/ folders are left out.
void copy_example_modules(const temp_dir& to) {
  fs::copy(fs::path(MIGRATOR_SOURCE_DIR) / "modules", to.path(), fs::copy_options::recursive);
  for (const auto& entry : fs::directory_iterator(to.path()))
    if (entry.is_directory()) fs::remove_all(entry.path() / "migrations" / "sqlite");
}

std::string scratch_databases_left() {
  test_database probe;
  return probe.scalar("SELECT count(*) FROM pg_database WHERE datname LIKE 'app_verify_" + std::to_string(getpid()) +
                      "\\_%'");
}

std::vector<std::string> squash_arguments(const temp_dir& modules, const std::vector<std::string>& args) {
  std::vector<std::string> all{"migrate", "squash"};
  all.insert(all.end(), args.begin(), args.end());
  all.insert(all.end(), {"--modules-dir", modules.path().string(), "--dsn", admin_dsn()});
  return all;
}

// On a server newer than pg_dump (scripts/test --pg 18) each test asserts squash's refusal instead.
run_result squash(const temp_dir& modules, const std::vector<std::string>& args) {
  return run_app(squash_arguments(modules, args));
}

TEST(squash_database, example_module_gets_a_baseline_with_equal_fingerprints) {
  temp_dir modules;
  copy_example_modules(modules);
  const fs::path dir = modules.path() / "identity" / "migrations";
  if (pg_dump_refused_instead(admin_dsn(), squash_arguments(modules, {"identity", "--through", "2003"}))) return;
  auto r = squash(modules, {"identity", "--through", "2003"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("parity: the catalogs built from the history and from the baseline have equal "
                               "fingerprints"));
  const std::string baseline = read_file(dir / "02004_baseline.sql");
  EXPECT_THAT(baseline, HasSubstr("\n-- +migrator baseline replaces 2001-2003\n"));
  EXPECT_THAT(baseline, HasSubstr("CREATE TABLE identity.users ("));
  EXPECT_THAT(baseline, HasSubstr("last_seen_at timestamp with time zone"));  // 02002's column
  EXPECT_THAT(baseline, HasSubstr("DEFAULT db.new_id()"));                      // 02003's default
  EXPECT_THAT(baseline, HasSubstr("DROP SCHEMA identity CASCADE;"));
  // The old files stay for the author, who is told which to delete.
  EXPECT_TRUE(fs::exists(dir / "02001_identity_init.sql"));
  EXPECT_THAT(r.out, HasSubstr("wrote " + (dir / "02004_baseline.sql").string()));
  EXPECT_THAT(r.out, HasSubstr("git rm " + (dir / "02001_identity_init.sql").string()));
  EXPECT_THAT(r.out, HasSubstr("git rm " + (dir / "02002_users_last_seen.sql").string()));
  EXPECT_THAT(r.out, HasSubstr("git rm " + (dir / "02003_identity_time_ordered_keys.sql").string()));
  EXPECT_EQ(scratch_databases_left(), "0");
  auto before_delete = run_app({"migrate", "validate", "--modules-dir", modules.path().string()});
  EXPECT_EQ(before_delete.code, 1);
  EXPECT_THAT(before_delete.err + before_delete.out, HasSubstr("02001_identity_init.sql: is replaced by baseline"));
  fs::remove(dir / "02001_identity_init.sql");
  fs::remove(dir / "02002_users_last_seen.sql");
  fs::remove(dir / "02003_identity_time_ordered_keys.sql");
  auto valid = run_app({"migrate", "validate", "--modules-dir", modules.path().string()});
  ASSERT_EQ(valid.code, 0) << valid.err << valid.out;

  // Parity, checked again here: the whole set from the baseline and from the history.
  test_database from_baseline, from_history;
  auto up = migrate_in(from_baseline.dsn(), modules.path(), {"up"});
  ASSERT_EQ(up.code, 0) << up.err;
  ASSERT_EQ(run_app({"migrate", "up", "--dsn", from_history.dsn()}).code, 0);  // the embedded, unsquashed set
  const std::vector<std::string> version_tables{"goose_db_version", "goose_db_version_meta"};
  const auto a = migrator::catalog_inspector(from_baseline.dsn(), version_tables).fingerprint();
  const auto b = migrator::catalog_inspector(from_history.dsn(), version_tables).fingerprint();
  EXPECT_TRUE(a.objects.count("table identity.users")) << "the fingerprint sees the module's tables";
  EXPECT_GT(a.objects.size(), 50u);
  EXPECT_EQ(migrator::diff(b, a).size(), 0u) << (migrator::diff(b, a).empty() ? "" : migrator::diff(b, a)[0].str());

  // The database with the history adopts the baseline without running it.
  auto adopt = migrate_in(from_history.dsn(), modules.path(), {"up"});
  ASSERT_EQ(adopt.code, 0) << adopt.err;
  EXPECT_THAT(adopt.err, HasSubstr("recorded baseline identity 2004 baseline as applied without running it"));
  EXPECT_EQ(migrate_in(from_history.dsn(), modules.path(), {"status", "--exit-code"}).code, 0);
}

TEST(squash_database, a_history_reaching_outside_the_schema_fails_parity_and_writes_nothing) {
  temp_dir modules;
  write_module_set(modules, {{"alpha",
                              {{"01001_init.sql", migration_text("CREATE SCHEMA alpha;\nCREATE TABLE alpha.t (id int);\n"
                                                                 "CREATE TABLE public.alpha_side (id int);",
                                                                 "DROP TABLE public.alpha_side;\nDROP SCHEMA alpha CASCADE;")},
                               {"01002_more.sql", migration_text("ALTER TABLE alpha.t ADD COLUMN name text;")}}}});
  if (pg_dump_refused_instead(admin_dsn(), squash_arguments(modules, {"alpha", "--through", "1002"}))) return;
  auto r = squash(modules, {"alpha", "--through", "1002"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("does not build the same catalog as the history it replaces; nothing was written"));
  EXPECT_THAT(r.err, HasSubstr("public.alpha_side"));
  EXPECT_FALSE(fs::exists(modules.path() / "alpha" / "migrations" / "01003_baseline.sql"));
  EXPECT_EQ(scratch_databases_left(), "0");
}

TEST(squash_database, dry_run_prints_the_baseline_and_writes_nothing) {
  temp_dir modules;
  write_module_set(modules, {{"alpha",
                              {{"01001_init.sql", migration_text("CREATE SCHEMA alpha;\nCREATE TABLE alpha.t (id int);",
                                                                 "DROP SCHEMA alpha CASCADE;")},
                               {"01002_more.sql", migration_text("ALTER TABLE alpha.t ADD COLUMN name text;")}}}});
  if (pg_dump_refused_instead(admin_dsn(), squash_arguments(modules, {"alpha", "--through", "1002", "--dry-run"}))) return;
  auto r = squash(modules, {"alpha", "--through", "1002", "--dry-run"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("-- +migrator baseline replaces 1001-1002"));
  EXPECT_THAT(r.out, HasSubstr("CREATE TABLE alpha.t (\n    id integer,\n    name text\n);"));
  EXPECT_FALSE(fs::exists(modules.path() / "alpha" / "migrations" / "01003_baseline.sql"));
}

}  // namespace
