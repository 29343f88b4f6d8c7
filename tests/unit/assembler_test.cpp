// assemble(): every layout problem, valid interleaved sets, ordering, checksums and
// module_for_version, from memory trees and from real directories (source.cpp).
#include "migrator/assembler.h"

#include <gtest/gtest.h>

#include <thread>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "migrator/code_migration.h"
#include "migrator/parser.h"
#include "migrator/source.h"
#include "test_support.h"

namespace {

namespace fs = std::filesystem;
using migrator::assembly;
using migrator::problem;
using migrator::source_tree;

const char* const create_table = "-- +goose Up\nCREATE TABLE t (id int);\n\n-- +goose Down\nDROP TABLE t;\n";

const char* const three_modules =
    "modules:\n"
    "  - name: db\n"
    "  - name: identity\n"
    "    schema: people\n"
    "    description: persons and users\n"
    "  - name: organization\n";

std::optional<std::string> no_variables(const std::string&) { return std::nullopt; }

// files: "identity/02001_init.sql" -> content; a folder named with a trailing "/"
// ("billing/") is created with an empty migrations directory, "extra/-" without one.
source_tree tree_of(std::optional<std::string> manifest, const std::map<std::string, std::string>& files) {
  source_tree tree;
  tree.root = "modules";
  tree.manifest_path = "modules/modules.yaml";
  tree.manifest_text = std::move(manifest);
  std::map<std::string, migrator::source_folder> folders;
  for (const auto& [key, content] : files) {
    const auto slash = key.find('/');
    const std::string folder = key.substr(0, slash), file = key.substr(slash + 1);
    auto& f = folders[folder];
    f.name = folder;
    if (file == "-") continue;
    f.has_migrations_dir = true;
    if (!file.empty()) f.files.push_back({"modules/" + folder + "/migrations/" + file, content});
  }
  for (auto& [name, f] : folders) {
    std::sort(f.files.begin(), f.files.end(),
              [](const migrator::source_file& a, const migrator::source_file& b) { return a.path < b.path; });
    tree.folders.push_back(std::move(f));
  }
  return tree;
}

std::string render(const std::vector<problem>& problems) {
  std::string s;
  for (const auto& p : problems) s += p.str() + "\n";
  return s;
}

assembly assemble(const source_tree& tree) { return migrator::assemble(tree, no_variables); }

std::vector<std::int64_t> versions(const migrator::module_set& set) {
  std::vector<std::int64_t> v;
  for (const auto& m : set.migrations) v.push_back(m.version);
  return v;
}

// ---------------------------------------------------------------------------
// One problem per case: the exact path and line, and a telling part of the message.

struct problem_case {
  const char* label;
  std::optional<std::string> manifest;
  std::map<std::string, std::string> files;
  std::string path;
  int line;
  std::string message_part;
};

void PrintTo(const problem_case& c, std::ostream* os) { *os << c.label; }

class assembler_problems : public testing::TestWithParam<problem_case> {};

TEST_P(assembler_problems, reports_exactly_one_problem_where_it_is) {
  const auto& c = GetParam();
  const auto result = assemble(tree_of(c.manifest, c.files));
  ASSERT_EQ(result.problems.size(), 1u) << render(result.problems);
  const auto& p = result.problems[0];
  EXPECT_EQ(p.path, c.path) << p.str();
  EXPECT_EQ(p.line, c.line) << p.str();
  EXPECT_NE(p.message.find(c.message_part), std::string::npos) << p.str();
  EXPECT_FALSE(result.ok());
}

const std::map<std::string, std::string> db_only{{"db/01001_init.sql", create_table}};

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    manifest, assembler_problems,
    testing::Values(
        problem_case{"missing", std::nullopt, db_only, "modules/modules.yaml", 0, "not found"},
        problem_case{"empty", "", db_only, "modules/modules.yaml", 1, "is empty"},
        problem_case{"only_comments", "# nothing yet\n", db_only, "modules/modules.yaml", 1, "is empty"},
        problem_case{"not_yaml", "modules:\n  - name: db\n  - [unclosed\n", db_only, "modules/modules.yaml", 4,
                     "not valid YAML"},
        problem_case{"bad_indentation", "modules:\n  - name: db\n schema: x\n", db_only, "modules/modules.yaml", 3,
                     "not valid YAML"},
        problem_case{"top_level_list", "- name: db\n", db_only, "modules/modules.yaml", 1, "expected a mapping"},
        problem_case{"top_level_scalar", "db\n", db_only, "modules/modules.yaml", 1, "expected a mapping"},
        problem_case{"two_documents", "modules:\n  - name: db\n---\nmodules: []\n", db_only,
                     "modules/modules.yaml", 4, "more than one YAML document"},
        problem_case{"no_modules_key", "{}\n", db_only, "modules/modules.yaml", 1, "has no 'modules:' list"},
        problem_case{"misspelt_modules_key", "module:\n  - name: db\nmodules: []\n", {}, "modules/modules.yaml", 1,
                     "unknown key 'module'"},
        problem_case{"unknown_top_level_key", "modules:\n  - name: db\nversion: 2\n", db_only,
                     "modules/modules.yaml", 3, "unknown key 'version'"},
        problem_case{"duplicate_modules_key", "modules:\n  - name: db\nmodules:\n  - name: db\n", db_only,
                     "modules/modules.yaml", 3, "duplicate key 'modules'"},
        problem_case{"modules_not_a_list", "modules: db\n", db_only, "modules/modules.yaml", 1, "must be a list"},
        problem_case{"modules_a_mapping", "modules:\n  db: {}\n", db_only, "modules/modules.yaml", 2,
                     "must be a list"},
        problem_case{"entry_is_a_scalar", "modules:\n  - db\n", db_only, "modules/modules.yaml", 2,
                     "must be a mapping like '- name: billing'"},
        problem_case{"entry_without_name", "modules:\n  - name: db\n  - schema: x\n", db_only,
                     "modules/modules.yaml", 3, "module entry 2 has no 'name'"},
        problem_case{"unknown_entry_key", "modules:\n  - name: db\n    owner: me\n", db_only,
                     "modules/modules.yaml", 3, "unknown key 'owner' in module entry 1"},
        problem_case{"duplicate_entry_key", "modules:\n  - name: db\n    description: a\n    description: b\n",
                     db_only, "modules/modules.yaml", 4, "duplicate key 'description'"},
        problem_case{"name_not_a_string", "modules:\n  - name: [db]\n", db_only, "modules/modules.yaml", 2,
                     "'name' must be a string"},
        problem_case{"schema_not_a_string", "modules:\n  - name: db\n    schema: {a: b}\n", db_only,
                     "modules/modules.yaml", 3, "'schema' must be a string"},
        problem_case{"requires_postgres_not_a_number", "modules:\n  - name: db\n    requires_postgres: latest\n",
                     db_only, "modules/modules.yaml", 3,
                     "requires_postgres 'latest' must be a PostgreSQL major version from 14 on"},
        problem_case{"requires_postgres_minor", "modules:\n  - name: db\n    requires_postgres: 18.1\n", db_only,
                     "modules/modules.yaml", 3, "requires_postgres '18.1' must be a PostgreSQL major version"},
        problem_case{"requires_postgres_unsupported", "modules:\n  - name: db\n    requires_postgres: 13\n",
                     db_only, "modules/modules.yaml", 3, "requires_postgres '13' must be a PostgreSQL major version from 14"}),
    [](const testing::TestParamInfo<problem_case>& info) { return std::string(info.param.label); });
// clang-format on

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    names, assembler_problems,
    testing::Values(
        problem_case{"upper_case_first", "modules:\n  - name: Db\n", {{"Db/01001_init.sql", create_table}},
                     "modules/modules.yaml", 2, "must start with a lower-case letter or '_'"},
        problem_case{"upper_case", "modules:\n  - name: dB\n", {{"dB/01001_init.sql", create_table}},
                     "modules/modules.yaml", 2, "may contain only lower-case letters"},
        problem_case{"non_ascii", "modules:\n  - name: caf\u00e9\n", {}, "modules/modules.yaml", 2,
                     "may contain only lower-case letters"},
        problem_case{"leading_digit", "modules:\n  - name: 1db\n", {{"1db/01001_init.sql", create_table}},
                     "modules/modules.yaml", 2, "must start with a lower-case letter or '_'"},
        problem_case{"dash", "modules:\n  - name: my-db\n", {{"my-db/01001_init.sql", create_table}},
                     "modules/modules.yaml", 2, "may contain only lower-case letters"},
        problem_case{"empty_name", "modules:\n  - name: ''\n", {}, "modules/modules.yaml", 2, "is empty"},
        problem_case{"too_long", "modules:\n  - name: " + std::string(64, 'a') + "\n",
                     {{std::string(64, 'a') + "/01001_init.sql", create_table}}, "modules/modules.yaml", 2,
                     "longer than 63 bytes"},
        problem_case{"reserved_word", "modules:\n  - name: user\n", {{"user/01001_init.sql", create_table}},
                     "modules/modules.yaml", 2, "reserved word"},
        problem_case{"reserved_type_func_word", "modules:\n  - name: join\n", {{"join/01001_init.sql", create_table}},
                     "modules/modules.yaml", 2, "reserved word"},
        problem_case{"bad_schema", "modules:\n  - name: db\n    schema: Shared\n", db_only, "modules/modules.yaml", 3,
                     "schema 'Shared' must start with a lower-case letter"},
        problem_case{"pg_schema", "modules:\n  - name: db\n    schema: pg_db\n", db_only, "modules/modules.yaml", 3,
                     "'pg_', which PostgreSQL reserves"},
        problem_case{"pg_name_without_schema", "modules:\n  - name: pg_db\n", {{"pg_db/01001_init.sql", create_table}},
                     "modules/modules.yaml", 2, "needs a 'schema:'"},
        problem_case{"duplicate_name", "modules:\n  - name: db\n  - name: db\n", db_only, "modules/modules.yaml", 3,
                     "module 'db' is listed twice (first at line 2)"},
        problem_case{"duplicate_schema", "modules:\n  - name: db\n  - name: identity\n    schema: db\n",
                     {{"db/01001_init.sql", create_table}, {"identity/", ""}}, "modules/modules.yaml", 3,
                     "schema 'db' of module 'identity' is already owned by module 'db'"}),
    [](const testing::TestParamInfo<problem_case>& info) { return std::string(info.param.label); });
// clang-format on

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    layout, assembler_problems,
    testing::Values(
        problem_case{"listed_module_without_folder", three_modules,
                     {{"db/01001_init.sql", create_table}, {"identity/", ""}}, "modules/modules.yaml", 6,
                     "module 'organization' has no folder modules/organization"},
        problem_case{"folder_without_migrations_dir", three_modules,
                     {{"db/01001_init.sql", create_table}, {"identity/", ""}, {"organization/-", ""}},
                     "modules/modules.yaml", 6,
                     "module 'organization' has no migrations directory modules/organization/migrations"},
        problem_case{"folder_not_listed", "modules:\n  - name: db\n",
                     {{"db/01001_init.sql", create_table}, {"extra/02001_init.sql", create_table}}, "modules/extra", 0,
                     "not a module listed in modules/modules.yaml; append '- name: extra'"},
        problem_case{"empty_folder_not_listed", "modules:\n  - name: db\n",
                     {{"db/01001_init.sql", create_table}, {"extra/-", ""}}, "modules/extra", 0, "not a module listed"},
        problem_case{"version_in_later_module_namespace", three_modules,
                     {{"db/01001_init.sql", create_table},
                      {"identity/03001_init.sql", create_table},
                      {"organization/", ""}},
                     "modules/identity/migrations/03001_init.sql", 0,
                     "version 3001 is outside module 'identity''s namespace 2001..2999; it is in module "
                     "'organization''s namespace"},
        problem_case{"version_in_earlier_module_namespace", three_modules,
                     {{"db/01001_init.sql", create_table},
                      {"identity/", ""},
                      {"organization/01002_init.sql", create_table}},
                     "modules/organization/migrations/01002_init.sql", 0,
                     "outside module 'organization''s namespace 3001..3999; it is in module 'db''s namespace"},
        problem_case{"version_past_last_module", three_modules,
                     {{"db/01001_init.sql", create_table}, {"identity/", ""}, {"organization/09001_init.sql", create_table}},
                     "modules/organization/migrations/09001_init.sql", 0, "it is in no module's namespace"},
        problem_case{"version_thousand_boundary", three_modules,
                     {{"db/01001_init.sql", create_table}, {"identity/02000_init.sql", create_table}, {"organization/", ""}},
                     "modules/identity/migrations/02000_init.sql", 0,
                     "version 2000 is outside module 'identity''s namespace 2001..2999; it is in no module's"},
        problem_case{"version_below_first_namespace", "modules:\n  - name: db\n", {{"db/00999_init.sql", create_table}},
                     "modules/db/migrations/00999_init.sql", 0, "outside module 'db''s namespace 1001..1999"},
        problem_case{"duplicate_version_same_padding", "modules:\n  - name: db\n",
                     {{"db/01001_a.sql", create_table}, {"db/01001_b.sql", create_table}},
                     "modules/db/migrations/01001_b.sql", 0,
                     "duplicate version 1001: modules/db/migrations/01001_a.sql has it too"},
        problem_case{"duplicate_version_other_padding", "modules:\n  - name: db\n",
                     {{"db/01001_a.sql", create_table}, {"db/1001_b.sql", create_table}},
                     "modules/db/migrations/1001_b.sql", 0, "duplicate version 1001"},
        problem_case{"no_numeric_prefix", "modules:\n  - name: db\n",
                     {{"db/01001_a.sql", create_table}, {"db/init.sql", create_table}}, "modules/db/migrations/init.sql",
                     0, "has no numeric version prefix"}),
    [](const testing::TestParamInfo<problem_case>& info) { return std::string(info.param.label); });
// clang-format on

TEST(assemble, reports_the_parsers_problem_for_a_malformed_file) {
  const std::string bad = "-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE t (id int);\n";
  const auto result = assemble(tree_of("modules:\n  - name: db\n", {{"db/01001_a.sql", bad}}));
  ASSERT_EQ(result.problems.size(), 1u) << render(result.problems);
  EXPECT_EQ(result.problems[0].path, "modules/db/migrations/01001_a.sql");
  // The problem is exactly what parse_migration throws: same path, line and text.
  try {
    migrator::parse_migration(bad, "modules/db/migrations/01001_a.sql", no_variables);
    FAIL() << "the parser accepted an unclosed StatementBegin";
  } catch (const migrator::parse_error& e) {
    EXPECT_EQ(result.problems[0].str(), e.what());
  }
  EXPECT_TRUE(result.set.migrations.empty());
}

// parse_time::on_use: what a start does. Files are read and hashed, not parsed;
// a malformed file is found when its body is first asked for.
TEST(assemble_on_use, parses_no_file_until_its_body_is_used) {
  const std::string bad = "-- +goose Up\n-- +goose StatementBegin\nCREATE TABLE t (id int);\n";
  const auto result = migrator::assemble(
      tree_of("modules:\n  - name: db\n", {{"db/01001_a.sql", create_table}, {"db/01002_b.sql", bad}}), no_variables,
      migrator::parse_time::on_use);
  ASSERT_TRUE(result.ok()) << render(result.problems);
  ASSERT_EQ(versions(result.set), (std::vector<std::int64_t>{1001, 1002}));
  const auto& good = result.set.migrations[0];
  const auto& broken = result.set.migrations[1];
  EXPECT_FALSE(good.parsed());
  EXPECT_FALSE(broken.parsed());
  // Hashing needs no parse: the checksum is the one parse_time::now gives.
  const auto eager = assemble(tree_of("modules:\n  - name: db\n", {{"db/01001_a.sql", create_table}}));
  EXPECT_EQ(good.checksum, eager.set.migrations.at(0).checksum);

  ASSERT_EQ(good.body().up.size(), 1u);
  EXPECT_TRUE(good.parsed());
  EXPECT_EQ(good.body().up[0].sql, eager.set.migrations.at(0).body().up[0].sql);
  EXPECT_FALSE(broken.parsed()) << "using one migration parses only that one";

  // The parser's own error, path:line, on every call (a failed parse is not cached as success).
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      broken.body();
      FAIL() << "an unclosed StatementBegin parsed";
    } catch (const migrator::parse_error& e) {
      EXPECT_EQ(e.where().path, "modules/db/migrations/01002_b.sql");
      EXPECT_EQ(e.where().line, 2);
    }
    EXPECT_FALSE(broken.parsed());
  }
}

TEST(assemble_on_use, threads_sharing_a_set_see_one_parse) {
  std::string up;
  for (int i = 0; i < 2000; ++i) up += "INSERT INTO t VALUES (" + std::to_string(i) + ");\n";
  const auto result = migrator::assemble(tree_of("modules:\n  - name: db\n", {{"db/01001_a.sql", "-- +goose Up\n" + up}}),
                                         no_variables, migrator::parse_time::on_use);
  ASSERT_TRUE(result.ok()) << render(result.problems);
  const auto& m = result.set.migrations.at(0);
  const migrator::migration copy = m;  // copies share the parse
  std::vector<std::thread> threads;
  std::vector<const migrator::migration_body*> seen(8, nullptr);
  for (std::size_t i = 0; i < seen.size(); ++i)
    threads.emplace_back([&, i] { seen[i] = &(i % 2 ? copy : m).body(); });
  for (auto& t : threads) t.join();
  for (const auto* b : seen) {
    EXPECT_EQ(b, seen[0]) << "every thread gets the one parsed body";
    EXPECT_EQ(b->up.size(), 2000u);
  }
  EXPECT_TRUE(m.parsed());
}

TEST(assemble, parses_files_of_unlisted_folders_too) {
  const std::string bad = "SELECT 1;\n";  // no "-- +goose Up"
  const auto result = assemble(
      tree_of("modules:\n  - name: db\n", {{"db/01001_a.sql", create_table}, {"extra/02001_a.sql", bad}}));
  ASSERT_EQ(result.problems.size(), 2u) << render(result.problems);
  EXPECT_EQ(result.problems[0].path, "modules/extra");
  EXPECT_EQ(result.problems[1].path, "modules/extra/migrations/02001_a.sql");
  EXPECT_EQ(versions(result.set), std::vector<std::int64_t>{1001});
}

TEST(assemble, lists_every_problem_not_just_the_first) {
  const auto result =
      assemble(tree_of(three_modules + std::string("  - name: Bad\n"), {{"db/01001_a.sql", create_table},
                                                                        {"db/02001_a.sql", create_table},
                                                                        {"identity/init.sql", create_table},
                                                                        {"extra/-", ""}}));
  // Bad: invalid name; 02001 in db; init.sql; organization: no folder; extra: not listed.
  EXPECT_EQ(result.problems.size(), 5u) << render(result.problems);
}

TEST(assemble, finds_every_duplicate_version_in_a_large_set_and_names_the_first_file) {
  // Two modules of 999 versions each, every version written once more with
  // another spelling (leading zeros): each second file is the duplicate, named
  // against the first, whatever the order the versions are claimed in.
  std::string manifest = "modules:\n  - name: a\n  - name: b\n";
  std::map<std::string, std::string> files;
  for (const char* module : {"a", "b"}) {
    const int base = module[0] == 'a' ? 1000 : 2000;
    for (int v = base + 1; v <= base + 999; ++v) {
      files[std::string(module) + "/0" + std::to_string(v) + "_x.sql"] = create_table;
      files[std::string(module) + "/00" + std::to_string(v) + "_y.sql"] = create_table;
    }
  }
  const auto result = assemble(tree_of(manifest, files));
  ASSERT_EQ(result.problems.size(), 2u * 999) << render(result.problems).substr(0, 2000);
  for (const auto& p : result.problems) {
    // "00<v>_y.sql" sorts first, so it claims the version; "0<v>_x.sql" is the duplicate.
    const auto name = p.path.substr(p.path.rfind('/') + 1);
    ASSERT_EQ(name.rfind('0', 0), 0u);
    const std::string version = name.substr(1, name.find('_') - 1);
    EXPECT_EQ(p.message, "duplicate version " + version + ": " + p.path.substr(0, p.path.rfind('/') + 1) + "00" +
                             version + "_y.sql has it too");
  }
  EXPECT_EQ(result.set.migrations.size(), 2u * 999);
}

TEST(assemble, finds_duplicates_among_versions_scattered_over_more_namespaces_than_modules) {
  // Module a: 1,000 files, each version in a namespace of its own (all but the
  // module's own are problems). Module b, read after it: two versions in two
  // namespaces more, each written twice ("_x" claims it, "_z" is the duplicate).
  std::map<std::string, std::string> files;
  for (int k = 1; k <= 1000; ++k) files["a/0" + std::to_string(k * 1000 + 1) + "_x.sql"] = create_table;
  for (const int k : {1099, 1100})
    for (const char* title : {"_x.sql", "_z.sql"}) files["b/0" + std::to_string(k * 1000 + 1) + title] = create_table;
  const auto result = assemble(tree_of(std::string("modules:\n  - name: a\n  - name: b\n"), files));
  std::vector<std::string> duplicates;
  for (const auto& p : result.problems)
    if (p.message.rfind("duplicate version", 0) == 0) duplicates.push_back(p.path + ": " + p.message);
  ASSERT_EQ(duplicates.size(), 2u) << render(result.problems).substr(0, 2000);
  EXPECT_EQ(duplicates[0], "modules/b/migrations/01099001_z.sql: duplicate version 1099001: "
                           "modules/b/migrations/01099001_x.sql has it too");
  EXPECT_EQ(duplicates[1], "modules/b/migrations/01100001_z.sql: duplicate version 1100001: "
                           "modules/b/migrations/01100001_x.sql has it too");
}

TEST(assemble, position_past_999_is_refused) {
  std::string manifest = "modules:\n";
  std::map<std::string, std::string> files;
  for (int i = 1; i <= 1000; ++i) {
    const std::string name = "m" + std::to_string(i);
    manifest += "  - name: " + name + "\n";
    files[name + "/"] = "";
  }
  const auto result = assemble(tree_of(manifest, files));
  ASSERT_EQ(result.problems.size(), 1u) << render(result.problems);
  EXPECT_EQ(
      result.problems[0].str(),
      "modules/modules.yaml:1001: module 'm1000' is at position 1000, past the last namespace: at most 999 "
      "modules fit (versions up to 999999)");
  ASSERT_EQ(result.set.modules.size(), 999u);
  EXPECT_EQ(result.set.modules.back().last_version(), 999999);
}

TEST(assemble, a_malformed_entry_keeps_its_position) {
  // Entry 2 is broken, but organization must still own 3001..3999: positions never shift.
  const auto result = assemble(tree_of("modules:\n  - name: db\n  - schema: oops\n  - name: organization\n",
                                       {{"db/", ""}, {"organization/03001_a.sql", create_table}}));
  ASSERT_EQ(result.problems.size(), 1u) << render(result.problems);
  EXPECT_EQ(result.problems[0].line, 3);
  ASSERT_EQ(result.set.modules.size(), 2u);
  EXPECT_EQ(result.set.modules[1].name, "organization");
  EXPECT_EQ(result.set.modules[1].position, 3);
  EXPECT_EQ(versions(result.set), std::vector<std::int64_t>{3001});
}

// ---------------------------------------------------------------------------
// Valid sets.

TEST(assemble, orders_an_interleaved_set_by_version) {
  const std::string v2 = "-- +goose Up\nALTER TABLE t ADD c int;\n-- +goose Down\nALTER TABLE t DROP c;\n";
  const auto result =
      assemble(tree_of(three_modules, {{"db/01001_db_init.sql", create_table},
                                       {"identity/02001_identity_init.sql", create_table},
                                       {"identity/02002_added_later.sql", v2},
                                       {"organization/03001_organization_init.sql", create_table},
                                       {"organization/03002_more.sql", v2},
                                       {"db/01002_db_more.sql", v2}}));
  ASSERT_TRUE(result.ok()) << render(result.problems);
  EXPECT_EQ(versions(result.set), (std::vector<std::int64_t>{1001, 1002, 2001, 2002, 3001, 3002}));

  const auto& m = result.set.migrations[3];
  EXPECT_EQ(m.version, 2002);
  EXPECT_EQ(m.name, "added_later");
  EXPECT_EQ(m.module, "identity");
  EXPECT_EQ(m.path, "modules/identity/migrations/02002_added_later.sql");
  EXPECT_EQ(m.checksum, migrator::migration_checksum(v2));
  ASSERT_EQ(m.body().up.size(), 1u);
  EXPECT_EQ(m.body().up[0].sql, "ALTER TABLE t ADD c int;");
  ASSERT_EQ(m.body().down.size(), 1u);
  EXPECT_TRUE(m.body().use_transaction);
  EXPECT_EQ(result.set.migrations[0].checksum, migrator::migration_checksum(create_table));
  EXPECT_NE(result.set.migrations[0].checksum, m.checksum);
}

// depends_on: every case has a folder for each listed module, so the
// dependency's problem is the only one.
const std::map<std::string, std::string> three_folders{{"db/", ""}, {"identity/", ""}, {"organization/", ""}};
const std::map<std::string, std::string> two_folders{{"db/", ""}, {"identity/", ""}};
const std::string db_then_identity = "modules:\n  - name: db\n  - name: identity\n";

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    dependencies, assembler_problems,
    testing::Values(
        problem_case{"later_module", "modules:\n  - name: db\n    depends_on: [identity]\n  - name: identity\n",
                     two_folders, "modules/modules.yaml", 3,
                     "module 'db' depends on 'identity', which comes later in modules/modules.yaml (position 2; "
                     "'db' is at 1): on a fresh database its migrations have not run yet"},
        problem_case{"later_module_block_list",
                     "modules:\n  - name: db\n  - name: identity\n    depends_on:\n      - db\n      - organization\n"
                     "  - name: organization\n",
                     three_folders, "modules/modules.yaml", 6, "depends on 'organization', which comes later"},
        problem_case{"unknown_module", db_then_identity + "    depends_on: [dbb]\n", two_folders,
                     "modules/modules.yaml", 4,
                     "module 'identity' depends on 'dbb', which is not a module in modules/modules.yaml "
                     "(did you mean 'db'?)"},
        problem_case{"unknown_module_far_from_any", db_then_identity + "    depends_on: [payments]\n", two_folders,
                     "modules/modules.yaml", 4, "depends on 'payments', which is not a module in modules/modules.yaml"},
        problem_case{"itself", db_then_identity + "    depends_on: [db, identity]\n", two_folders,
                     "modules/modules.yaml", 4, "module 'identity' depends on itself"},
        problem_case{"listed_twice", db_then_identity + "    depends_on:\n      - db\n      - db\n", two_folders,
                     "modules/modules.yaml", 6, "module 'identity' lists 'db' twice in depends_on"},
        problem_case{"a_single_name", db_then_identity + "    depends_on: db\n", two_folders,
                     "modules/modules.yaml", 4,
                     "depends_on must be a list of module names, like 'depends_on: [db, identity]', not 'db'"},
        problem_case{"comma_separated_text", db_then_identity + "    depends_on: db, organization\n", two_folders,
                     "modules/modules.yaml", 4, "must be a list of module names, like 'depends_on: [db, identity]', "
                     "not 'db, organization'"},
        problem_case{"a_mapping", db_then_identity + "    depends_on: {db: true}\n", two_folders,
                     "modules/modules.yaml", 4, "depends_on must be a list of module names"},
        problem_case{"an_item_that_is_no_name", db_then_identity + "    depends_on:\n      - [db]\n", two_folders,
                     "modules/modules.yaml", 5, "depends_on of module entry 2 holds something other than a module name"},
        // Two modules that need each other: the earlier one's entry is the problem,
        // and the message names the cycle, not only the order.
        problem_case{"mutual_dependency",
                     "modules:\n  - name: db\n    depends_on: [identity]\n  - name: identity\n    depends_on: [db]\n",
                     two_folders, "modules/modules.yaml", 3,
                     "module 'db' and module 'identity' depend on each other (position 2; 'db' is at 1): a cycle"},
        problem_case{"a_three_module_cycle",
                     "modules:\n  - name: db\n    depends_on: [organization]\n  - name: identity\n    depends_on: [db]\n"
                     "  - name: organization\n    depends_on: [identity]\n",
                     three_folders, "modules/modules.yaml", 3,
                     "module 'db' depends on 'organization', which comes later"}),
    [](const testing::TestParamInfo<problem_case>& info) { return std::string(info.param.label); });
// clang-format on

TEST(assemble, reads_depends_on_in_the_order_written) {
  const auto result = assemble(tree_of(
      "modules:\n"
      "  - name: db\n"
      "    depends_on: []\n"
      "  - name: identity\n"
      "    depends_on:\n"  // nothing after the key: no dependencies
      "  - name: organization\n"
      "    depends_on:\n"
      "      - identity\n"
      "      - db\n",
      three_folders));
  ASSERT_TRUE(result.ok()) << render(result.problems);
  EXPECT_TRUE(result.set.modules[0].depends_on.empty());
  EXPECT_TRUE(result.set.modules[1].depends_on.empty());
  EXPECT_EQ(result.set.modules[2].depends_on, (std::vector<std::string>{"identity", "db"}));
  const auto flow = assemble(
      tree_of("modules: [{name: db}, {name: identity, depends_on: [db]}, {name: organization, depends_on: [db, "
              "identity]}]\n",
              three_folders));
  ASSERT_TRUE(flow.ok()) << render(flow.problems);
  EXPECT_EQ(flow.set.modules[2].depends_on, (std::vector<std::string>{"db", "identity"}));
}

TEST(assemble, lists_every_bad_dependency_and_keeps_the_good_ones) {
  const auto result = assemble(tree_of(
      "modules:\n  - name: db\n  - name: identity\n    depends_on: [db, organization, nope]\n"
      "  - name: organization\n",
      three_folders));
  ASSERT_EQ(result.problems.size(), 2u) << render(result.problems);
  EXPECT_NE(result.problems[0].message.find("'organization', which comes later"), std::string::npos);
  EXPECT_NE(result.problems[1].message.find("'nope', which is not a module"), std::string::npos);
  EXPECT_EQ(result.set.modules[1].depends_on, (std::vector<std::string>{"db"}));
}

TEST(assemble, reads_module_keys_and_defaults) {
  const auto result =
      assemble(tree_of(three_modules, {{"db/", ""}, {"identity/", ""}, {"organization/", ""}}));
  ASSERT_TRUE(result.ok()) << render(result.problems);
  ASSERT_EQ(result.set.modules.size(), 3u);
  const auto& db = result.set.modules[0];
  const auto& identity = result.set.modules[1];
  EXPECT_EQ(db.name, "db");
  EXPECT_EQ(db.schema, "db");
  EXPECT_EQ(db.description, "");
  EXPECT_EQ(db.position, 1);
  EXPECT_EQ(identity.schema, "people");
  EXPECT_EQ(identity.description, "persons and users");
  EXPECT_EQ(identity.position, 2);
  EXPECT_EQ(identity.first_version(), 2001);
  EXPECT_EQ(identity.last_version(), 2999);
  EXPECT_TRUE(result.set.migrations.empty());
}

TEST(assemble, reads_requires_postgres) {
  const auto result = assemble(tree_of("modules:\n  - name: db\n  - name: events\n    requires_postgres: 18\n",
                                       {{"db/", ""}, {"events/", ""}}));
  ASSERT_TRUE(result.ok()) << render(result.problems);
  EXPECT_EQ(result.set.modules[0].requires_postgres, 0);  // any supported server
  EXPECT_EQ(result.set.modules[1].requires_postgres, 18);
}

TEST(assemble, accepts_flow_style_comments_and_an_empty_list) {
  EXPECT_TRUE(assemble(tree_of("modules: []\n", {})).ok());
  const auto flow =
      assemble(tree_of("# the set\nmodules: [{name: db}, {name: identity, schema: people}]  # two\n",
                       {{"db/", ""}, {"identity/", ""}}));
  ASSERT_TRUE(flow.ok()) << render(flow.problems);
  EXPECT_EQ(flow.set.modules[1].schema, "people");
}

TEST(assemble, unreadable_entries_of_the_tree_are_problems) {
  auto tree = tree_of("modules:\n  - name: db\n", {{"db/01001_a.sql", create_table}});
  tree.problems.push_back({"modules/db/migrations/01002_b.sql", 0, "cannot be read: Permission denied"});
  const auto result = assemble(tree);
  ASSERT_EQ(result.problems.size(), 1u) << render(result.problems);
  EXPECT_EQ(result.problems[0].path, "modules/db/migrations/01002_b.sql");
}

// A source may carry each file's checksum (the embedded set: tools/embed_migrations
// computes it at build time); the assembler then takes it instead of hashing. With or
// without one, and in either parse_time, a migration's checksum is migration_checksum(content).
struct checksum_case {
  const char* label;
  std::string file;
  std::string content;
};

TEST(assemble, checksum_is_migration_checksum_with_or_without_a_precomputed_one) {
  const checksum_case cases[] = {
      {"plain", "01001_a.sql", create_table},
      {"CRLF line endings", "01001_a.sql", "-- +goose Up\r\nCREATE TABLE t (id int);\r\n"},
      {"UTF-8 BOM", "01001_a.sql", "\xEF\xBB\xBF-- +goose Up\nCREATE TABLE t (id int);\n"},
      {"lone CR kept", "01001_a.sql", "-- +goose Up\nSELECT 'a\rb';\n"},
      {"no trailing newline", "01001_a.sql", "-- +goose Up\nSELECT 1;"},
      {"code migration", "01001_a.cpp",
       "#include <migrator/code_migration.h>\n"
       "namespace {\nvoid up(migrator::code_transaction&) {}\n}\nMIGRATOR_CODE_MIGRATION(up);\n"},
  };
  for (const auto& c : cases) {
    for (const bool precomputed : {false, true}) {
      for (const auto when : {migrator::parse_time::now, migrator::parse_time::on_use}) {
        auto tree = tree_of("modules:\n  - name: db\n", {{"db/" + c.file, c.content}});
        if (precomputed) tree.folders.at(0).files.at(0).checksum = migrator::migration_checksum(c.content);
        const auto result = migrator::assemble(tree, no_variables, when);
        const std::string where = std::string(c.label) + (precomputed ? ", precomputed" : ", hashed") +
                                  (when == migrator::parse_time::now ? ", now" : ", on use");
        ASSERT_TRUE(result.ok()) << where << "\n" << render(result.problems);
        ASSERT_EQ(result.set.migrations.size(), 1u) << where;
        EXPECT_EQ(result.set.migrations[0].checksum, migrator::migration_checksum(c.content)) << where;
      }
    }
  }
  // The precomputed value is taken as it is: the file is not hashed again.
  auto tree = tree_of("modules:\n  - name: db\n", {{"db/01001_a.sql", create_table}});
  tree.folders.at(0).files.at(0).checksum = std::string(64, '0');
  const auto result = migrator::assemble(tree, no_variables, migrator::parse_time::on_use);
  ASSERT_TRUE(result.ok()) << render(result.problems);
  EXPECT_EQ(result.set.migrations.at(0).checksum, std::string(64, '0'));
}

struct lookup_case {
  std::int64_t version;
  const char* module;  // nullptr: none
};

TEST(module_set, module_for_version) {
  const auto result =
      assemble(tree_of(three_modules, {{"db/", ""}, {"identity/", ""}, {"organization/", ""}}));
  ASSERT_TRUE(result.ok()) << render(result.problems);
  const lookup_case cases[] = {{-1, nullptr},      {0, nullptr},           {1, nullptr},
                               {1000, nullptr},    {1001, "db"},           {1999, "db"},
                               {2000, nullptr},    {2001, "identity"},     {2500, "identity"},
                               {2999, "identity"}, {3001, "organization"}, {3999, "organization"},
                               {4000, nullptr},    {4001, nullptr},        {999999, nullptr}};
  for (const auto& c : cases) {
    const auto* m = result.set.module_for_version(c.version);
    if (c.module == nullptr) {
      EXPECT_EQ(m, nullptr) << c.version << " -> " << m->name;
    } else {
      ASSERT_NE(m, nullptr) << c.version;
      EXPECT_EQ(m->name, c.module) << c.version;
    }
  }
}

// ---------------------------------------------------------------------------
// The directory source.

TEST(directory_source, reads_a_module_tree) {
  testing_support::temp_dir dir;
  dir.write("modules.yaml", three_modules);
  dir.write("db/migrations/01001_db_init.sql", create_table);
  dir.write("identity/migrations/02002_b.sql", create_table);
  dir.write("identity/migrations/02001_a.sql", create_table);
  dir.write("identity/migrations/README.md", "not a migration");
  dir.write("identity/migrations/notes/02003_nested.sql", create_table);  // sub-folders are not read
  fs::create_directories(dir.path() / "organization" / "migrations");
  dir.write("README.md", "loose files beside the modules are ignored");
  dir.write(".git/HEAD", "hidden folders are not modules");
  dir.write("zeta/notes.txt", "a folder without migrations/");

  const auto tree = migrator::make_directory_source(dir.path())->load();
  const std::string root = dir.path().string();
  EXPECT_EQ(tree.root, root);
  EXPECT_EQ(tree.manifest_path, root + "/modules.yaml");
  ASSERT_TRUE(tree.manifest_text);
  EXPECT_EQ(*tree.manifest_text, three_modules);
  EXPECT_TRUE(tree.problems.empty()) << render(tree.problems);
  ASSERT_EQ(tree.folders.size(), 4u);
  EXPECT_EQ(tree.folders[0].name, "db");
  EXPECT_EQ(tree.folders[1].name, "identity");
  EXPECT_EQ(tree.folders[2].name, "organization");
  EXPECT_EQ(tree.folders[3].name, "zeta");
  EXPECT_TRUE(tree.folders[2].has_migrations_dir);
  EXPECT_TRUE(tree.folders[2].files.empty());
  EXPECT_FALSE(tree.folders[3].has_migrations_dir);
  ASSERT_EQ(tree.folders[1].files.size(), 2u);
  EXPECT_EQ(tree.folders[1].files[0].path, root + "/identity/migrations/02001_a.sql");
  EXPECT_EQ(tree.folders[1].files[1].path, root + "/identity/migrations/02002_b.sql");
  EXPECT_EQ(tree.folders[1].files[0].content, create_table);

  const auto result = migrator::assemble(tree, no_variables);
  ASSERT_EQ(result.problems.size(), 1u) << render(result.problems);
  EXPECT_EQ(result.problems[0].path, root + "/zeta");
  EXPECT_EQ(versions(result.set), (std::vector<std::int64_t>{1001, 2001, 2002}));
}

TEST(directory_source, display_root_is_the_directory_as_given) {
  testing_support::temp_dir dir;
  dir.write("set/modules.yaml", "modules:\n  - name: db\n");
  dir.write("set/db/migrations/01001_a.sql", create_table);
  const auto cwd = fs::current_path();
  fs::current_path(dir.path());
  const auto relative = migrator::make_directory_source("set/")->load();
  const auto dotted = migrator::make_directory_source("./set")->load();
  fs::current_path(cwd);
  EXPECT_EQ(relative.root, "set");
  EXPECT_EQ(relative.manifest_path, "set/modules.yaml");
  ASSERT_EQ(relative.folders.size(), 1u);
  ASSERT_EQ(relative.folders[0].files.size(), 1u);
  EXPECT_EQ(relative.folders[0].files[0].path, "set/db/migrations/01001_a.sql");
  EXPECT_EQ(dotted.folders[0].files[0].path, "./set/db/migrations/01001_a.sql");
  EXPECT_EQ(migrator::make_directory_source("set/")->describe(), "set");
}

TEST(directory_source, memory_and_directory_sources_assemble_alike) {
  testing_support::temp_dir dir;
  const std::map<std::string, std::string> files{{"db/01001_a.sql", create_table},
                                                 {"identity/02001_a.sql", create_table},
                                                 {"identity/02002_b.sql", "-- +goose Up\nSELECT 2;\n"}};
  dir.write("modules.yaml", three_modules);
  fs::create_directories(dir.path() / "organization/migrations");
  for (const auto& [key, content] : files) {
    const auto slash = key.find('/');
    dir.write(key.substr(0, slash) + "/migrations/" + key.substr(slash + 1), content);
  }
  auto memory_tree = tree_of(three_modules, files);
  memory_tree.folders.push_back({"organization", true, {}, false, {}});
  const auto from_memory = assemble(memory_tree);
  const auto from_dir = assemble(migrator::make_directory_source(dir.path())->load());
  ASSERT_TRUE(from_memory.ok()) << render(from_memory.problems);
  ASSERT_TRUE(from_dir.ok()) << render(from_dir.problems);
  ASSERT_EQ(from_memory.set.migrations.size(), from_dir.set.migrations.size());
  for (std::size_t i = 0; i < from_dir.set.migrations.size(); ++i) {
    EXPECT_EQ(from_memory.set.migrations[i].version, from_dir.set.migrations[i].version);
    EXPECT_EQ(from_memory.set.migrations[i].checksum, from_dir.set.migrations[i].checksum);
  }
  auto source = migrator::make_memory_source(memory_tree, "test modules");
  EXPECT_EQ(source->describe(), "test modules");
  EXPECT_EQ(source->load().folders.size(), memory_tree.folders.size());
}

struct broken_entry {
  const char* label;
  void (*make)(const fs::path& root);
  std::string path;  // relative to the root
  std::string message_part;
};

void PrintTo(const broken_entry& c, std::ostream* os) { *os << c.label; }

class directory_source_problems : public testing::TestWithParam<broken_entry> {};

// The source reports what it cannot read; assemble adds nothing for the same path.
TEST_P(directory_source_problems, become_problems_not_crashes) {
  const auto& c = GetParam();
  testing_support::temp_dir dir;
  dir.write("modules.yaml", "modules:\n  - name: db\n");
  dir.write("db/migrations/01001_a.sql", create_table);
  c.make(dir.path());
  const auto tree = migrator::make_directory_source(dir.path())->load();
  const std::string root = dir.path().string();
  ASSERT_EQ(tree.problems.size(), 1u) << render(tree.problems);
  EXPECT_EQ(tree.problems[0].path, c.path.empty() ? root : root + "/" + c.path);
  EXPECT_NE(tree.problems[0].message.find(c.message_part), std::string::npos) << tree.problems[0].str();
  const auto result = migrator::assemble(tree, no_variables);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.problems[0].str(), tree.problems[0].str());
  for (std::size_t i = 1; i < result.problems.size(); ++i)
    EXPECT_NE(result.problems[i].path, tree.problems[0].path)
        << "reported twice: " << render(result.problems);
}

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    table, directory_source_problems,
    testing::Values(
        broken_entry{"migration_symlink_loop",
                     [](const fs::path& r) { fs::create_symlink("01002_b.sql", r / "db/migrations/01002_b.sql"); },
                     "db/migrations/01002_b.sql", "cannot be read"},
        broken_entry{"dangling_migration_symlink",
                     [](const fs::path& r) { fs::create_symlink("gone.sql", r / "db/migrations/01002_b.sql"); },
                     "db/migrations/01002_b.sql", "cannot be read"},
        broken_entry{"directory_named_like_a_migration",
                     [](const fs::path& r) { fs::create_directories(r / "db/migrations/01002_b.sql"); },
                     "db/migrations/01002_b.sql", "is not a regular file"},
        broken_entry{"module_folder_symlink_loop",
                     [](const fs::path& r) { fs::create_directory_symlink("loop", r / "loop"); }, "loop",
                     "cannot be read"},
        broken_entry{"migrations_symlink_loop",
                     [](const fs::path& r) {
                       fs::create_directories(r / "identity");
                       fs::create_directory_symlink("migrations", r / "identity/migrations");
                     },
                     "identity/migrations", "cannot be read"},
        broken_entry{"migrations_is_a_file",
                     [](const fs::path& r) {
                       fs::remove_all(r / "db/migrations");
                       std::ofstream(r / "db/migrations") << "x";
                     },
                     "db/migrations", "is not a directory"},
        broken_entry{"manifest_is_a_directory",
                     [](const fs::path& r) {
                       fs::remove(r / "modules.yaml");
                       fs::create_directories(r / "modules.yaml");
                     },
                     "modules.yaml", "is not a regular file"},
        broken_entry{"manifest_symlink_loop",
                     [](const fs::path& r) {
                       fs::remove(r / "modules.yaml");
                       fs::create_symlink("modules.yaml", r / "modules.yaml");
                     },
                     "modules.yaml", "cannot be read"},
        broken_entry{"root_missing", [](const fs::path& r) { fs::remove_all(r); }, "", "cannot be read"},
        broken_entry{"root_is_a_file",
                     [](const fs::path& r) {
                       fs::remove_all(r);
                       std::ofstream(r) << "x";
                     },
                     "", "is not a directory"}),
    [](const testing::TestParamInfo<broken_entry>& info) { return std::string(info.param.label); });
// clang-format on

TEST(directory_source, unreadable_file_and_folder_are_problems) {
  testing_support::temp_dir dir;
  dir.write("modules.yaml", "modules:\n  - name: db\n  - name: identity\n");
  const auto file = dir.write("db/migrations/01001_a.sql", create_table);
  fs::create_directories(dir.path() / "identity/migrations");
  const auto traversable = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec;
  for (const char* d : {"", "db", "db/migrations", "identity"}) fs::permissions(dir.path() / d, traversable);
  fs::permissions(dir.path() / "modules.yaml", traversable);
  fs::permissions(file, fs::perms::none);
  fs::permissions(dir.path() / "identity/migrations", fs::perms::none);
  const std::string root = dir.path().string();
  auto load_and_check = [&]() -> bool {
    const auto tree = migrator::make_directory_source(dir.path())->load();
    const bool ok = tree.problems.size() == 2 && tree.problems[0].path == root + "/db/migrations/01001_a.sql" &&
                    tree.problems[1].path == root + "/identity/migrations";
    if (!ok) std::cerr << render(tree.problems) << '\n';
    return ok;
  };
  if (geteuid() != 0) {
    EXPECT_TRUE(load_and_check());
    return;
  }
  // Root reads whatever the permissions say: check as the unprivileged user "nobody".
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
    _exit(load_and_check() ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "(2: could not drop privileges; 1: wrong problems, see stderr)";
}

// ---------------------------------------------------------------------------
// The application's own module set (modules/ in the source tree).

TEST(application_modules, assemble_cleanly) {
  const auto result = assemble(migrator::make_directory_source(MIGRATOR_SOURCE_DIR "/modules")->load());
  ASSERT_TRUE(result.ok()) << render(result.problems);
  std::vector<std::string> names;
  for (const auto& m : result.set.modules) names.push_back(m.name);
  const std::vector<std::string> expected{"db",           "identity", "organization", "billing",
                                          "entitlements", "audit",    "integration"};
  EXPECT_EQ(names, expected);
}

// The rules of docs/module-authors.md that a machine can check.
TEST(application_modules, follow_the_authoring_rules) {
  const auto result = assemble(migrator::make_directory_source(MIGRATOR_SOURCE_DIR "/modules")->load());
  ASSERT_TRUE(result.ok()) << render(result.problems);
  std::map<std::string, int> position_of_schema;
  for (const auto& m : result.set.modules) position_of_schema[m.schema] = m.position;
  std::set<std::string> initialised;
  bool has_no_transaction = false, has_allow_missing_case = false;
  const std::regex reference(R"(REFERENCES\s+([a-z_][a-z0-9_]*)\.)");
  bool has_code_migration = false;
  for (const auto& m : result.set.migrations) {
    const auto* owner = result.set.module_for_version(m.version);
    ASSERT_NE(owner, nullptr);
    if (m.kind == migrator::migration_kind::code) {
      // Its SQL is in C++; the text checks ran in assemble().
      has_code_migration = true;
      ASSERT_NE(initialised.count(owner->name), 0u) << m.path << ": a module starts with SQL creating its schema";
      continue;
    }
    std::string up;
    for (const auto& s : m.body().up) up += s.sql + "\n";
    ASSERT_FALSE(m.body().up.empty()) << m.path;
    ASSERT_FALSE(m.body().down.empty()) << m.path << ": every migration can be rolled back";
    if (!initialised.count(owner->name)) {
      EXPECT_NE(up.find("CREATE SCHEMA " + owner->schema + ";"), std::string::npos)
          << m.path << ": a module's first migration creates its schema";
      initialised.insert(owner->name);
    }
    for (std::sregex_iterator it(up.begin(), up.end(), reference), end; it != end; ++it) {
      const std::string schema = (*it)[1];
      ASSERT_TRUE(position_of_schema.count(schema)) << m.path << " references unknown schema " << schema;
      EXPECT_LE(position_of_schema[schema], owner->position)
          << m.path << ": foreign keys point only to earlier modules, not to " << schema;
    }
    if (!m.body().use_transaction) {
      has_no_transaction = true;
      EXPECT_NE(up.find("CONCURRENTLY"), std::string::npos) << m.path;
    }
    // A second migration in a module before the last one: databases that already
    // hold the later modules get it through allow-missing.
    if (m.version != owner->first_version() && owner->position < result.set.modules.back().position)
      has_allow_missing_case = true;
  }
  EXPECT_EQ(initialised.size(), result.set.modules.size()) << "every module has migrations";
  EXPECT_TRUE(has_no_transaction);
  EXPECT_TRUE(has_allow_missing_case);
  EXPECT_TRUE(has_code_migration) << "the example modules show a code migration (billing's backfill)";
}

}  // namespace

// ---------------------------------------------------------------------------
// Code migrations (<version>_<title>.cpp) in a module's sequence, checked like SQL files.

namespace {

const char* const code_up_down =
    "#include <migrator/code_migration.h>\n"
    "namespace {\nvoid up(migrator::code_transaction&) {}\nvoid down(migrator::code_transaction&) {}\n}\n"
    "MIGRATOR_CODE_MIGRATION(up, down);\n";

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    code_migrations, assembler_problems,
    testing::Values(
        problem_case{"outside_its_namespace", three_modules,
                     {{"db/01001_init.sql", create_table}, {"identity/01002_backfill.cpp", code_up_down}, {"organization/", ""}},
                     "modules/identity/migrations/01002_backfill.cpp", 0,
                     "version 1002 is outside module 'identity'"},
        problem_case{"duplicating_a_sql_version", three_modules,
                     {{"db/01001_init.sql", create_table}, {"identity/02001_init.sql", create_table},
                      {"identity/02001_backfill.cpp", code_up_down}, {"organization/", ""}},
                     "modules/identity/migrations/02001_init.sql", 0,
                     "duplicate version 2001: modules/identity/migrations/02001_backfill.cpp has it too"},
        problem_case{"without_a_version", three_modules,
                     {{"db/01001_init.sql", create_table}, {"identity/backfill.cpp", code_up_down}, {"organization/", ""}},
                     "modules/identity/migrations/backfill.cpp", 0, "expected <version>_<title>.cpp"},
        problem_case{"without_up", three_modules,
                     {{"db/01001_init.sql", create_table},
                      {"identity/02001_backfill.cpp", "#include <migrator/code_migration.h>\n\nMIGRATOR_CODE_MIGRATION();\n"},
                      {"organization/", ""}},
                     "modules/identity/migrations/02001_backfill.cpp", 3, "has no up function"},
        problem_case{"declaring_nothing", three_modules,
                     {{"db/01001_init.sql", create_table}, {"identity/02001_backfill.cpp", "int x;\n"}, {"organization/", ""}},
                     "modules/identity/migrations/02001_backfill.cpp", 0, "defines no code migration"}));
// clang-format on

void noop(migrator::code_transaction&) {}
void noop_on_connection(migrator::code_connection&) {}

TEST(code_migrations, join_the_sequence_between_sql_files) {
  auto tree = tree_of(three_modules, {{"db/01001_init.sql", create_table},
                                      {"identity/02001_init.sql", create_table},
                                      {"identity/02002_backfill.cpp", code_up_down},
                                      {"identity/02003_more.sql", create_table},
                                      {"organization/", ""}});
  static const migrator::code_migration compiled("02002_backfill.cpp", 6, migrator::transactional, &noop, &noop);
  tree.folders[1].files[1].code = &compiled;
  const auto result = assemble(tree);
  ASSERT_TRUE(result.ok()) << render(result.problems);
  EXPECT_EQ(versions(result.set), (std::vector<std::int64_t>{1001, 2001, 2002, 2003}));
  const auto& code = result.set.migrations[2];
  EXPECT_EQ(code.kind, migrator::migration_kind::code);
  EXPECT_EQ(code.code, &compiled);
  EXPECT_EQ(code.name, "backfill");
  EXPECT_EQ(code.module, "identity");
  EXPECT_TRUE(code.body().use_transaction);
  EXPECT_TRUE(code.body().up.empty());
  // The checksum is the source file's, so editing the .cpp shows as modified.
  EXPECT_EQ(code.checksum, migrator::migration_checksum(code_up_down));
  EXPECT_EQ(result.set.migrations[1].kind, migrator::migration_kind::sql);
}

TEST(code_migrations, compiled_code_must_be_built_from_the_same_file) {
  auto tree = tree_of(three_modules, {{"db/01001_init.sql", create_table},
                                      {"identity/02002_backfill.cpp", code_up_down},
                                      {"organization/", ""}});
  static const migrator::code_migration other_file("02003_other.cpp", 6, migrator::transactional, &noop);
  static const migrator::code_migration other_mode("02002_backfill.cpp", 6, migrator::no_transaction,
                                                   &noop_on_connection);
  tree.folders[1].files[0].code = &other_file;
  auto result = assemble(tree);
  ASSERT_EQ(result.problems.size(), 1u) << render(result.problems);
  EXPECT_EQ(result.problems[0].str(),
            "modules/identity/migrations/02002_backfill.cpp:6: the compiled code migration linked here was built "
            "from '02003_other.cpp', not from this file");
  tree.folders[1].files[0].code = &other_mode;
  result = assemble(tree);
  ASSERT_EQ(result.problems.size(), 1u) << render(result.problems);
  EXPECT_NE(result.problems[0].message.find("disagrees with this file about its transaction"), std::string::npos);
}

}  // namespace
