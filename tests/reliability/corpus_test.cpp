// Files written by tired people: a corpus of malformed migration files and
// module layouts (every error of the parser and of the module set, plus a
// 0-byte file, a binary file, a 200 MB file, a file name with spaces, symlink
// loops, a manifest that is not YAML, folders without read permission).
// Each case is the valid base set plus one mistake, generated in code. For each:
//  - `app migrate up` exits 1 with "path:line: message" naming the file, the
//    line (when there is one) and what is wrong, and says nothing was changed;
//  - the database (which already holds the base set) is untouched: history and
//    pg_dump --schema-only are the same before and after;
//  - `app migrate validate` exits non-zero with the same line.
// The permission cases run as `nobody` when this process is root; when it cannot
// drop privileges there, that is a failure: a skipped case would prove nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>

#include "reliability.h"

using namespace reliability;
using testing_support::migration_text;
using testing_support::test_database;

namespace fs = std::filesystem;

namespace {

struct corpus_case {
  corpus_case(std::string name, std::function<void(const temp_dir&)> mistake, std::string where, int line,
              std::string fragment, bool unprivileged = false, std::string modules_dir = "")
      : name(std::move(name)),
        mistake(std::move(mistake)),
        where(std::move(where)),
        line(line),
        fragment(std::move(fragment)),
        unprivileged(unprivileged),
        modules_dir(std::move(modules_dir)) {}
  std::string name;
  std::function<void(const temp_dir&)> mistake;  // applied on top of the base set
  std::string where;                              // reported path, relative to the modules dir ("" = the dir itself)
  int line;                                       // 0: a problem of the whole file
  std::string fragment;                           // part of the message
  bool unprivileged;                              // run as `nobody` so that permissions apply (when root)
  std::string modules_dir;                        // --modules-dir, relative to the case dir ("" = the case dir)
};

const char* const base_core_1 = "01001_core_init.sql";
const char* const base_core_2 = "01002_core_more.sql";
const char* const base_shop_1 = "02001_shop_init.sql";

void write_base(const temp_dir& d) {
  testing_support::write_module_set(
      d, {{"core",
           {{base_core_1, migration_text("CREATE SCHEMA core;\nCREATE TABLE core.a (id int);", "DROP SCHEMA core CASCADE;")},
            {base_core_2, migration_text("CREATE TABLE core.b (id int);", "DROP TABLE core.b;")}}},
          {"shop", {{base_shop_1, migration_text("CREATE SCHEMA shop;\nCREATE TABLE shop.c (id int);", "DROP SCHEMA shop CASCADE;")}}}});
}

void write_manifest(const temp_dir& d, const std::string& text) { d.write("modules.yaml", text); }

// A bad migration file in module core.
std::function<void(const temp_dir&)> bad_file(const std::string& text, const std::string& name = "01003_bad.sql") {
  return [=](const temp_dir& d) { d.write("core/migrations/" + name, text); };
}

void make_symlink(const fs::path& target, const fs::path& link) { fs::create_symlink(target, link); }

// 200 MB: comment lines (dropped by the parser, but every byte is read and
// scanned), then a statement that never ends.
constexpr std::size_t huge_lines = 2'600'000;
void write_huge(const temp_dir& d) {
  std::ofstream f(d.path() / "core/migrations/01003_huge.sql", std::ios::binary);
  f << "-- +goose Up\n";
  const std::string line = "-- " + std::string(76, 'x') + "\n";
  std::string block;
  for (int i = 0; i < 1000; ++i) block += line;
  for (std::size_t i = 0; i < huge_lines / 1000; ++i) f << block;
  f << "CREATE TABLE never_terminated (id int)\n";
}

std::vector<corpus_case> corpus() {
  const std::string bad = "core/migrations/01003_bad.sql";
  std::vector<corpus_case> c = {
      // ---- the parser -------------------------------------------------------
      {"sql_before_up", bad_file("CREATE TABLE x (id int);\n"), bad, 1, "SQL before \"-- +goose Up\""},
      {"zero_byte_file", bad_file(""), bad, 1, "no \"-- +goose Up\" annotation"},
      {"only_comments", bad_file("-- a migration, one day\n\n"), bad, 1, "no \"-- +goose Up\" annotation"},
      {"down_before_up", bad_file("-- +goose Down\nDROP TABLE x;\n"), bad, 1, "\"-- +goose Down\" before \"-- +goose Up\""},
      {"second_up", bad_file("-- +goose Up\nSELECT 1;\n-- +goose Up\nSELECT 2;\n"), bad, 3,
       "second \"-- +goose Up\" (the first is on line 1)"},
      {"second_down", bad_file("-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n-- +goose Down\nSELECT 3;\n"), bad, 5,
       "second \"-- +goose Down\" (the first is on line 3)"},
      {"statement_begin_never_closed",
       bad_file("-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';\n"), bad,
       2, "StatementBegin is never closed"},
      {"statement_end_without_begin", bad_file("-- +goose Up\nSELECT 1;\n-- +goose StatementEnd\n"), bad, 3,
       "StatementEnd without a StatementBegin"},
      {"nested_statement_begin",
       bad_file("-- +goose Up\n-- +goose StatementBegin\n-- +goose StatementBegin\nSELECT 1;\n-- +goose StatementEnd\n"), bad,
       3, "StatementBegin inside the block opened on line 2"},
      {"statement_begin_before_up", bad_file("-- +goose StatementBegin\nSELECT 1;\n-- +goose StatementEnd\n"), bad, 1,
       "StatementBegin before \"-- +goose Up\""},
      {"down_inside_block", bad_file("-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n-- +goose Down\nSELECT 2;\n"), bad, 4,
       "\"-- +goose Down\" inside the StatementBegin block opened on line 2"},
      {"unknown_annotation", bad_file("-- +goose Upp\nSELECT 1;\n"), bad, 1, "unknown annotation \"Upp\""},
      {"empty_annotation", bad_file("-- +goose\nSELECT 1;\n"), bad, 1, "empty annotation \"-- +goose\""},
      {"indented_annotation", bad_file("  -- +goose Up\nSELECT 1;\n"), bad, 1, "annotation must start at the beginning of the line"},
      {"two_annotations_on_one_line", bad_file("-- +goose Up -- +goose Down\nSELECT 1;\n"), bad, 1,
       "two \"+goose\" annotations on one line"},
      {"unterminated_at_end_of_file", bad_file("-- +goose Up\nCREATE TABLE x (id int)\n"), bad, 2,
       "is not terminated before the end of the file"},
      {"unterminated_before_down", bad_file("-- +goose Up\nCREATE TABLE x (id int)\n-- +goose Down\nDROP TABLE x;\n"), bad, 2,
       "is not terminated before \"-- +goose Down\" on line 3"},
      {"unterminated_in_down", bad_file("-- +goose Up\nCREATE TABLE x (id int);\n-- +goose Down\nDROP TABLE x\n"), bad, 4,
       "is not terminated before the end of the file"},
      {"unclosed_string", bad_file("-- +goose Up\nINSERT INTO t VALUES ('it;\n"), bad, 2, "a string opened on line 2 is never closed"},
      {"unclosed_dollar_body", bad_file("-- +goose Up\nDO $body$ BEGIN\n  PERFORM 1;\nEND;\n"), bad, 2,
       "the dollar-quoted body $body$ opened on line 2 is never closed"},
      {"unclosed_quoted_identifier", bad_file("-- +goose Up\nCREATE TABLE \"odd;\n"), bad, 2,
       "a double-quoted identifier opened on line 2 is never closed"},
      {"unclosed_block_comment", bad_file("-- +goose Up\nSELECT 1 /* note;\n"), bad, 2, "a /* comment opened on line 2 is never closed"},
      {"binary_file", bad_file(std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0", 20) + std::string(4000, '\xff')), bad, 1,
       "invalid UTF-8 at column 1"},
      {"nul_byte", bad_file(std::string("-- +goose Up\nSELECT 1;\0\n", 24)), bad, 2, "NUL byte at column 10"},
      {"latin1_text", bad_file("-- +goose Up\nINSERT INTO t VALUES ('caf\xe9');\n"), bad, 2, "invalid UTF-8 at column"},
      {"bom_then_sql", bad_file("\xEF\xBB\xBFSELECT 1;\n-- +goose Up\n"), bad, 1, "SQL before \"-- +goose Up\""},
      {"envsub_required_variable_unset",
       bad_file("-- +goose Up\n-- +goose ENVSUB ON\nCREATE TABLE ${RELIABILITY_NEVER_SET?must be set} (id int);\n"), bad, 3,
       "RELIABILITY_NEVER_SET: must be set"},
      {"envsub_unclosed_brace", bad_file("-- +goose Up\n-- +goose ENVSUB ON\nSELECT 1; -- ${RELIABILITY_NEVER_SET\n"), bad, 3,
       "\"${RELIABILITY_NEVER_SET\" is never closed (add \"}\")"},
      {"envsub_bad_operator", bad_file("-- +goose Up\n-- +goose ENVSUB ON\nCREATE TABLE ${RELIABILITY_NEVER_SET (id int);\n"),
       bad, 3, "unexpected \" \" after \"${RELIABILITY_NEVER_SET\""},
      {"file_200_mb", write_huge, "core/migrations/01003_huge.sql", static_cast<int>(huge_lines) + 2,
       "is not terminated before the end of the file"},
      {"file_name_with_spaces", bad_file("-- +goose Up\nCREATE TABLE spaced (id int)\n", "01003_add spaced table.sql"),
       "core/migrations/01003_add spaced table.sql", 2, "is not terminated"},
      // ---- file names and versions --------------------------------------------
      {"no_version_prefix", bad_file(migration_text("SELECT 1;"), "add_index.sql"), "core/migrations/add_index.sql", 0,
       "has no numeric version prefix"},
      {"version_zero", bad_file(migration_text("SELECT 1;"), "0_init.sql"), "core/migrations/0_init.sql", 0,
       "has no numeric version prefix"},
      {"version_overflow", bad_file(migration_text("SELECT 1;"), "99999999999999999999_x.sql"),
       "core/migrations/99999999999999999999_x.sql", 0, "has no numeric version prefix"},
      {"version_in_another_modules_namespace", bad_file(migration_text("SELECT 1;"), "02005_x.sql"), "core/migrations/02005_x.sql",
       0, "version 2005 is outside module 'core''s namespace 1001..1999; it is in module 'shop'"},
      {"version_in_no_namespace", bad_file(migration_text("SELECT 1;"), "09001_x.sql"), "core/migrations/09001_x.sql", 0,
       "it is in no module's namespace"},
      {"duplicate_version", bad_file(migration_text("SELECT 1;"), "01002_again.sql"),
       std::string("core/migrations/") + base_core_2, 0, "duplicate version 1002"},
      // ---- the manifest ---------------------------------------------------------
      {"no_manifest", [](const temp_dir& d) { fs::remove(d.path() / "modules.yaml"); }, "modules.yaml", 0, "not found"},
      {"manifest_not_yaml", [](const temp_dir& d) { write_manifest(d, "modules: [core\n  - name: shop\n"); }, "modules.yaml", 2,
       "is not valid YAML"},
      {"manifest_with_tab_indentation", [](const temp_dir& d) { write_manifest(d, "modules:\n\t- name: core\n"); }, "modules.yaml",
       2, "is not valid YAML"},
      {"manifest_zero_bytes", [](const temp_dir& d) { write_manifest(d, ""); }, "modules.yaml", 1, "is empty"},
      {"manifest_two_documents",
       [](const temp_dir& d) { write_manifest(d, "modules:\n  - name: core\n  - name: shop\n---\nmodules: []\n"); }, "modules.yaml",
       5, "holds more than one YAML document"},
      {"manifest_is_a_list", [](const temp_dir& d) { write_manifest(d, "- name: core\n- name: shop\n"); }, "modules.yaml", 1,
       "expected a mapping with a 'modules:' list"},
      {"manifest_unknown_top_key",
       [](const temp_dir& d) { write_manifest(d, "modules:\n  - name: core\n  - name: shop\nmodule_order: []\n"); },
       "modules.yaml", 4, "unknown key 'module_order'"},
      {"manifest_modules_not_a_list", [](const temp_dir& d) { write_manifest(d, "modules: core\n"); }, "modules.yaml", 1,
       "'modules' must be a list"},
      {"manifest_entry_not_a_mapping", [](const temp_dir& d) { write_manifest(d, "modules:\n  - core\n  - name: shop\n"); },
       "modules.yaml", 2, "module entry 1 must be a mapping"},
      {"manifest_entry_without_name",
       [](const temp_dir& d) { write_manifest(d, "modules:\n  - schema: core\n  - name: shop\n"); }, "modules.yaml", 2,
       "module entry 1 has no 'name'"},
      {"manifest_name_not_a_string",
       [](const temp_dir& d) { write_manifest(d, "modules:\n  - name: [core]\n  - name: shop\n"); }, "modules.yaml", 2,
       "'name' must be a string"},
      {"module_name_upper_case", [](const temp_dir& d) { write_manifest(d, "modules:\n  - name: Core\n  - name: shop\n"); },
       "modules.yaml", 2, "module name 'Core' must start with a lower-case letter"},
      {"module_name_reserved_word",
       [](const temp_dir& d) {
         write_manifest(d, "modules:\n  - name: core\n  - name: shop\n  - name: select\n");
         fs::create_directories(d.path() / "select/migrations");
       },
       "modules.yaml", 4, "is a reserved word"},
      {"module_name_too_long",
       [](const temp_dir& d) { write_manifest(d, "modules:\n  - name: core\n  - name: shop\n  - name: " + std::string(64, 'm') + "\n"); },
       "modules.yaml", 4, "is longer than 63 bytes"},
      {"module_listed_twice",
       [](const temp_dir& d) { write_manifest(d, "modules:\n  - name: core\n  - name: shop\n  - name: core\n"); }, "modules.yaml",
       4, "module 'core' is listed twice (first at line 2)"},
      {"schema_owned_twice",
       [](const temp_dir& d) { write_manifest(d, "modules:\n  - name: core\n  - name: shop\n    schema: core\n"); },
       "modules.yaml", 3, "schema 'core' of module 'shop' is already owned by module 'core'"},
      {"schema_pg_prefix",
       [](const temp_dir& d) { write_manifest(d, "modules:\n  - name: core\n  - name: shop\n    schema: pg_shop\n"); },
       "modules.yaml", 4, "starts with 'pg_'"},
      {"module_pg_prefix_without_schema",
       [](const temp_dir& d) {
         write_manifest(d, "modules:\n  - name: core\n  - name: shop\n  - name: pg_stats\n");
         fs::create_directories(d.path() / "pg_stats/migrations");
       },
       "modules.yaml", 4, "needs a 'schema:'"},
      {"manifest_unknown_entry_key",
       [](const temp_dir& d) { write_manifest(d, "modules:\n  - name: core\n  - name: shop\n    owner: sales\n"); },
       "modules.yaml", 4, "unknown key 'owner' in module entry 2"},
      {"module_past_the_last_namespace",
       [](const temp_dir& d) {
         std::string m = "modules:\n  - name: core\n  - name: shop\n";
         for (int i = 3; i <= 1000; ++i) {
           m += "  - name: m" + std::to_string(i) + "\n";
           fs::create_directories(d.path() / ("m" + std::to_string(i)) / "migrations");
         }
         write_manifest(d, m);
       },
       "modules.yaml", 1001, "module 'm1000' is at position 1000, past the last namespace"},
      // ---- folders ----------------------------------------------------------------
      {"listed_module_without_folder",
       [](const temp_dir& d) { write_manifest(d, "modules:\n  - name: core\n  - name: shop\n  - name: billing\n"); },
       "modules.yaml", 4, "module 'billing' has no folder"},
      {"module_without_migrations_dir",
       [](const temp_dir& d) {
         write_manifest(d, "modules:\n  - name: core\n  - name: shop\n  - name: billing\n");
         fs::create_directories(d.path() / "billing");
       },
       "modules.yaml", 4, "has no migrations directory"},
      {"folder_not_in_manifest", [](const temp_dir& d) { d.write("reports/migrations/03001_r.sql", migration_text("SELECT 1;")); },
       "reports", 0, "folder is not a module listed in"},
      {"migrations_is_a_file",
       [](const temp_dir& d) {
         fs::remove_all(d.path() / "shop/migrations");
         d.write("shop/migrations", "not a folder\n");
       },
       "shop/migrations", 0, "is not a directory"},
      {"sql_name_on_a_directory", [](const temp_dir& d) { fs::create_directories(d.path() / "core/migrations/01003_dir.sql"); },
       "core/migrations/01003_dir.sql", 0, "is not a regular file"},
      {"dangling_symlink", [](const temp_dir& d) { make_symlink("nowhere.sql", d.path() / "core/migrations/01003_link.sql"); },
       "core/migrations/01003_link.sql", 0, "cannot be read"},
      {"symlink_loop_as_module_folder", [](const temp_dir& d) { make_symlink("loop", d.path() / "loop"); }, "loop", 0,
       "Too many levels of symbolic links"},
      {"symlink_loop_as_migrations_dir",
       [](const temp_dir& d) {
         fs::remove_all(d.path() / "shop/migrations");
         make_symlink("migrations", d.path() / "shop/migrations");
       },
       "shop/migrations", 0, "Too many levels of symbolic links"},
      {"symlink_loop_as_migration_file",
       [](const temp_dir& d) { make_symlink("01003_loop.sql", d.path() / "core/migrations/01003_loop.sql"); },
       "core/migrations/01003_loop.sql", 0, "Too many levels of symbolic links"},
      {"manifest_is_a_directory",
       [](const temp_dir& d) {
         fs::remove(d.path() / "modules.yaml");
         fs::create_directories(d.path() / "modules.yaml");
       },
       "modules.yaml", 0, "is not a regular file"},
      {"modules_dir_missing", [](const temp_dir&) {}, "does-not-exist", 0, "cannot be read", false, "does-not-exist"},
      {"modules_dir_is_a_file", [](const temp_dir& d) { d.write("plain-file", "x\n"); }, "plain-file", 0, "is not a directory",
       false, "plain-file"},
      // ---- permissions (as an unprivileged user when root) -------------------------
      {"module_folder_without_read_permission", [](const temp_dir& d) { fs::permissions(d.path() / "shop", fs::perms::none); },
       "shop/migrations", 0, "Permission denied", true},
      {"migrations_dir_without_read_permission",
       [](const temp_dir& d) { fs::permissions(d.path() / "shop/migrations", fs::perms::owner_write | fs::perms::others_exec); },
       "shop/migrations", 0, "Permission denied", true},
      {"migration_file_without_read_permission",
       [](const temp_dir& d) { fs::permissions(d.path() / "core/migrations" / base_core_2, fs::perms::none); },
       std::string("core/migrations/") + base_core_2, 0, "Permission denied", true},
      {"manifest_without_read_permission",
       [](const temp_dir& d) { fs::permissions(d.path() / "modules.yaml", fs::perms::none); }, "modules.yaml", 0,
       "Permission denied", true},
  };
  return c;
}

// Whether some line of `err` is "<location>: ...<fragment>...".
bool reports(const std::string& err, const std::string& location, const std::string& fragment) {
  std::istringstream lines(err);
  std::string line;
  while (std::getline(lines, line)) {
    const auto start = line.find_first_not_of(' ');
    if (start == std::string::npos) continue;
    const std::string text = line.substr(start);
    const std::string prefix = text.rfind("error: ", 0) == 0 ? text.substr(7) : text;
    if (prefix.rfind(location + ": ", 0) == 0 && prefix.find(fragment) != std::string::npos) return true;
  }
  return false;
}


TEST(reliability_corpus, every_malformed_input_is_refused_with_its_location_and_the_database_is_untouched) {
  ensure_secret_role(testing_support::admin_dsn());
  test_database db;
  const std::string secret = secret_dsn(db.dsn(), 0);
  // The database already holds state: the base set, applied.
  {
    temp_dir base;
    write_base(base);
    auto r = migrate(secret, base.path().string(), {"up"});
    ASSERT_EQ(r.code, 0) << r.err;
  }
  const std::string schema_before = schema_dump(db.dsn());
  const std::string history_before = history(db.dsn());
  ASSERT_NE(history_before, "");

  // validate is part of the binary: its absence fails the test rather than dropping that half.
  {
    auto help = testing_support::run_app_process({"migrate", "validate", "--help"});
    ASSERT_EQ(help.code, 0) << "app migrate validate --help:\n" << help.out << help.err;
  }
  const bool root = geteuid() == 0;

  int cases = 0, refused = 0, validated = 0, unprivileged = 0;
  double huge_s = 0;
  std::uintmax_t input_bytes = 0, largest = 0;
  const auto all = corpus();
  const auto permission_cases = std::count_if(all.begin(), all.end(), [](const corpus_case& k) { return k.unprivileged; });
  ASSERT_GT(permission_cases, 0);
  for (const auto& k : all) {
    SCOPED_TRACE("case " + k.name);
    temp_dir d;
    write_base(d);
    k.mistake(d);
    const std::string root_dir = d.path().string();
    const std::string dir = k.modules_dir.empty() ? root_dir : root_dir + "/" + k.modules_dir;
    const std::string location =
        (k.where.empty() ? root_dir : root_dir + "/" + k.where) + (k.line > 0 ? ":" + std::to_string(k.line) : "");
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(d.path(), fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      std::error_code size_ec;
      if (it->is_regular_file(size_ec)) {
        auto size = it->file_size(size_ec);
        if (!size_ec) input_bytes += size, largest = std::max(largest, size);
      }
    }
    ++cases;

    std::vector<std::string> up{"migrate", "up", "--dsn", secret, "--modules-dir", dir};
    run_result r;
    const auto start = std::chrono::steady_clock::now();
    if (k.unprivileged) {
      // `nobody` must reach the case directory; the mistake is the one unreadable part.
      fs::permissions(d.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                    fs::perms::others_read | fs::perms::others_exec);
      r = cli_unprivileged(up);
      // 121/122: the child could not become `nobody` or exec the app as it (cli_unprivileged).
      ASSERT_NE(r.code, 121) << "case " << k.name << ": could not drop privileges to nobody";
      ASSERT_NE(r.code, 122) << "case " << k.name << ": nobody could not execute " << MIGRATOR_APP_BINARY
                             << " (every folder on its path must be searchable by others)";
      ++unprivileged;
      if (!root) std::cout << "note: case " << k.name << " runs as this (non-root) user" << std::endl;
    } else {
      r = cli(up);
    }
    if (k.name == "file_200_mb") huge_s = seconds_since(start);
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_TRUE(reports(r.err, location, k.fragment))
        << "expected a line \"" << location << ": ..." << k.fragment << "...\" in:\n" << r.err.substr(0, 4000);
    EXPECT_NE(r.err.find("nothing was changed"), std::string::npos) << r.err.substr(0, 4000);
    if (r.code == 1) ++refused;

    {
      std::vector<std::string> v{"migrate", "validate", "--modules-dir", dir};
      auto checked = k.unprivileged ? cli_unprivileged(v) : cli(v);
      EXPECT_NE(checked.code, 0) << checked.out << checked.err;
      EXPECT_LT(checked.code, 120) << checked.err;  // 120-122: cli_unprivileged's own failures; >= 128: a signal
      EXPECT_TRUE(reports(checked.err, location, k.fragment)) << checked.err.substr(0, 4000);
      ++validated;
    }

    EXPECT_EQ(first_difference(history_before, history(db.dsn())), "") << "the history changed";
    EXPECT_EQ(first_difference(schema_before, schema_dump(db.dsn())), "") << "the schema changed";
  }
  EXPECT_GE(cases, 40);
  EXPECT_EQ(validated, cases);
  // Every permission case (unreadable folders and files) ran, as nobody when root.
  EXPECT_EQ(unprivileged, permission_cases);
  report("corpus", {{"cases", std::to_string(cases)},
                    {"refused_with_exit_1", std::to_string(refused)},
                    {"validate_checked", std::to_string(validated)},
                    {"run_as_nobody", std::to_string(unprivileged)},
                    {"skipped", "0"},  // none can be: a case that cannot run fails the test
                    {"input_bytes", std::to_string(input_bytes)},
                    {"largest_file_bytes", std::to_string(largest)},
                    {"file_200_mb_s", std::to_string(huge_s)}});
}

}  // namespace
