// Every way in opens a database through the one factory (backend.h), so a
// SQLite DSN reaches SQLite wherever a command takes a DSN, and what SQLite
// cannot do is refused up front: lint --pending-from-db reads a SQLite file's
// history, a fleet refuses sqlite: targets with exit 2 before touching any,
// and validate reports a set with more schemas than SQLite attaches, which
// `up` refuses before it creates the file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "migrator/assembler.h"
#include "migrator/engine.h"
#include "migrator/environment.h"
#include "migrator/source.h"
#include "test_support.h"

using testing_support::run_app;
using testing_support::temp_dir;
using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// Modules m1..m<count>, each one table in its own schema, for both backends.
fs::path modules_with_tables(const fs::path& root, int count) {
  std::string manifest = "modules:\n";
  for (int i = 1; i <= count; ++i) {
    const std::string name = "m" + std::to_string(i);
    manifest += "  - name: " + name + "\n";
    const std::string file = std::to_string(i * 1000 + 1) + "_t.sql";
    const std::string text =
        "-- +goose Up\nCREATE TABLE " + name + ".t (id integer);\n-- +goose Down\nDROP TABLE " + name + ".t;\n";
    write(root / name / "migrations" / file, text);
    write(root / name / "migrations" / "sqlite" / file, text);
  }
  write(root / "modules.yaml", manifest);
  return root;
}

// shop 1001 creates shop.items; shop 1002 indexes it without CONCURRENTLY, which
// lint calls an error only when shop.items exists before 1002 (1001 applied).
fs::path shop_modules(const fs::path& root) {
  write(root / "modules.yaml", "modules:\n  - name: shop\n");
  for (const fs::path& dir : {root / "shop" / "migrations", root / "shop" / "migrations" / "sqlite"}) {
    write(dir / "1001_items.sql",
          "-- +goose Up\nCREATE TABLE shop.items (id integer PRIMARY KEY, sku text);\n"
          "-- +goose Down\nDROP TABLE shop.items;\n");
    write(dir / "1002_items_sku.sql",
          "-- +goose Up\nCREATE INDEX items_sku ON shop.items (sku);\n-- +goose Down\nDROP INDEX shop.items_sku;\n");
  }
  return root;
}

TEST(BackendFactory, LintPendingFromDbReadsTheSqliteFilesHistory) {
  temp_dir dir;
  const std::string modules = shop_modules(dir.path() / "modules").string();
  const std::string dsn = "sqlite:" + (dir.path() / "app.db").string();
  auto lint = [&] { return run_app({"migrate", "lint", "--pending-from-db", "--dsn", dsn, "--modules-dir", modules}); };

  // Nothing applied: shop.items is created by a pending migration, so indexing it is fine.
  const auto fresh = lint();
  EXPECT_EQ(fresh.code, 0) << fresh.err;
  EXPECT_THAT(fresh.err, HasSubstr("0 error(s)"));
  EXPECT_THAT(fresh.err, Not(HasSubstr("PGSQL")));

  const auto up = run_app({"migrate", "up-to", "1001", "--dsn", dsn, "--modules-dir", modules});
  ASSERT_EQ(up.code, 0) << up.err;

  // 1001 applied on the file: the table exists before 1002, whose index now blocks writes.
  const auto after = lint();
  EXPECT_EQ(after.code, 1) << after.err;
  EXPECT_THAT(after.out + after.err, HasSubstr("1002_items_sku.sql:2:27: error[index-not-concurrent]"));
}

TEST(BackendFactory, FleetRefusesSqliteTargetsBeforeTouchingAny) {
  temp_dir dir;
  const std::string modules = shop_modules(dir.path() / "modules").string();
  const fs::path fleet = dir.path() / "fleet.yaml";
  const fs::path file = dir.path() / "tenant.db";
  write(fleet, "targets:\n  - name: tenant\n    dsn: \"sqlite:" + file.string() + "\"\n");
  for (const char* command : {"status", "up"}) {
    const auto r = run_app({"migrate", command, "--targets", fleet.string(), "--modules-dir", modules});
    EXPECT_EQ(r.code, 2) << command << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr(fleet.string() + ":3: a fleet migrates PostgreSQL databases")) << command;
    EXPECT_THAT(r.err, Not(HasSubstr("missing \"=\""))) << command;  // libpq's reading of a sqlite: DSN
  }
  EXPECT_FALSE(fs::exists(file));
}

TEST(BackendFactory, ValidateReportsWhatSqliteCannotAttachAndUpCreatesNothing) {
  temp_dir dir;
  const fs::path file = dir.path() / "app.db";
  const std::string dsn = "sqlite:" + file.string();
  for (const int modules : {10, 11}) {
    const std::string set = modules_with_tables(dir.path() / ("set" + std::to_string(modules)), modules).string();
    const auto validate = run_app({"migrate", "validate", "--dsn", dsn, "--modules-dir", set});
    if (modules == 10) {
      EXPECT_EQ(validate.code, 0) << validate.err;  // the most SQLite attaches
      continue;
    }
    EXPECT_EQ(validate.code, 1) << validate.err;
    EXPECT_THAT(validate.err, HasSubstr("on SQLite: a SQLite database holds at most 10 schemas"));
    EXPECT_THAT(validate.err, HasSubstr("this set needs 11"));
    const auto up = run_app({"migrate", "up", "--dsn", dsn, "--modules-dir", set});
    EXPECT_EQ(up.code, 2) << up.err;
    EXPECT_THAT(up.err, HasSubstr("this set needs 11"));
    EXPECT_FALSE(fs::exists(file)) << "refused before the file was created";
  }
}

// The library's engine(dsn, ...) opens whichever backend the DSN names.
TEST(BackendFactory, EngineFromAnSqliteDsnRunsOnSqlite) {
  temp_dir dir;
  const auto tree = migrator::make_directory_source(shop_modules(dir.path() / "modules"))->load();
  const auto assembled = migrator::assemble(tree, migrator::env_lookup{}, migrator::parse_time::on_use,
                                            migrator::backend_kind::sqlite);
  ASSERT_TRUE(assembled.ok());
  const fs::path file = dir.path() / "lib.db";
  migrator::engine engine("sqlite:" + file.string(), assembled.set, migrator::engine_options{});
  // Through 1001 only: 1002's index is written for lint's PostgreSQL grammar.
  const auto report = engine.run({migrator::command_kind::up_to, 1001});
  ASSERT_EQ(report.steps.size(), 1u);
  EXPECT_EQ(report.current_version, 1001);
  EXPECT_EQ(engine.status().current_version, 1001);
  EXPECT_TRUE(fs::exists(dir.path() / "lib.shop.db"));  // the module's schema, attached beside the file
}

}  // namespace
