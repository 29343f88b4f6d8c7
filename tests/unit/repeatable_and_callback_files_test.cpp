// Repeatable migrations and callbacks without a database: which folder makes a
// file which kind (file_role), what the assembler accepts and refuses (a table
// of cases, each problem with path:line), their order, and the pure decisions
// on them: the status of each repeatable, which ones up applies and which ones
// reset takes back. Also read from a real directory (source.cpp).
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "migrator/assembler.h"
#include "migrator/source.h"
#include "migrator/status.h"
#include "test_support.h"

namespace {

using migrator::migration_role;
using migrator::repeatable_state;

const char* const two_modules =
    "modules:\n"
    "  - name: alpha\n"
    "  - name: beta\n";

std::string goose(const std::string& up, const std::string& down = "") {
  return "-- +goose Up\n" + up + "\n" + (down.empty() ? "" : "-- +goose Down\n" + down + "\n");
}

// "alpha/repeatable/v.sql" -> modules/alpha/migrations/repeatable/v.sql, in the
// order a directory source lists them (versioned files, then callbacks/, then repeatable/).
migrator::source_tree tree_of(const std::map<std::string, std::string>& files) {
  migrator::source_tree tree;
  tree.root = "modules";
  tree.manifest_path = "modules/modules.yaml";
  tree.manifest_text = two_modules;
  for (const char* module : {"alpha", "beta"}) {
    migrator::source_folder folder;
    folder.name = module;
    folder.has_migrations_dir = true;
    tree.folders.push_back(folder);
  }
  for (const auto& [key, content] : files) {
    const auto slash = key.find('/');
    auto& folder = key.substr(0, slash) == "alpha" ? tree.folders[0] : tree.folders[1];
    folder.files.push_back({"modules/" + key.substr(0, slash) + "/migrations/" + key.substr(slash + 1), content});
  }
  return tree;
}

migrator::assembly assemble(const std::map<std::string, std::string>& files,
                            migrator::parse_time when = migrator::parse_time::now) {
  return migrator::assemble(tree_of(files), migrator::env_lookup{}, when);
}

TEST(file_role, is_decided_by_the_folder_a_file_is_in) {
  struct row {
    const char* path;
    migration_role role;
  };
  const row rows[] = {
      {"modules/alpha/migrations/01001_init.sql", migration_role::versioned},
      {"modules/alpha/migrations/repeatable/views.sql", migration_role::repeatable},
      {"modules/alpha/migrations/callbacks/after_migrate.sql", migration_role::callback},
      {"modules/alpha/migrations/sqlite/repeatable/views.sql", migration_role::repeatable},
      {"modules/alpha/migrations/sqlite/callbacks/before_migrate.sql", migration_role::callback},
      {"modules/alpha/migrations/sqlite/01001_init.sql", migration_role::versioned},
      // A module named like the folders is still a module: only the folder holding the file counts.
      {"modules/repeatable/migrations/01001_init.sql", migration_role::versioned},
      {"modules/alpha/migrations/not_repeatable/v.sql", migration_role::versioned},
      {"01001_init.sql", migration_role::versioned},
  };
  for (const auto& r : rows) EXPECT_EQ(migrator::file_role(r.path), r.role) << r.path;
}

TEST(repeatable_and_callback_files, problems_name_the_file_and_line) {
  struct row {
    const char* key;
    std::string content;
    std::string expected;  // the one problem, "path:line: message" (line omitted when 0)
  };
  const std::string dir = "modules/alpha/migrations/";
  const row rows[] = {
      {"alpha/repeatable/bad name.sql", goose("SELECT 1;"),
       dir + "repeatable/bad name.sql: a repeatable migration's name may contain only letters, digits, '_' and '-'"},
      {"alpha/callbacks/after_migrat.sql", goose("SELECT 1;"),
       dir + "callbacks/after_migrat.sql: is not a callback: a module's migrations/callbacks/ holds only "
             "before_migrate.sql, after_each_migration.sql, after_migrate.sql, after_migrate_error.sql "
             "(did you mean after_migrate.sql?)"},
      {"alpha/callbacks/after_migrate.sql", goose("GRANT SELECT ON alpha.t TO r;", "REVOKE SELECT ON alpha.t FROM r;"),
       dir + "callbacks/after_migrate.sql:4: a callback has no Down section: it runs around a run, and nothing "
             "undoes it"},
      {"alpha/repeatable/v.sql", "-- +migrator contract\n" + goose("SELECT 1;"),
       dir + "repeatable/v.sql:1: a repeatable migration cannot be a contract migration (only a versioned one is "
             "deferred)"},
      {"alpha/callbacks/before_migrate.sql", "-- +migrator baseline replaces 1001\n" + goose("SELECT 1;"),
       dir + "callbacks/before_migrate.sql:1: a callback cannot be a baseline (only a versioned migration replaces "
             "others)"},
      {"alpha/repeatable/v.sql", "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n",
       dir + "repeatable/v.sql:2: "},  // the parser's own message follows
  };
  for (const auto& r : rows) {
    const auto result = assemble({{r.key, r.content}});
    ASSERT_EQ(result.problems.size(), 1u) << r.key;
    EXPECT_EQ(result.problems[0].str().substr(0, r.expected.size()), r.expected) << r.key;
    EXPECT_TRUE(result.set.repeatables.empty() && result.set.callbacks.empty()) << r.key;
  }
}

TEST(repeatable_and_callback_files, a_malformed_repeatable_waits_for_its_first_use_when_parsing_is_deferred) {
  const auto deferred = assemble({{"alpha/repeatable/v.sql", "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n"}},
                                 migrator::parse_time::on_use);
  ASSERT_TRUE(deferred.ok());
  ASSERT_EQ(deferred.set.repeatables.size(), 1u);
  EXPECT_THROW(deferred.set.repeatables[0].body(), migrator::parse_error);
}

TEST(repeatable_and_callback_files, are_kept_apart_from_versions_in_module_then_name_order) {
  // Folders come in name order; the run order is modules.yaml's (alpha before beta).
  auto tree = tree_of({{"alpha/01001_init.sql", goose("CREATE SCHEMA alpha;")},
                       {"alpha/repeatable/zeta.sql", goose("SELECT 1;")},
                       {"alpha/repeatable/eta.sql", "-- +goose NO TRANSACTION\n" + goose("SELECT 2;")},
                       {"beta/repeatable/alpha_view.sql", goose("SELECT 3;")},
                       {"beta/callbacks/after_migrate.sql", goose("SELECT 4;")},
                       {"alpha/callbacks/after_each_migration.sql", goose("SELECT 5;")},
                       {"alpha/callbacks/before_migrate.sql", goose("SELECT 6;")}});
  std::swap(tree.folders[0], tree.folders[1]);
  const auto result = migrator::assemble(std::move(tree), migrator::env_lookup{});
  ASSERT_TRUE(result.ok()) << result.problems[0].str();
  ASSERT_EQ(result.set.migrations.size(), 1u);
  std::vector<std::string> repeatables, callbacks;
  for (const auto& r : result.set.repeatables) {
    EXPECT_EQ(r.role, migration_role::repeatable);
    EXPECT_EQ(r.version, 0);
    EXPECT_EQ(r.checksum.size(), 64u);
    repeatables.push_back(r.module + "/" + r.name);
  }
  for (const auto& c : result.set.callbacks) {
    EXPECT_EQ(c.role, migration_role::callback);
    callbacks.push_back(c.module + "/" + c.name);
  }
  EXPECT_EQ(repeatables, (std::vector<std::string>{"alpha/eta", "alpha/zeta", "beta/alpha_view"}));
  EXPECT_EQ(callbacks,
            (std::vector<std::string>{"alpha/after_each_migration", "alpha/before_migrate", "beta/after_migrate"}));
  EXPECT_FALSE(result.set.repeatables[0].body().use_transaction);
  EXPECT_EQ(result.set.repeatables[2].body().up.at(0).sql, "SELECT 3;");
  // Recorded with each: the highest version of its module in this set.
  EXPECT_EQ(result.set.repeatables[0].known_version, 1001);
  EXPECT_EQ(result.set.repeatables[2].known_version, 0);  // beta has no versioned migration
}

TEST(repeatable_and_callback_files, are_read_from_their_folders_of_a_directory) {
  testing_support::temp_dir dir;
  testing_support::write_module_set(dir, {{"alpha", {{"01001_init.sql", goose("CREATE SCHEMA alpha;")}}},
                                          {"beta", {}}});
  const auto migrations = dir.path() / "alpha" / "migrations";
  std::filesystem::create_directories(migrations / "repeatable");
  std::filesystem::create_directories(migrations / "callbacks");
  std::ofstream(migrations / "repeatable" / "views.sql") << goose("CREATE OR REPLACE VIEW alpha.v AS SELECT 1;");
  std::ofstream(migrations / "repeatable" / "notes.txt") << "not a migration";
  std::ofstream(migrations / "callbacks" / "after_migrate.sql") << goose("GRANT USAGE ON SCHEMA alpha TO PUBLIC;");
  const auto result = migrator::assemble(migrator::make_directory_source(dir.path())->load(), migrator::env_lookup{});
  ASSERT_TRUE(result.ok()) << result.problems[0].str();
  ASSERT_EQ(result.set.repeatables.size(), 1u);
  EXPECT_EQ(result.set.repeatables[0].path, dir.path().string() + "/alpha/migrations/repeatable/views.sql");
  ASSERT_EQ(result.set.callbacks.size(), 1u);
  EXPECT_EQ(result.set.callbacks[0].name, "after_migrate");
}

migrator::migration repeatable(const std::string& module, const std::string& name, const std::string& checksum) {
  migrator::migration m;
  m.role = migration_role::repeatable;
  m.module = module;
  m.name = name;
  m.path = "modules/" + module + "/migrations/repeatable/" + name + ".sql";
  m.checksum = checksum;
  return m;
}

TEST(repeatable_status, each_file_against_its_recorded_checksum) {
  const std::vector<migrator::migration> set{repeatable("alpha", "a", "c1"), repeatable("alpha", "b", "c2"),
                                             repeatable("beta", "c", "c3")};
  std::map<std::pair<std::string, std::string>, migrator::repeatable_row> recorded{
      {{"alpha", "a"}, {"c1", "2026-12-01 10:00:00"}},
      {{"alpha", "b"}, {"old", "2026-12-01 10:00:01"}},
      {{"alpha", "gone"}, {"c9", "2026-12-01 10:00:02"}}};
  const auto statuses = migrator::repeatable_statuses(set, recorded);
  struct row {
    const char* name;
    repeatable_state state;
    const char* applied_at;
  };
  const row expected[] = {{"a", repeatable_state::applied, "2026-12-01 10:00:00"},
                          {"b", repeatable_state::changed, "2026-12-01 10:00:01"},
                          {"c", repeatable_state::pending, ""},
                          {"gone", repeatable_state::missing, "2026-12-01 10:00:02"}};
  ASSERT_EQ(statuses.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(statuses[i].name, expected[i].name);
    EXPECT_EQ(statuses[i].state, expected[i].state) << expected[i].name;
    EXPECT_EQ(statuses[i].applied_at.value_or(""), expected[i].applied_at);
  }
  EXPECT_TRUE(statuses[3].path.empty());

  std::vector<std::string> due;
  for (const auto* m : migrator::repeatables_to_apply(set, recorded)) due.push_back(m->name);
  EXPECT_EQ(due, (std::vector<std::string>{"b", "c"}));
  std::vector<std::string> back;
  for (const auto* m : migrator::repeatables_to_revert(set, recorded)) back.push_back(m->name);
  EXPECT_EQ(back, (std::vector<std::string>{"b", "a"}));  // recorded ones the set has, last first
}

// During a rolling deploy an older build starts beside a newer one that applied
// a newer version of the file: the older one leaves it alone.
TEST(repeatable_status, a_row_a_newer_build_wrote_is_left_as_it_is) {
  struct row {
    std::int64_t recorded_known, file_known;
    const char* checksum;
    repeatable_state state;
    bool due;
  };
  const row rows[] = {
      {2003, 2002, "other", repeatable_state::newer, false},  // a newer build's file
      {2002, 2002, "other", repeatable_state::changed, true},  // edited within one release
      {2001, 2002, "other", repeatable_state::changed, true},  // an older build's file
      {0, 2002, "other", repeatable_state::changed, true},
      {2003, 2002, "c1", repeatable_state::applied, false},  // same file, whoever applied it
  };
  for (const auto& r : rows) {
    auto file = repeatable("beta", "v", "c1");
    file.known_version = r.file_known;
    const std::vector<migrator::migration> set{file};
    const std::map<std::pair<std::string, std::string>, migrator::repeatable_row> recorded{
        {{"beta", "v"}, {r.checksum, "2026-12-01 10:00:00", r.recorded_known}}};
    EXPECT_EQ(migrator::repeatable_statuses(set, recorded).at(0).state, r.state) << r.recorded_known;
    EXPECT_EQ(migrator::repeatables_to_apply(set, recorded).size(), r.due ? 1u : 0u) << r.recorded_known;
  }
}

TEST(repeatable_status, a_pending_or_changed_repeatable_makes_the_database_not_current) {
  const std::vector<migrator::migration> set{repeatable("alpha", "a", "c1")};
  migrator::module_set modules;
  modules.repeatables = set;
  migrator::history_snapshot snap;
  snap.exists = true;
  EXPECT_FALSE(migrator::compute_status(modules, snap).current());  // pending
  snap.repeatables[{"alpha", "a"}] = {"other", "2026-12-01 10:00:00"};
  EXPECT_FALSE(migrator::compute_status(modules, snap).current());  // changed
  snap.repeatables[{"alpha", "a"}] = {"c1", "2026-12-01 10:00:00"};
  EXPECT_TRUE(migrator::compute_status(modules, snap).current());
  snap.repeatables[{"alpha", "removed"}] = {"c2", "2026-12-01 10:00:00"};
  EXPECT_TRUE(migrator::compute_status(modules, snap).current());  // a missing file runs nothing
}

}  // namespace
