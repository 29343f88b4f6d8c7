// `app migrate inspect`: the parser's corpus (tests/testdata/parser) through the
// CLI (--json prints exactly each accepted file's expected JSON), the text
// listing, and failures (exit 1, nothing on stdout, the message on stderr).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "golden_files.h"
#include "test_support.h"

namespace {

namespace fs = std::filesystem;
using testing_support::golden_cases;
using testing_support::run_app;

const fs::path corpus = fs::path(MIGRATOR_TESTDATA_DIR) / "parser";

// The corpus's environment (tests/unit/parser_corpus_test.cpp); inspect reads
// the process environment.
void set_corpus_env() {
  ::setenv("CORPUS_SCHEMA", "billing", 1);
  ::setenv("CORPUS_ROLE", "billing_writer", 1);
  ::setenv("CORPUS_EMPTY", "", 1);
  ::unsetenv("CORPUS_UNSET");
}

nlohmann::json inspect_json(const fs::path& file) {
  const auto r = run_app({"migrate", "inspect", file.string(), "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  return nlohmann::json::parse(r.out);  // throws unless stdout is exactly one JSON value
}

// accepted/NAME.json is inspect's output byte for byte (it is how the file was
// first written; the README says how it is reviewed).
TEST(Inspect, JsonOfEveryAcceptedCorpusFileIsItsExpectedFile) {
  set_corpus_env();
  std::size_t checked = 0, without_transaction = 0;
  for (const auto& c : golden_cases(corpus / "accepted", ".sql", ".json")) {
    SCOPED_TRACE(c.input.string());
    const auto r = run_app({"migrate", "inspect", c.input.string(), "--json"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out, c.expected);
    if (!nlohmann::json::parse(r.out).at("transaction").get<bool>()) ++without_transaction;
    ++checked;
  }
  EXPECT_EQ(checked, 15u);
  EXPECT_EQ(without_transaction, 2u);
}

TEST(Inspect, EveryRejectedCorpusFileFails) {
  set_corpus_env();
  std::size_t checked = 0;
  for (const auto& c : golden_cases(corpus / "rejected", ".sql", ".error")) {
    const std::string path = c.input.string();
    const auto r = run_app({"migrate", "inspect", path, "--json"});
    EXPECT_EQ(r.code, 1) << path;
    EXPECT_EQ(r.out, "") << path;
    EXPECT_NE(r.err.find(path + ":" + c.expected), std::string::npos) << r.err;
    ++checked;
  }
  EXPECT_EQ(checked, 26u);
}

TEST(Inspect, JsonKeysAndVersionFromTheFileName) {
  testing_support::temp_dir dir;
  const auto file = dir.write("04001_billing_init.sql",
                              "-- +goose Up\r\nCREATE TABLE billing.accounts (id int);\r\n-- +goose Down\r\n"
                              "DROP TABLE billing.accounts;\r\n");
  const auto r = run_app({"migrate", "inspect", file.string(), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\n"
            "  \"version\": 4001,\n"
            "  \"name\": \"billing_init\",\n"
            "  \"transaction\": true,\n"
            "  \"up\": [\n"
            "    \"CREATE TABLE billing.accounts (id int);\"\n"
            "  ],\n"
            "  \"down\": [\n"
            "    \"DROP TABLE billing.accounts;\"\n"
            "  ]\n"
            "}\n");
}

TEST(Inspect, TextListing) {
  testing_support::temp_dir dir;
  const auto file =
      dir.write("00002_prices.sql",
                "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i\n  ON t (a);\n");
  const auto r = run_app({"migrate", "inspect", file.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "file:        " + file.string() +
                       "\n"
                       "version:     2\n"
                       "name:        prices\n"
                       "transaction: no (-- +goose NO TRANSACTION)\n"
                       "up: 1 statement\n"
                       "  [1] line 3\n"
                       "      CREATE INDEX CONCURRENTLY i\n"
                       "        ON t (a);\n"
                       "down: 0 statements\n");
}

TEST(Inspect, EnvsubUsesTheProcessEnvironment) {
  ::setenv("MIGRATOR_INSPECT_SCHEMA", "billing", 1);
  testing_support::temp_dir dir;
  const auto file = dir.write(
      "00001_a.sql", "-- +goose ENVSUB ON\n-- +goose Up\nCREATE SCHEMA ${MIGRATOR_INSPECT_SCHEMA};\n");
  EXPECT_EQ(inspect_json(file).at("up"), nlohmann::json::array({"CREATE SCHEMA billing;"}));
}

TEST(Inspect, ParseErrorGoesToStderr) {
  testing_support::temp_dir dir;
  const auto file = dir.write("04003_prices.sql", "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n");
  const auto r = run_app({"migrate", "inspect", file.string(), "--json"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(file.string() + ":2: StatementBegin is never closed (add \"-- +goose StatementEnd\")"),
            std::string::npos)
      << r.err;
}

TEST(Inspect, UnreadableFile) {
  const auto r = run_app({"migrate", "inspect", "/nonexistent/00001_x.sql", "--json"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("/nonexistent/00001_x.sql: cannot read: No such file or directory"), std::string::npos)
      << r.err;

  testing_support::temp_dir dir;
  const auto d = run_app({"migrate", "inspect", dir.path().string()});
  EXPECT_EQ(d.code, 1);
  EXPECT_EQ(d.out, "");
  EXPECT_NE(d.err.find(dir.path().string() + ": cannot read: Is a directory"), std::string::npos) << d.err;
}

TEST(Inspect, MissingFileArgumentIsAUsageError) {
  const auto r = run_app({"migrate", "inspect", "--json"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("usage: app migrate inspect FILE [--json]"), std::string::npos) << r.err;
}

}  // namespace

namespace {

// A code migration (.cpp): what its text declares; a text without an up fails with path:line.
TEST(inspect_code_migration, shows_what_the_billing_backfill_declares) {
  const std::string file = std::string(MIGRATOR_SOURCE_DIR) + "/modules/billing/migrations/04003_backfill_invoice_totals.cpp";
  auto r = testing_support::run_app({"migrate", "inspect", file, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["version"], 4003);
  EXPECT_EQ(j["name"], "backfill_invoice_totals");
  EXPECT_EQ(j["kind"], "code");
  EXPECT_EQ(j["transaction"], false);
  EXPECT_EQ(j["up"], "up");
  EXPECT_EQ(j["down"], "down");
}

TEST(inspect_code_migration, a_text_without_up_fails_with_path_and_line) {
  testing_support::temp_dir dir;
  const auto file = dir.write("04009_broken.cpp", "#include <migrator/code_migration.h>\n\nMIGRATOR_CODE_MIGRATION();\n");
  auto r = testing_support::run_app({"migrate", "inspect", file.string()});
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(file.string() + ":3: MIGRATOR_CODE_MIGRATION has no up function"), std::string::npos) << r.err;
}

}  // namespace
