// plan_squash and baseline_file_text without a database: what a squash means
// for a source tree, what it refuses, and the file it writes.
#include "migrator/squash.h"

#include <gtest/gtest.h>

#include "migrator/error.h"
#include "migrator/parser.h"

namespace {

const migrator::env_lookup no_env;

migrator::source_tree tree() {
  migrator::source_tree t;
  t.root = "modules";
  t.manifest_path = "modules/modules.yaml";
  t.manifest_text = "modules:\n  - name: core\n  - name: shop\n    schema: store\n";
  t.folders.push_back({"core", true, {{"modules/core/migrations/01001_core.sql", "-- +goose Up\nSELECT 1;\n"}}});
  t.folders.push_back({"shop",
                       true,
                       {{"modules/shop/migrations/02001_a.sql", "-- +goose Up\nSELECT 1;\n"},
                        {"modules/shop/migrations/02002_b.sql", "-- +goose Up\nSELECT 2;\n"},
                        {"modules/shop/migrations/02004_d.sql", "-- +goose Up\nSELECT 4;\n"}}});
  return t;
}

TEST(PlanSquash, ThroughALastVersionBeforeAGap) {
  const auto plan = migrator::plan_squash(tree(), no_env, "shop", 2002);
  EXPECT_EQ(plan.baseline_version, 2003);
  EXPECT_EQ(plan.path, "modules/shop/migrations/02003_baseline.sql");
  EXPECT_EQ(plan.replaces, (std::vector<std::int64_t>{2001, 2002}));
  EXPECT_EQ(plan.replaced_paths,
            (std::vector<std::string>{"modules/shop/migrations/02001_a.sql", "modules/shop/migrations/02002_b.sql"}));
  ASSERT_EQ(plan.baseline_tree.folders[1].files.size(), 1u);  // only 02004 stays beside the baseline
  EXPECT_EQ(plan.history_tree.folders[1].files.size(), 3u);
  EXPECT_EQ(plan.module.schema, "store");
}

TEST(PlanSquash, Refusals) {
  const std::vector<std::tuple<std::string, std::int64_t, std::string>> cases = {
      {"nope", 2002, "no module named 'nope'"},
      {"shop", 2001, "version 2002, which the baseline would take, is modules/shop/migrations/02002_b.sql"},
      {"shop", 2003, "module 'shop' has no migration 2003"},
      {"shop", 1001, "module 'shop' has no migration 1001"},
  };
  for (const auto& [module, through, message] : cases) {
    SCOPED_TRACE(message);
    try {
      migrator::plan_squash(tree(), no_env, module, through);
      ADD_FAILURE() << "planned";
    } catch (const migrator::error& e) {
      EXPECT_EQ(e.code(), migrator::error_code::usage);
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  }
  // A module that keeps SQLite migrations: its baseline would need a SQLite counterpart.
  auto with_sqlite = tree();
  with_sqlite.folders[1].has_sqlite_dir = true;
  try {
    migrator::plan_squash(with_sqlite, no_env, "shop", 2002);
    ADD_FAILURE() << "planned";
  } catch (const migrator::error& e) {
    EXPECT_EQ(e.code(), migrator::error_code::usage);
    EXPECT_NE(std::string(e.what()).find("module 'shop' keeps SQLite migrations (modules/shop/migrations/sqlite/)"),
              std::string::npos)
        << e.what();
  }
  auto broken = tree();
  broken.folders[1].files.push_back({"modules/shop/migrations/02005_e.sql", "SELECT 1;\n"});
  EXPECT_THROW(migrator::plan_squash(broken, no_env, "shop", 2002), migrator::error);
}

TEST(BaselineFileText, ParsesAsABaselineWithTheDumpAsOneStatement) {
  const auto plan = migrator::plan_squash(tree(), no_env, "shop", 2002);
  const std::string dump =
      "CREATE SCHEMA store;\n\nCREATE FUNCTION store.f() RETURNS int\n    LANGUAGE sql\n    AS $$\nSELECT 1;\n$$;\n";
  const std::string text = migrator::baseline_file_text(plan, dump);
  const auto body = migrator::parse_migration(text, plan.path, no_env);
  const auto marker = migrator::read_baseline_marker(text, plan.path);
  ASSERT_TRUE(marker);
  EXPECT_EQ(marker->replaces, (std::vector<std::int64_t>{2001, 2002}));
  ASSERT_EQ(body.up.size(), 1u);  // goose sends the dump whole: its ';' at line ends inside $$ are safe
  EXPECT_EQ(body.up[0].sql + "\n", dump);
  ASSERT_EQ(body.down.size(), 1u);
  EXPECT_EQ(body.down[0].sql, "DROP SCHEMA store CASCADE;");
  EXPECT_TRUE(body.use_transaction);
}

}  // namespace
