// The linter without a database: one bad and one good statement per rule, run
// through the real parser on an in-memory module set; then positions,
// suppressions, configuration and what counts as a new table.
#include "migrator/lint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "migrator/assembler.h"

namespace {

using migrator::lint_finding;
using migrator::lint_options;
using migrator::lint_report;
using migrator::lint_severity;

// Two modules: db (01xxx) and billing (02xxx, schema billing). billing's first
// migration creates billing.accounts, a view, a function and an enum type, which
// every case treats as existing.
const char* const base_migration =
    "-- +goose Up\n"
    "-- +goose StatementBegin\n"
    "CREATE SCHEMA billing;\n"
    "CREATE TABLE billing.accounts (id bigint PRIMARY KEY, email text, plan text, owner_id bigint);\n"
    "CREATE TABLE billing.plans (id bigint PRIMARY KEY);\n"
    "CREATE VIEW billing.paying_accounts AS SELECT id, email, plan FROM billing.accounts WHERE plan <> 'free';\n"
    "CREATE FUNCTION billing.account_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM billing.accounts';\n"
    "CREATE TYPE billing.tier AS ENUM ('free', 'team', 'enterprise');\n"
    "-- +goose StatementEnd\n"
    "-- +goose Down\n"
    "DROP SCHEMA billing CASCADE;\n";

struct files {
  std::map<std::string, std::string> billing;  // file name -> content
};

migrator::source_tree tree_of(const files& f) {
  migrator::source_tree tree;
  tree.root = "m";
  tree.manifest_path = "m/modules.yaml";
  tree.manifest_text = "modules:\n  - name: db\n  - name: billing\n";
  tree.folders.push_back({"db", true, {{"m/db/migrations/01001_db.sql", "-- +goose Up\nCREATE SCHEMA db;\n-- +goose Down\nDROP SCHEMA db;\n"}}});
  migrator::source_folder billing{"billing", true, {{"m/billing/migrations/02001_base.sql", base_migration}}};
  for (const auto& [name, content] : f.billing) billing.files.push_back({"m/billing/migrations/" + name, content});
  tree.folders.push_back(billing);
  return tree;
}

lint_report lint(const files& f, const lint_options& options = {}) {
  const auto tree = tree_of(f);
  const auto assembled = migrator::assemble(tree, [](const std::string&) { return std::nullopt; });
  EXPECT_TRUE(assembled.ok()) << (assembled.problems.empty() ? "" : assembled.problems.front().str());
  return migrator::lint_module_set(assembled.set, tree, options);
}

// The findings of migration 02002, as "rule" strings.
std::vector<std::string> rules_of(const lint_report& r) {
  std::vector<std::string> out;
  for (const auto& f : r.findings)
    if (f.version == 2002) out.push_back(f.rule);
  return out;
}

std::string up_only(const std::string& sql, bool transaction = true) {
  return std::string(transaction ? "" : "-- +goose NO TRANSACTION\n") + "-- +goose Up\n" + sql + "\n";
}

// The same Up section in a migration marked "-- +migrator contract".
std::string contract_up(const std::string& sql, bool transaction = true) {
  return "-- +migrator contract\n" + up_only(sql, transaction);
}

const std::string lock_timeout = "SET LOCAL lock_timeout = '5s';\n";

struct rule_case {
  const char* rule;
  std::string bad;   // the Up section of 02002; must give `rule`
  std::string good;  // the same intent written safely; must give no finding at all
};

void PrintTo(const rule_case& c, std::ostream* os) { *os << c.rule; }

const std::vector<rule_case>& rule_cases() {
  static const std::vector<rule_case> cases{
      {"syntax-error", up_only("CREATE TABEL billing.invoices (id bigint);"),
       up_only("CREATE TABLE billing.invoices (id bigint);")},
      {"unqualified-name", up_only("CREATE TABLE invoices (id bigint);"),
       up_only("CREATE TABLE billing.invoices (id bigint);")},
      {"foreign-schema", up_only("CREATE TABLE db.invoices (id bigint);"),
       up_only("CREATE TABLE billing.invoices (id bigint REFERENCES billing.accounts (id));")},
      // billing declares no depends_on in this set: db is not its to use.
      {"undeclared-dependency", up_only("CREATE TABLE billing.invoices (id bigint REFERENCES db.owners (id));"),
       up_only("CREATE TABLE billing.invoices (id bigint REFERENCES billing.accounts (id));")},
      {"statement-block",
       up_only("CREATE TABLE billing.a (id bigint); CREATE TABLE billing.b (id bigint);"),
       up_only("-- +goose StatementBegin\nCREATE TABLE billing.a (id bigint); CREATE TABLE billing.b (id bigint);\n"
               "-- +goose StatementEnd")},
      {"index-not-concurrent", up_only("CREATE INDEX accounts_email_idx ON billing.accounts (email);"),
       up_only("CREATE INDEX CONCURRENTLY accounts_email_idx ON billing.accounts (email);", false)},
      {"concurrently-in-transaction",
       up_only("CREATE INDEX CONCURRENTLY accounts_email_idx ON billing.accounts (email);"),
       up_only("CREATE INDEX CONCURRENTLY accounts_email_idx ON billing.accounts (email);", false)},
      {"not-null-without-default",
       up_only("SET LOCAL lock_timeout = '5s';\nALTER TABLE billing.accounts ADD COLUMN currency text NOT NULL;"),
       up_only("SET LOCAL lock_timeout = '5s';\n"
               "ALTER TABLE billing.accounts ADD COLUMN currency text NOT NULL DEFAULT 'EUR';")},
      {"volatile-default",
       up_only("SET LOCAL lock_timeout = '5s';\n"
               "ALTER TABLE billing.accounts ADD COLUMN token uuid DEFAULT gen_random_uuid();"),
       up_only("SET LOCAL lock_timeout = '5s';\n"
               "ALTER TABLE billing.accounts ADD COLUMN created_at timestamptz DEFAULT now();")},
      {"column-type-change",
       up_only("SET LOCAL lock_timeout = '5s';\nALTER TABLE billing.accounts ALTER COLUMN plan TYPE varchar(20);"),
       up_only("SET LOCAL lock_timeout = '5s';\nALTER TABLE billing.accounts ADD COLUMN plan_code varchar(20);")},
      {"drop-table-or-column",
       up_only("SET LOCAL lock_timeout = '5s';\nALTER TABLE billing.accounts DROP COLUMN plan;"),
       up_only("-- +goose StatementBegin\nCREATE TABLE billing.tmp (id bigint);\nDROP TABLE billing.tmp;\n"
               "-- +goose StatementEnd")},
      {"rename-table-or-column",
       up_only("SET LOCAL lock_timeout = '5s';\nALTER TABLE billing.accounts RENAME COLUMN plan TO tier;"),
       up_only("-- +goose StatementBegin\nCREATE TABLE billing.draft (id bigint);\n"
               "ALTER TABLE billing.draft RENAME TO drafts;\n-- +goose StatementEnd")},
      // The phase rules: the good case is the same statement in a contract migration.
      {"drop-or-rename-object", up_only("DROP VIEW billing.paying_accounts;"),
       contract_up("DROP VIEW billing.paying_accounts;")},
      {"set-not-null", up_only(lock_timeout + "ALTER TABLE billing.accounts ALTER COLUMN email SET NOT NULL;"),
       contract_up(lock_timeout + "ALTER TABLE billing.accounts ALTER COLUMN email SET NOT NULL;")},
      {"contract-adds", contract_up("CREATE TABLE billing.invoices (id bigint);"),
       up_only("CREATE TABLE billing.invoices (id bigint);")},
      {"constraint-not-valid",
       up_only("SET LOCAL lock_timeout = '5s';\n"
               "ALTER TABLE billing.accounts ADD CONSTRAINT email_set CHECK (email <> '');"),
       up_only("SET LOCAL lock_timeout = '5s';\n"
               "ALTER TABLE billing.accounts ADD CONSTRAINT email_set CHECK (email <> '') NOT VALID;")},
      {"lock-timeout-missing", up_only("ALTER TABLE billing.accounts ADD COLUMN note text;"),
       up_only("SET LOCAL lock_timeout = '5s';\nALTER TABLE billing.accounts ADD COLUMN note text;")},
  };
  return cases;
}

class lint_rule_table : public testing::TestWithParam<rule_case> {};

TEST_P(lint_rule_table, bad_statement_is_reported_and_good_one_is_clean) {
  const auto& c = GetParam();
  EXPECT_THAT(rules_of(lint({{{"02002_change.sql", c.bad}}})), testing::Contains(std::string(c.rule)));
  EXPECT_THAT(rules_of(lint({{{"02002_change.sql", c.good}}})), testing::IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(rules, lint_rule_table, testing::ValuesIn(rule_cases()),
                         [](const testing::TestParamInfo<rule_case>& info) {
                           std::string name = info.param.rule;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// The phases (issue #26). What removes something an older build still uses is
// an error (a warning for SET NOT NULL) in an ordinary migration and nothing in a
// migration marked "-- +migrator contract", which up runs only once no live build
// needs it; what adds is nothing in an ordinary migration and contract-adds in a
// contract one. Every Up runs once as each; `ordinary` and `contract` are the
// findings of 02002, in order.
struct phase_case {
  const char* name;
  std::string up;  // the Up section
  std::vector<std::string> ordinary;
  std::vector<std::string> contract;
  bool transaction = true;
};

void PrintTo(const phase_case& c, std::ostream* os) { *os << c.name; }

const std::vector<phase_case>& phase_cases() {
  using v = std::vector<std::string>;
  static const std::vector<phase_case> cases{
      // Removals: the contract is the normal path, no lint:ignore.
      {"drop_column", lock_timeout + "ALTER TABLE billing.accounts DROP COLUMN plan;", v{"drop-table-or-column"}, v{}},
      {"drop_table", lock_timeout + "DROP TABLE billing.plans;", v{"drop-table-or-column"}, v{}},
      {"rename_column", lock_timeout + "ALTER TABLE billing.accounts RENAME COLUMN plan TO tier;",
       v{"rename-table-or-column"}, v{}},
      {"rename_table", lock_timeout + "ALTER TABLE billing.plans RENAME TO price_plans;", v{"rename-table-or-column"},
       v{}},
      {"drop_view", "DROP VIEW billing.paying_accounts;", v{"drop-or-rename-object"}, v{}},
      {"rename_view", "ALTER VIEW billing.paying_accounts RENAME TO billable_accounts;", v{"drop-or-rename-object"},
       v{}},
      {"drop_function", "DROP FUNCTION billing.account_count();", v{"drop-or-rename-object"}, v{}},
      {"rename_function", "ALTER FUNCTION billing.account_count() RENAME TO accounts_total;",
       v{"drop-or-rename-object"}, v{}},
      {"drop_type", "DROP TYPE billing.tier;", v{"drop-or-rename-object"}, v{}},
      {"rename_enum_value", "ALTER TYPE billing.tier RENAME VALUE 'team' TO 'business';", v{"drop-or-rename-object"},
       v{}},
      {"drop_schema", "DROP SCHEMA billing CASCADE;", v{"drop-or-rename-object"}, v{}},
      {"set_not_null", lock_timeout + "ALTER TABLE billing.accounts ALTER COLUMN email SET NOT NULL;",
       v{"set-not-null"}, v{}},
      // A contract's usual shape: backfill what older builds left empty, then tighten.
      {"backfill_then_set_not_null",
       "-- +goose StatementBegin\n" + lock_timeout +
           "UPDATE billing.accounts SET email = '' WHERE email IS NULL;\n"
           "ALTER TABLE billing.accounts ALTER COLUMN email SET NOT NULL;\n-- +goose StatementEnd",
       v{"set-not-null"}, v{}},
      // Redefining the view without the column is part of the contract, not an addition.
      {"redefine_view_then_drop_column",
       "-- +goose StatementBegin\n" + lock_timeout +
           "CREATE OR REPLACE VIEW billing.paying_accounts AS SELECT id, email, NULL::text AS plan "
           "FROM billing.accounts;\nALTER TABLE billing.accounts DROP COLUMN plan;\n-- +goose StatementEnd",
       v{"drop-table-or-column"}, v{}},
      // Lock rules still hold in a contract migration: only the phase rules change.
      {"drop_column_without_lock_timeout", "ALTER TABLE billing.accounts DROP COLUMN plan;",
       v{"drop-table-or-column", "lock-timeout-missing"}, v{"lock-timeout-missing"}},
      // What this migration created is no older build's: dropping it is fine in both.
      {"drop_what_this_migration_created",
       "-- +goose StatementBegin\nCREATE VIEW billing.scratch AS SELECT 1 AS one;\n"
       "CREATE FUNCTION billing.scratch_f() RETURNS int LANGUAGE sql AS 'SELECT 1';\n"
       "DROP VIEW billing.scratch;\nDROP FUNCTION billing.scratch_f();\n-- +goose StatementEnd",
       v{}, v{"contract-adds", "contract-adds"}},
      // No older query names an index: dropping one is not a phase change.
      {"drop_index", "DROP INDEX billing.accounts_email_idx;", v{}, v{}},
      // A type change rewrites the table whatever the phase: still column-type-change.
      {"column_type_change", lock_timeout + "ALTER TABLE billing.accounts ALTER COLUMN plan TYPE varchar(20);",
       v{"column-type-change"}, v{"column-type-change"}},
      // Additions: fine in an ordinary migration, a warning in a contract one.
      {"create_table", "CREATE TABLE billing.invoices (id bigint);", v{}, v{"contract-adds"}},
      {"create_table_and_fill_it",
       "-- +goose StatementBegin\nCREATE TABLE billing.currencies (code text PRIMARY KEY);\n"
       "INSERT INTO billing.currencies (code) VALUES ('EUR');\n"
       "CREATE INDEX currencies_code_idx ON billing.currencies (code);\n-- +goose StatementEnd",
       v{}, v{"contract-adds"}},  // one finding: the rest goes into the new table
      {"add_column", lock_timeout + "ALTER TABLE billing.accounts ADD COLUMN currency text;", v{}, v{"contract-adds"}},
      {"create_index", "CREATE INDEX CONCURRENTLY accounts_plan_idx ON billing.accounts (plan);", v{},
       v{"contract-adds"}, false},
      {"create_view", "CREATE VIEW billing.free_accounts AS SELECT id FROM billing.accounts WHERE plan = 'free';", v{},
       v{"contract-adds"}},
      {"create_function", "CREATE FUNCTION billing.plan_count() RETURNS bigint LANGUAGE sql AS 'SELECT 1';", v{},
       v{"contract-adds"}},
      {"create_type", "CREATE TYPE billing.currency AS ENUM ('EUR', 'USD');", v{}, v{"contract-adds"}},
      {"add_enum_value", "ALTER TYPE billing.tier ADD VALUE 'partner';", v{}, v{"contract-adds"}},
      {"insert_data", "INSERT INTO billing.plans (id) VALUES (4);", v{}, v{"contract-adds"}},
      // Neither adds nor removes: an UPDATE, a constraint added NOT VALID.
      {"update_rows", "UPDATE billing.accounts SET plan = 'free' WHERE plan IS NULL;", v{}, v{}},
      {"check_not_valid",
       lock_timeout + "ALTER TABLE billing.accounts ADD CONSTRAINT plan_set CHECK (plan IS NOT NULL) NOT VALID;", v{},
       v{}},
  };
  return cases;
}

class lint_phase_table : public testing::TestWithParam<phase_case> {};

TEST_P(lint_phase_table, ordinary_and_contract_migrations) {
  const auto& c = GetParam();
  EXPECT_EQ(rules_of(lint({{{"02002_change.sql", up_only(c.up, c.transaction)}}})), c.ordinary) << "ordinary";
  EXPECT_EQ(rules_of(lint({{{"02002_change.sql", contract_up(c.up, c.transaction)}}})), c.contract) << "contract";
}

INSTANTIATE_TEST_SUITE_P(phases, lint_phase_table, testing::ValuesIn(phase_cases()),
                         [](const testing::TestParamInfo<phase_case>& info) { return std::string(info.param.name); });

TEST(lint_phases, the_ordinary_finding_points_to_a_contract_migration_not_to_lint_ignore) {
  const auto r = lint({{{"02002_change.sql", up_only(lock_timeout + "ALTER TABLE billing.accounts DROP COLUMN plan;")}}});
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].str(),
            "m/billing/migrations/02002_change.sql:3:13: error[drop-table-or-column]: DROP COLUMN "
            "billing.accounts.plan in an ordinary migration: instances still running the previous build select it "
            "and fail");
  EXPECT_THAT(r.findings[0].hint, testing::HasSubstr("\"-- +migrator contract\""));
  EXPECT_THAT(r.findings[0].hint, testing::Not(testing::HasSubstr("lint:ignore")));
  for (const char* rule : {"drop-table-or-column", "rename-table-or-column", "drop-or-rename-object", "set-not-null"})
    EXPECT_THAT(migrator::find_lint_rule(rule)->hint, testing::HasSubstr("-- +migrator contract")) << rule;
}

// Repeatable migrations and callbacks are linted like versioned files, with
// their own paths; a repeatable re-creating its view (DROP VIEW IF EXISTS, then
// CREATE VIEW) is its normal work, not a phase finding, while the same DROP in
// a versioned migration is one.
TEST(lint_phases, repeatables_and_callbacks_are_linted_and_a_repeatable_may_drop_what_it_recreates) {
  const std::string recreate = "DROP VIEW IF EXISTS billing.plans;\nCREATE VIEW billing.plans AS SELECT 1 AS one;";
  EXPECT_EQ(rules_of(lint({{{"02002_change.sql", up_only(recreate)}}})),
            (std::vector<std::string>{"drop-or-rename-object"}));
  const auto r = lint({{{"repeatable/plans.sql", up_only(recreate)},
                        {"callbacks/after_migrate.sql", up_only("GRANT SELECT ON accounts TO PUBLIC;")}}});
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].rule, "unqualified-name");
  EXPECT_EQ(r.findings[0].path, "m/billing/migrations/callbacks/after_migrate.sql");
  EXPECT_EQ(r.findings[0].line, 2);
}

TEST(lint_phases, contract_adds_is_a_warning_at_its_statement_and_can_be_configured) {
  const files f{{{"02002_change.sql", "-- +migrator contract\n-- +goose Up\n" + lock_timeout +
                                          "ALTER TABLE billing.accounts DROP COLUMN plan;\n"
                                          "ALTER TABLE billing.accounts\n  ADD COLUMN tier billing.tier;\n"
                                          "-- +goose Down\nALTER TABLE billing.accounts ADD COLUMN plan text;\n"}}};
  // The Down, which puts the column back, is not a contract's addition.
  auto r = lint(f);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].str(),
            "m/billing/migrations/02002_change.sql:6:14: warning[contract-adds]: ADD COLUMN billing.accounts.tier in a "
            "contract migration: it waits until no older build runs, and a build that needs it can start before it "
            "exists");
  EXPECT_EQ(r.count(lint_severity::error), 0u);
  lint_options options;
  options.severity["contract-adds"] = lint_severity::error;
  EXPECT_EQ(lint(f, options).count(lint_severity::error), 1u);
  options.severity["contract-adds"] = lint_severity::off;
  EXPECT_THAT(lint(f, options).findings, testing::IsEmpty());
}

TEST(lint_phases, objects_of_a_pending_migration_are_new_for_later_pending_ones) {
  const files f{{{"02002_view.sql", up_only("CREATE VIEW billing.team_accounts AS SELECT id FROM billing.accounts;")},
                 {"02003_drop.sql", up_only("DROP VIEW billing.team_accounts;")}}};
  EXPECT_EQ(lint(f).findings.size(), 1u);  // 02002 counts as applied: an older build may use its view
  lint_options options;
  options.pending = std::set<std::int64_t>{2002, 2003};
  EXPECT_THAT(lint(f, options).findings, testing::IsEmpty());
}

// undeclared-dependency: billing (position 3) declares identity only. db comes
// earlier but is not declared (dependencies are not transitive: identity's own
// depends_on gives billing nothing); audit comes later and cannot be declared.
const char* const dependency_manifest =
    "modules:\n"
    "  - name: db\n"
    "  - name: identity\n"
    "    depends_on: [db]\n"
    "  - name: billing\n"
    "    depends_on: [identity]\n"
    "  - name: audit\n"
    "    schema: audit_log\n";

lint_report lint_dependencies(const std::string& billing_file, const lint_options& options = {}) {
  migrator::source_tree tree;
  tree.root = "m";
  tree.manifest_path = "m/modules.yaml";
  tree.manifest_text = dependency_manifest;
  tree.folders.push_back({"db", true, {}});
  tree.folders.push_back({"identity", true, {}});
  tree.folders.push_back({"billing", true, {{"m/billing/migrations/03001_change.sql", billing_file}}});
  tree.folders.push_back({"audit", true, {}});
  const auto assembled = migrator::assemble(tree, [](const std::string&) { return std::nullopt; });
  EXPECT_TRUE(assembled.ok()) << (assembled.problems.empty() ? "" : assembled.problems.front().str());
  return migrator::lint_module_set(assembled.set, tree, options);
}

struct dependency_case {
  const char* name;
  std::string sql;                    // the Up section of billing's 03001
  std::vector<std::string> messages;  // the finding's "rule: message part", in order
};

void PrintTo(const dependency_case& c, std::ostream* os) { *os << c.name; }

const std::string later = "undeclared-dependency: which comes after module 'billing' in modules.yaml";
const std::string not_declared_db = "undeclared-dependency: which module 'billing' does not declare: add 'db'";

const std::vector<dependency_case>& dependency_cases() {
  using v = std::vector<std::string>;
  static const std::vector<dependency_case> cases{
      {"declared_table_in_references", "CREATE TABLE billing.a (p bigint REFERENCES identity.persons (id));", v{}},
      {"own_schema_and_no_module_schemas", "SELECT a.id, pg_catalog.now() FROM billing.a a, public.t;", v{}},
      {"later_table_in_from", "SELECT * FROM audit_log.events;", v{later}},
      {"later_table_in_a_join_and_a_subquery_once_per_statement",
       "SELECT 1 FROM billing.a a JOIN audit_log.events e ON e.id = a.id\n"
       "WHERE EXISTS (SELECT 1 FROM audit_log.actors);",
       v{later}},
      {"later_table_in_references", "CREATE TABLE billing.a (e bigint REFERENCES audit_log.events (id));", v{later}},
      {"later_function_call", "SELECT audit_log.record('x');", v{later}},
      {"later_type_of_a_column", "CREATE TABLE billing.a (k audit_log.kind);", v{later}},
      {"later_type_in_a_cast", "SELECT NULL::audit_log.kind;", v{later}},
      {"later_table_in_an_update_source",
       "UPDATE billing.a SET n = e.n FROM audit_log.events e WHERE e.id = billing.a.id;", v{later}},
      // Changing another module's table is foreign-schema's finding, not also this one.
      {"insert_into_a_later_table", "INSERT INTO audit_log.events (id) VALUES (1);",
       v{"foreign-schema: changes schema 'audit_log' of module 'audit'"}},
      {"earlier_module_not_declared_function", "SELECT db.new_id();", v{not_declared_db}},
      {"earlier_module_not_declared_trigger_function",
       "CREATE TRIGGER a_touch BEFORE UPDATE ON billing.a FOR EACH ROW EXECUTE FUNCTION db.set_updated_at();",
       v{not_declared_db}},
      {"two_modules_in_one_statement", "SELECT db.new_id() FROM audit_log.events;", v{not_declared_db, later}},
  };
  return cases;
}

class lint_dependency_table : public testing::TestWithParam<dependency_case> {};

TEST_P(lint_dependency_table, references_to_modules_not_declared) {
  const auto& c = GetParam();
  const auto r = lint_dependencies("-- +goose Up\n" + c.sql + "\n");
  std::vector<std::string> found;
  for (const auto& f : r.findings) found.push_back(f.rule + ": " + f.message);
  ASSERT_EQ(found.size(), c.messages.size()) << testing::PrintToString(found);
  for (std::size_t i = 0; i < found.size(); ++i) {
    const std::string& expected = c.messages[i];
    const std::string rule = expected.substr(0, expected.find(':'));
    EXPECT_EQ(found[i].substr(0, found[i].find(':')), rule) << found[i];
    EXPECT_THAT(found[i], testing::HasSubstr(expected.substr(expected.find(':') + 2))) << found[i];
  }
}

INSTANTIATE_TEST_SUITE_P(dependencies, lint_dependency_table, testing::ValuesIn(dependency_cases()),
                         [](const testing::TestParamInfo<dependency_case>& info) { return std::string(info.param.name); });

TEST(lint_dependencies, a_later_module_finding_names_file_line_column_and_module) {
  const auto r = lint_dependencies("-- +goose Up\nCREATE TABLE billing.a (\n  e bigint REFERENCES audit_log.events (id)\n);\n"
                                   "-- +goose Down\nDELETE FROM billing.a WHERE id IN (SELECT id FROM audit_log.events);\n");
  ASSERT_EQ(r.findings.size(), 2u);  // the Down is checked too: it runs on the same database
  EXPECT_EQ(r.findings[0].str(),
            "m/billing/migrations/03001_change.sql:3:23: error[undeclared-dependency]: references audit_log.events "
            "of module 'audit', which comes after module 'billing' in modules.yaml: on a fresh database it does not "
            "exist yet when this migration runs");
  EXPECT_EQ(r.findings[1].line, 6);
  EXPECT_THAT(r.findings[0].hint, testing::HasSubstr("depends_on"));
}

TEST(lint_dependencies, validate_gets_the_rule_alone_whatever_the_severities_and_honours_lint_ignore) {
  const std::string file = "-- +goose Up\nALTER TABLE billing.a ADD COLUMN n int;\nSELECT * FROM audit_log.events;\n"
                           "-- lint:ignore undeclared-dependency read once by hand before 02002 ships\n"
                           "SELECT db.new_id();\n";
  migrator::source_tree tree;
  tree.root = "m";
  tree.manifest_path = "m/modules.yaml";
  tree.manifest_text = dependency_manifest;
  for (const char* name : {"db", "identity", "audit"}) tree.folders.push_back({name, true, {}});
  tree.folders.push_back({"billing", true, {{"m/billing/migrations/03001_change.sql", file}}});
  const auto assembled = migrator::assemble(tree, [](const std::string&) { return std::nullopt; });
  ASSERT_TRUE(assembled.ok());
  const auto problems = migrator::undeclared_dependencies(assembled.set, tree);
  ASSERT_EQ(problems.size(), 1u);  // not lock-timeout-missing, not the ignored statement
  EXPECT_EQ(problems[0].str(),
            "m/billing/migrations/03001_change.sql:3: column 15: references audit_log.events of module 'audit', which "
            "comes after module 'billing' in modules.yaml: on a fresh database it does not exist yet when this "
            "migration runs (lint rule undeclared-dependency)");
  lint_options off;
  off.severity["undeclared-dependency"] = lint_severity::off;
  EXPECT_THAT(rules_of(lint_dependencies(file, off)), testing::IsEmpty());  // lint obeys its configuration
}

TEST(lint_rules, every_rule_has_a_case_in_the_table) {
  for (const auto& rule : migrator::lint_rules()) {
    auto it = std::find_if(rule_cases().begin(), rule_cases().end(),
                           [&](const rule_case& c) { return std::string(c.rule) == rule.id; });
    EXPECT_NE(it, rule_cases().end()) << rule.id;
    EXPECT_NE(std::string(rule.hint), "") << rule.id;
  }
}

TEST(lint, finding_names_file_line_column_severity_and_hint) {
  const auto r = lint({{{"02002_change.sql", "-- +goose Up\n-- a comment\nCREATE INDEX accounts_email_idx\n"
                                              "  ON billing.accounts (email);\n"}}});
  ASSERT_EQ(r.findings.size(), 1u);
  const lint_finding& f = r.findings[0];
  EXPECT_EQ(f.rule, "index-not-concurrent");
  EXPECT_EQ(f.severity, lint_severity::error);
  EXPECT_EQ(f.line, 4);
  EXPECT_EQ(f.column, 6);  // billing.accounts
  EXPECT_EQ(f.str().rfind("m/billing/migrations/02002_change.sql:4:6: error[index-not-concurrent]: ", 0), 0u) << f.str();
  EXPECT_THAT(f.hint, testing::HasSubstr("CONCURRENTLY"));
}

TEST(lint, positions_inside_a_block_count_lines_from_the_file) {
  const auto r = lint({{{"02002_change.sql", "-- +goose Up\n-- +goose StatementBegin\nSET LOCAL lock_timeout = '1s';\n"
                                              "CREATE TABLE billing.x (id bigint);\n    ALTER TABLE accounts ADD COLUMN n text;\n"
                                              "-- +goose StatementEnd\n"}}});
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].rule, "unqualified-name");
  EXPECT_EQ(r.findings[0].line, 5);
  EXPECT_EQ(r.findings[0].column, 17);
}

TEST(lint, syntax_error_position_is_where_the_parser_stopped) {
  const auto r = lint({{{"02002_change.sql", "-- +goose Up\nCREATE TABLE billing.x (id bigint,);\n"}}});
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].rule, "syntax-error");
  EXPECT_EQ(r.findings[0].line, 2);
  EXPECT_EQ(r.findings[0].column, 35);
  EXPECT_THAT(r.findings[0].message, testing::HasSubstr("syntax error at or near \")\""));
}

TEST(lint, suppression_applies_to_the_next_statement_only) {
  const auto r = lint({{{"02002_change.sql",
                         "-- +goose NO TRANSACTION\n-- +goose Up\n"
                         "-- lint:ignore index-not-concurrent the table holds ten rows\n"
                         "CREATE INDEX a_idx ON billing.accounts (email);\n"
                         "CREATE INDEX b_idx ON billing.accounts (plan);\n"}}});
  ASSERT_EQ(rules_of(r), std::vector<std::string>{"index-not-concurrent"});
  EXPECT_EQ(r.findings[0].line, 5);
  EXPECT_EQ(r.suppressed, 1u);
}

TEST(lint, suppression_inside_a_block_applies_to_the_statement_after_it) {
  const auto r = lint({{{"02002_change.sql",
                         "-- +goose Up\n-- +goose StatementBegin\nSET LOCAL lock_timeout = '1s';\n"
                         "-- lint:ignore drop-table-or-column,rename-table-or-column readers moved in 2.4\n"
                         "ALTER TABLE billing.accounts DROP COLUMN plan;\n"
                         "ALTER TABLE billing.accounts DROP COLUMN email;\n-- +goose StatementEnd\n"}}});
  ASSERT_EQ(rules_of(r), std::vector<std::string>{"drop-table-or-column"});
  EXPECT_EQ(r.findings[0].line, 6);
  EXPECT_EQ(r.suppressed, 1u);
}

TEST(lint, configuration_turns_rules_off_or_changes_their_severity) {
  const files f{{{"02002_change.sql", up_only("CREATE INDEX a_idx ON billing.accounts (email);")}}};
  lint_options options;
  options.severity["index-not-concurrent"] = lint_severity::warning;
  auto r = lint(f, options);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].severity, lint_severity::warning);
  EXPECT_EQ(r.count(lint_severity::error), 0u);
  options.severity["index-not-concurrent"] = lint_severity::off;
  EXPECT_THAT(lint(f, options).findings, testing::IsEmpty());
}

TEST(lint, a_session_lock_timeout_satisfies_the_lock_timeout_rule) {
  const files f{{{"02002_change.sql", up_only("ALTER TABLE billing.accounts ADD COLUMN note text;")}}};
  lint_options options;
  options.session_lock_timeout = true;
  EXPECT_THAT(lint(f, options).findings, testing::IsEmpty());
}

TEST(lint, tables_of_a_pending_migration_are_new_for_later_pending_ones) {
  const files f{{{"02002_table.sql", up_only("CREATE TABLE billing.invoices (id bigint, account_id bigint);")},
                 {"02003_index.sql", up_only("CREATE INDEX invoices_account_idx ON billing.invoices (account_id);")}}};
  // Without knowing what is applied, 02002 counts as applied: its table exists.
  auto r = lint(f);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].version, 2003);
  lint_options options;
  options.pending = std::set<std::int64_t>{2002, 2003};
  EXPECT_THAT(lint(f, options).findings, testing::IsEmpty());
  // 02002 applied, only 02003 pending: the table exists.
  options.pending = std::set<std::int64_t>{2003};
  EXPECT_EQ(lint(f, options).findings.size(), 1u);
}

TEST(lint, down_sections_get_module_rules_but_not_rollout_rules) {
  const auto r = lint({{{"02002_change.sql", "-- +goose Up\nSET LOCAL lock_timeout = '1s';\n"
                                              "ALTER TABLE billing.accounts ADD COLUMN note text;\n-- +goose Down\n"
                                              "ALTER TABLE billing.accounts DROP COLUMN note;\nDROP TABLE plans;\n"}}});
  ASSERT_EQ(rules_of(r), std::vector<std::string>{"unqualified-name"});
  EXPECT_EQ(r.findings[0].line, 6);
}

TEST(lint, a_body_with_semicolons_outside_a_block_is_reported) {
  const auto r = lint({{{"02002_change.sql", "-- +goose Up\nCREATE FUNCTION billing.f() RETURNS int LANGUAGE plpgsql AS $$\n"
                                              "BEGIN\n  RETURN 1;\nEND $$;\n"}}});
  EXPECT_EQ(rules_of(r), std::vector<std::string>{"statement-block"});
}

TEST(lint, severity_names) {
  EXPECT_EQ(migrator::parse_lint_severity("warn"), lint_severity::warning);
  EXPECT_EQ(migrator::parse_lint_severity("off"), lint_severity::off);
  EXPECT_EQ(migrator::parse_lint_severity("error"), lint_severity::error);
  EXPECT_EQ(migrator::parse_lint_severity("fatal"), std::nullopt);
}

}  // namespace

namespace {

lint_report lint_directory(const std::string& dir) {
  const auto tree = migrator::make_directory_source(dir)->load();
  const auto assembled = migrator::assemble(tree, [](const std::string&) { return std::nullopt; });
  EXPECT_TRUE(assembled.ok()) << (assembled.problems.empty() ? "" : assembled.problems.front().str());
  return migrator::lint_module_set(assembled.set, tree, {});
}

// Goose files as real projects write them: the last statement of a block without
// ';', PL/pgSQL and SQL function bodies, DO blocks, enums, quoted CamelCase
// identifiers, NO TRANSACTION concurrent index builds.
TEST(lint_goose_files, parse_without_a_single_syntax_error_and_follow_every_rule) {
  const auto r = lint_directory(MIGRATOR_TESTDATA_DIR "/lint-goose");
  for (const auto& f : r.findings) ADD_FAILURE() << f.str();
  EXPECT_EQ(r.migrations, 5u);
  EXPECT_EQ(r.statements, 37u);
}

TEST(lint_goose_files, the_example_modules_have_no_error) {
  const auto r = lint_directory(MIGRATOR_SOURCE_DIR "/modules");
  EXPECT_EQ(r.count(lint_severity::error), 0u);
  for (const auto& f : r.findings) EXPECT_NE(f.severity, lint_severity::error) << f.str();
  EXPECT_EQ(r.migrations, 14u);  // 13 SQL files and billing's C++ backfill
}

}  // namespace
