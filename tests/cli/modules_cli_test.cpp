// `app migrate validate | create | schemas` in process, on module sets built in
// temporary directories (--modules-dir) and on the embedded set.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "migrator/assembler.h"
#include "migrator/embedded.h"
#include "migrator/parser.h"
#include "migrator/source.h"
#include "test_support.h"

namespace {

namespace fs = std::filesystem;
using testing_support::read_file;
using testing_support::run_app;
using testing_support::run_result;
using testing_support::temp_dir;

const char* const manifest =
    "modules:\n"
    "  - name: db\n"
    "  - name: identity\n"
    "    schema: people\n";

const char* const table_migration =
    "-- +goose Up\n"
    "-- +goose StatementBegin\n"
    "CREATE TABLE people.persons (id uuid PRIMARY KEY);\n"
    "CREATE INDEX persons_id_idx ON people.persons (id);\n"
    "-- +goose StatementEnd\n"
    "\n"
    "-- +goose Down\n"
    "DROP TABLE people.persons;\n";

// A valid two-module set: db (01001) and identity (02001, schema people).
struct module_tree {
  temp_dir dir;
  std::string root = dir.path().string();

  module_tree() {
    dir.write("modules.yaml", manifest);
    dir.write("db/migrations/01001_db_init.sql",
              "-- +goose Up\nCREATE SCHEMA db;\n-- +goose Down\nDROP SCHEMA db;\n");
    dir.write("identity/migrations/02001_identity_init.sql", table_migration);
  }

  run_result app(std::vector<std::string> args) const {
    args.insert(args.begin(), "migrate");
    args.push_back("--modules-dir");
    args.push_back(root);
    return run_app(args);
  }
};

// ---------------------------------------------------------------------------
// validate

TEST(validate, a_clean_set_prints_a_summary) {
  module_tree t;
  const auto r = t.app({"validate"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ok: 2 modules, 2 migrations (" + t.root + ")\n");
  EXPECT_EQ(r.err, "");
}

struct broken_set {
  const char* label;
  std::string file;           // relative to the root
  std::string content;        // written to `file`
  std::string expected_line;  // relative path, the root is prefixed; a regex
};

class validate_problems : public testing::TestWithParam<broken_set> {};

void PrintTo(const broken_set& c, std::ostream* os) { *os << c.label; }

TEST_P(validate_problems, prints_path_line_message_and_fails) {
  const auto& c = GetParam();
  module_tree t;
  t.dir.write(c.file, c.content);
  const auto r = t.app({"validate"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  const std::regex expected("^" + std::regex_replace(t.root, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                            "/" + c.expected_line + "\n");
  EXPECT_TRUE(std::regex_search(r.err, expected)) << r.err;
  EXPECT_NE(r.err.find("validate: 1 problem(s) in " + t.root + "\n"), std::string::npos) << r.err;
}

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    table, validate_problems,
    testing::Values(
        broken_set{"version_outside_namespace", "identity/migrations/03001_x.sql", table_migration,
                   R"(identity/migrations/03001_x\.sql: version 3001 is outside module 'identity'.*)"},
        broken_set{"unclosed_statement_block", "identity/migrations/02002_x.sql",
                   "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n",
                   R"(identity/migrations/02002_x\.sql:[0-9]+: .*)"},
        broken_set{"manifest_unknown_key", "modules.yaml", std::string(manifest) + "    owner: me\n",
                   R"(modules\.yaml:5: unknown key 'owner' in module entry 2.*)"},
        broken_set{"unlisted_folder", "billing/migrations/03001_x.sql", table_migration,
                   R"(billing: folder is not a module listed in .*)"},
        broken_set{"duplicate_version", "db/migrations/01001_zz.sql", table_migration,
                   R"(db/migrations/01001_zz\.sql: duplicate version 1001: .*)"},
        // depends_on in modules.yaml, each problem on the line of the name.
        broken_set{"dependency_on_a_later_module", "modules.yaml",
                   "modules:\n  - name: db\n    depends_on: [identity]\n  - name: identity\n    schema: people\n",
                   R"(modules\.yaml:3: module 'db' depends on 'identity', which comes later in .*)"},
        broken_set{"dependency_on_no_module", "modules.yaml", std::string(manifest) + "    depends_on: [dbs]\n",
                   R"(modules\.yaml:5: module 'identity' depends on 'dbs', which is not a module in .*\(did you mean 'db'\?\))"},
        // What the issue asks: a migration that uses a later module's table works
        // only where that table exists already; validate refuses it at file:line.
        broken_set{"reference_to_a_later_modules_table", "db/migrations/01002_x.sql",
                   "-- +goose Up\nCREATE TABLE db.audit (\n  person_id uuid REFERENCES people.persons (id)\n);\n"
                   "-- +goose Down\nDROP TABLE db.audit;\n",
                   R"(db/migrations/01002_x\.sql:3: column 29: references people\.persons of module 'identity', )"
                   R"(which comes after module 'db' in modules\.yaml: .* \(lint rule undeclared-dependency\))"},
        broken_set{"reference_to_an_undeclared_earlier_module", "identity/migrations/02002_x.sql",
                   "-- +goose Up\nSELECT db.new_id();\n",
                   R"(identity/migrations/02002_x\.sql:2: column 8: references db\.new_id\(\) of module 'db', which )"
                   R"(module 'identity' does not declare: add 'db' to its depends_on in modules\.yaml .*)"}),
    [](const testing::TestParamInfo<broken_set>& info) { return std::string(info.param.label); });
// clang-format on

TEST(validate, a_missing_directory_is_a_problem_not_a_crash) {
  temp_dir dir;
  const std::string missing = (dir.path() / "nowhere").string();
  const auto r = run_app({"migrate", "validate", "--modules-dir", missing});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(missing + ": cannot be read"), std::string::npos) << r.err;
}

TEST(validate, the_embedded_set_is_clean) {
  const auto r = run_app({"migrate", "validate"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(
      std::regex_match(r.out, std::regex(R"(ok: 7 modules, [0-9]+ migrations, 1 of them code, for each of PostgreSQL and SQLite \(embedded modules\)\n)")))
      << r.out;
  EXPECT_EQ(r.err, "");
}

TEST(validate, the_embedded_set_matches_the_source_tree) {
  const auto embedded = run_app({"migrate", "validate"});
  const auto source = run_app({"migrate", "validate", "--modules-dir", MIGRATOR_SOURCE_DIR "/modules"});
  ASSERT_EQ(source.code, 0) << source.err;
  // Same counts: a stale build would embed a different set than modules/ holds.
  EXPECT_EQ(embedded.out.substr(0, embedded.out.find('(')), source.out.substr(0, source.out.find('(')));
}

TEST(validate, a_declared_dependency_makes_the_reference_valid) {
  module_tree t;
  t.dir.write("modules.yaml", std::string(manifest) + "    depends_on: [db]\n");
  t.dir.write("identity/migrations/02002_x.sql", "-- +goose Up\nSELECT db.new_id();\n");
  const auto r = t.app({"validate"});
  EXPECT_EQ(r.code, 0) << r.err;
}

// The build embeds modules.yaml's text as it is: the embedded set and the
// directory it came from read the same dependencies.
TEST(validate, the_embedded_set_and_the_source_tree_declare_the_same_dependencies) {
  const auto embedded = migrator::assemble_embedded();
  const auto source = migrator::assemble(migrator::make_directory_source(MIGRATOR_SOURCE_DIR "/modules")->load(),
                                         [](const std::string&) { return std::string("x"); });
  ASSERT_TRUE(embedded.ok());
  ASSERT_TRUE(source.ok());
  ASSERT_EQ(embedded.set.modules.size(), source.set.modules.size());
  for (std::size_t i = 0; i < source.set.modules.size(); ++i)
    EXPECT_EQ(embedded.set.modules[i].depends_on, source.set.modules[i].depends_on) << source.set.modules[i].name;
  EXPECT_EQ(source.set.modules[4].name, "entitlements");
  EXPECT_EQ(source.set.modules[4].depends_on,
            (std::vector<std::string>{"db", "identity", "organization", "billing"}));
}

// ---------------------------------------------------------------------------
// create

TEST(create, writes_the_next_version_with_a_template) {
  module_tree t;
  const auto r = t.app({"create", "identity", "add_locale"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string path = t.root + "/identity/migrations/02002_add_locale.sql";
  EXPECT_EQ(r.out, path + "\n");
  EXPECT_EQ(r.err, "");
  const std::string text = read_file(path);
  for (const char* part : {"-- +goose Up\n-- +goose StatementBegin\n", "-- +goose StatementEnd\n",
                           "-- +goose Down\n-- +goose StatementBegin\n", "people.<table>"})
    EXPECT_NE(text.find(part), std::string::npos) << part << " missing from:\n" << text;
  EXPECT_LT(text.find("-- +goose Up"), text.find("-- +goose Down"));

  // The new file is a valid migration, and the next one follows it.
  const auto v = t.app({"validate"});
  EXPECT_EQ(v.code, 0) << v.err;
  EXPECT_EQ(v.out, "ok: 2 modules, 3 migrations (" + t.root + ")\n");
  const auto again = t.app({"create", "identity", "add_locale_index"});
  EXPECT_EQ(again.out, t.root + "/identity/migrations/02003_add_locale_index.sql\n") << again.err;
}

TEST(create, contract_writes_the_annotation_where_the_assembler_reads_it) {
  module_tree t;
  const auto r = t.app({"create", "identity", "drop_legacy_name", "--contract"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string text = read_file(t.root + "/identity/migrations/02002_drop_legacy_name.sql");
  EXPECT_LT(text.find("-- +migrator contract\n"), text.find("-- +goose Up")) << text;
  const auto header = migrator::read_migrator_header(text, "02002_drop_legacy_name.sql");
  ASSERT_TRUE(header.contract.has_value()) << text;
  EXPECT_EQ(t.app({"validate"}).code, 0);
  // Without the flag: no annotation.
  const auto plain = t.app({"create", "identity", "add_locale"});
  ASSERT_EQ(plain.code, 0) << plain.err;
  EXPECT_EQ(read_file(t.root + "/identity/migrations/02003_add_locale.sql").find("+migrator"), std::string::npos);
}

TEST(create, first_migration_of_a_new_module_starts_its_namespace) {
  module_tree t;
  t.dir.write("modules.yaml", std::string(manifest) + "  - name: billing\n");
  const auto r = t.app({"create", "billing", "billing_init"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, t.root + "/billing/migrations/03001_billing_init.sql\n");
  EXPECT_TRUE(fs::is_regular_file(t.root + "/billing/migrations/03001_billing_init.sql"));
  EXPECT_EQ(t.app({"validate"}).code, 0);
}

TEST(create, follows_gaps_and_ignores_files_outside_the_namespace) {
  module_tree t;
  t.dir.write("identity/migrations/02007_later.sql", table_migration);
  t.dir.write("identity/migrations/03005_misplaced.sql", table_migration);
  const auto r = t.app({"create", "identity", "next"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, t.root + "/identity/migrations/02008_next.sql\n");
  // The set already had a problem (03005): create still writes, and says so.
  EXPECT_NE(r.err.find("warning: " + t.root + " has 1 problem(s)"), std::string::npos) << r.err;
}

struct refusal {
  const char* label;
  std::vector<std::string> args;  // after "migrate create"
  int code;
  std::string message_part;
};

void PrintTo(const refusal& c, std::ostream* os) { *os << c.label; }

class create_refusals : public testing::TestWithParam<refusal> {};

TEST_P(create_refusals, write_nothing) {
  const auto& c = GetParam();
  module_tree t;
  t.dir.write("identity/migrations/02999_last.sql", table_migration);  // identity is full
  std::vector<std::string> args{"create"};
  args.insert(args.end(), c.args.begin(), c.args.end());
  const auto r = t.app(args);
  EXPECT_EQ(r.code, c.code) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(c.message_part), std::string::npos) << r.err;
  std::size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(t.dir.path()))
    if (e.is_regular_file()) ++files;
  EXPECT_EQ(files, 4u) << "a refused create wrote a file";
}

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    table, create_refusals,
    testing::Values(
        refusal{"unknown_module", {"billing", "init"}, 2, "unknown module 'billing'; the modules are: db identity"},
        refusal{"upper_case_title", {"db", "AddThing"}, 2, "title 'AddThing' may contain only"},
        refusal{"dash_in_title", {"db", "add-thing"}, 2, "may contain only lower-case letters"},
        refusal{"space_in_title", {"db", "add thing"}, 2, "may contain only"},
        refusal{"dot_in_title", {"db", "../x"}, 2, "may contain only"},
        refusal{"empty_title", {"db", ""}, 2, "may contain only"},
        refusal{"missing_title", {"db"}, 2, "MODULE and TITLE are required"},
        refusal{"missing_both", {}, 2, "MODULE and TITLE are required"},
        refusal{"extra_argument", {"db", "a", "b"}, 2, "usage: app migrate create"},
        refusal{"full_namespace", {"identity", "one_more"}, 1,
                "module 'identity' has used its whole namespace 2001..2999"}),
    [](const testing::TestParamInfo<refusal>& info) { return std::string(info.param.label); });
// clang-format on

TEST(create, never_overwrites) {
  module_tree t;
  // A dangling link where the next file would go: the source cannot read it, so
  // the next version is 02002, and create must still not write through it.
  const fs::path link = t.dir.path() / "identity/migrations/02002_add_locale.sql";
  const fs::path aim = t.dir.path() / "elsewhere.sql";
  fs::create_symlink(aim, link);
  const auto r = t.app({"create", "identity", "add_locale"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("already exists (not overwritten)"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(aim));
  EXPECT_TRUE(fs::is_symlink(link));
}

TEST(create, a_directory_without_a_manifest_is_refused) {
  temp_dir dir;
  const auto r = run_app({"migrate", "create", "db", "x", "--modules-dir", dir.path().string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no modules.yaml in " + dir.path().string()), std::string::npos) << r.err;
}

// Without --modules-dir, create writes into ./modules (the source tree), not into
// the embedded set.
class in_directory {
 public:
  explicit in_directory(const fs::path& dir) : previous_(fs::current_path()) { fs::current_path(dir); }
  ~in_directory() { fs::current_path(previous_); }

 private:
  fs::path previous_;
};

TEST(create, defaults_to_the_modules_folder_of_the_working_directory) {
  temp_dir dir;
  dir.write("modules/modules.yaml", manifest);
  dir.write("modules/identity/migrations/02001_identity_init.sql", table_migration);
  run_result r;
  {
    in_directory here(dir.path());
    r = run_app({"migrate", "create", "identity", "add_locale"});
  }
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "modules/identity/migrations/02002_add_locale.sql\n");
  EXPECT_TRUE(fs::is_regular_file(dir.path() / "modules/identity/migrations/02002_add_locale.sql"));
}

TEST(create, without_modules_folder_says_where_it_looked) {
  temp_dir dir;
  run_result r;
  {
    in_directory here(dir.path());
    r = run_app({"migrate", "create", "identity", "add_locale"});
  }
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no modules.yaml in modules (without --modules-dir, create writes into ./modules"),
            std::string::npos)
      << r.err;
}

// ---------------------------------------------------------------------------
// create-module

TEST(create_module, appends_the_entry_with_its_dependencies_and_creates_the_folder) {
  module_tree t;
  const auto r = t.app({"create-module", "billing", "--depends-on", "db, identity"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_file(t.dir.path() / "modules.yaml"),
            std::string(manifest) + "  - name: billing\n    depends_on: [db, identity]\n");
  EXPECT_TRUE(fs::is_directory(t.dir.path() / "billing" / "migrations"));
  EXPECT_NE(r.out.find("module 'billing' at position 3 (versions 3001..3999), depends_on: [db, identity]"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("next: app migrate create billing billing_init"), std::string::npos) << r.out;
  // The set stays valid, and create writes the new module's first migration.
  EXPECT_EQ(t.app({"validate"}).code, 0);
  const auto first = t.app({"create", "billing", "billing_init"});
  EXPECT_EQ(first.code, 0) << first.err;
  EXPECT_NE(first.out.find("billing/migrations/03001_billing_init.sql"), std::string::npos) << first.out;
}

TEST(create_module, without_dependencies_writes_no_depends_on) {
  module_tree t;
  ASSERT_EQ(t.app({"create-module", "audit"}).code, 0);
  EXPECT_EQ(read_file(t.dir.path() / "modules.yaml"), std::string(manifest) + "  - name: audit\n");
}

struct create_module_refusal {
  const char* label;
  std::vector<std::string> args;
  std::string message;  // a part of stderr
};

void PrintTo(const create_module_refusal& c, std::ostream* os) { *os << c.label; }

class create_module_refusals : public testing::TestWithParam<create_module_refusal> {};

TEST_P(create_module_refusals, write_nothing_and_say_why) {
  const auto& c = GetParam();
  module_tree t;
  const auto r = t.app(c.args);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  EXPECT_EQ(read_file(t.dir.path() / "modules.yaml"), manifest);
}

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    table, create_module_refusals,
    testing::Values(
        create_module_refusal{"unknown_dependency", {"create-module", "billing", "--depends-on", "db,identiy"},
                              "modules.yaml:6: module 'billing' depends on 'identiy', which is not a module in"},
        create_module_refusal{"itself", {"create-module", "billing", "--depends-on", "billing"},
                              "module 'billing' depends on itself"},
        create_module_refusal{"twice", {"create-module", "billing", "--depends-on", "db,db"},
                              "module 'billing' lists 'db' twice in depends_on"},
        create_module_refusal{"already_listed", {"create-module", "identity"},
                              "module 'identity' is already listed in"},
        create_module_refusal{"bad_name", {"create-module", "Billing"},
                              "module name 'Billing' must start with a lower-case letter"},
        create_module_refusal{"no_name", {"create-module"}, "NAME is required"}),
    [](const testing::TestParamInfo<create_module_refusal>& info) { return std::string(info.param.label); });
// clang-format on

// ---------------------------------------------------------------------------
// schemas

TEST(schemas, one_create_schema_per_module_in_order) {
  module_tree t;
  t.dir.write("modules.yaml", std::string(manifest) + "  - name: billing\n");
  t.dir.write("billing/migrations/.keep", "");
  const auto r = t.app({"schemas"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("-- Generated by `app migrate schemas`", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("sqlc"), std::string::npos);
  EXPECT_NE(r.out.find("Not a migration"), std::string::npos);
  const std::string body = r.out.substr(r.out.find("\nCREATE") + 1);
  EXPECT_EQ(body,
            "CREATE SCHEMA IF NOT EXISTS db;\n"
            "CREATE SCHEMA IF NOT EXISTS people;\n"
            "CREATE SCHEMA IF NOT EXISTS billing;\n");
  // Everything before the statements is comment.
  const std::string head = r.out.substr(0, r.out.find("\nCREATE") + 1);
  for (std::size_t at = 0; at < head.size(); at = head.find('\n', at) + 1)
    EXPECT_EQ(head.compare(at, 2, "--"), 0);
}

TEST(schemas, refuses_a_broken_set) {
  module_tree t;
  t.dir.write("modules.yaml", "modules: db\n");
  const auto r = t.app({"schemas"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(t.root + "/modules.yaml:1: 'modules' must be a list"), std::string::npos) << r.err;
}

TEST(schemas, committed_sqlc_schemas_file_is_current) {
  const auto r = run_app({"migrate", "schemas"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_file(MIGRATOR_SOURCE_DIR "/sqlc_schemas.sql"), r.out)
      << "sqlc_schemas.sql is stale: run `app migrate schemas > sqlc_schemas.sql` at the repository root";
}

TEST(migrate_help, lists_the_module_commands) {
  const auto r = run_app({"migrate", "--help"});
  EXPECT_EQ(r.code, 0);
  for (const char* name : {"\n  validate ", "\n  create ", "\n  create-module ", "\n  schemas "})
    EXPECT_NE(r.out.find(name), std::string::npos) << name << " missing from:\n" << r.out;
}

}  // namespace
