// Repeatable migrations and callbacks (issue 28) on a real PostgreSQL through
// the app: a repeatable view applied again after its file changed and not
// re-run while it is unchanged; callbacks around runs that apply something
// (granting a module's tables to a role, in order, never on an up-to-date
// database); a failing callback reported with file and line, after which
// after_migrate_error runs; reset taking repeatables back first;
// --single-transaction leaving nothing of a run whose repeatable fails; goose's
// table holding only goose's rows throughout.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;

namespace {

const char* const init_alpha =
    "CREATE SCHEMA alpha;\n"
    "CREATE TABLE alpha.items (id int PRIMARY KEY, name text);\n"
    "CREATE TABLE alpha.view_runs (n serial);";

std::string view_file(const std::string& columns) {
  return migration_text("CREATE OR REPLACE VIEW alpha.item_names AS SELECT " + columns + " FROM alpha.items;\n"
                        "INSERT INTO alpha.view_runs DEFAULT VALUES;",
                        "DROP VIEW IF EXISTS alpha.item_names;");
}

// Each callback appends its name to public.callback_log, so the order shows.
std::string logging_callback(const std::string& name, const std::string& more = "") {
  return migration_text("CREATE TABLE IF NOT EXISTS public.callback_log (id serial, what text);\n"
                        "INSERT INTO public.callback_log (what) VALUES ('" + name + "');" +
                        (more.empty() ? "" : "\n" + more));
}

class repeatable_migrations_test : public ::testing::Test {
 protected:
  test_database db;
  temp_dir modules;

  void SetUp() override {
    write_module_set(modules, {{"alpha",
                                {{"01001_init.sql", migration_text(init_alpha, "DROP SCHEMA alpha CASCADE;")},
                                 {"repeatable/item_names.sql", view_file("name")}}},
                               {"beta", {{"02001_init.sql", migration_text("CREATE SCHEMA beta;", "DROP SCHEMA beta;")}}}});
  }

  run_result migrate(const std::vector<std::string>& args) { return migrate_in(db.dsn(), modules.path(), args); }

  std::vector<std::string> goose_rows() const {
    return db.query("SELECT version_id || ':' || is_applied FROM goose_db_version ORDER BY id");
  }
  std::string view_runs() const { return db.scalar("SELECT count(*) FROM alpha.view_runs"); }
  std::vector<std::string> callback_log() const {
    if (db.scalar("SELECT to_regclass('public.callback_log') IS NOT NULL") != "t") return {};
    return db.query("SELECT what FROM public.callback_log ORDER BY id");
  }
  nlohmann::json repeatable_status() {
    const auto r = migrate({"status", "--json"});
    EXPECT_EQ(r.code, 0) << r.err;
    const auto status = nlohmann::json::parse(r.out);
    return status["repeatables"];
  }
};

TEST_F(repeatable_migrations_test, a_repeatable_view_is_applied_again_only_after_its_file_changed) {
  EXPECT_EQ(repeatable_status()[0]["state"], "pending");
  auto r = migrate({"up"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("applied repeatable alpha item_names"));
  EXPECT_EQ(view_runs(), "1");
  EXPECT_EQ(repeatable_status()[0]["state"], "applied");

  // Unchanged: not run again, the database is current.
  r = migrate({"up"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("nothing to do"));
  EXPECT_EQ(view_runs(), "1");
  EXPECT_EQ(migrate({"status", "--exit-code"}).code, 0);

  // Changed: status says so, up applies it again (and only it).
  modules.write("alpha/migrations/repeatable/item_names.sql", view_file("name, id"));
  EXPECT_EQ(repeatable_status()[0]["state"], "changed");
  const auto table = migrate({"status"});
  EXPECT_THAT(table.out, HasSubstr("item_names  changed"));
  EXPECT_THAT(table.out, HasSubstr("(the file changed: up applies it again)"));
  EXPECT_EQ(migrate({"status", "--exit-code"}).code, 6);
  const auto dry = migrate({"up", "--dry-run"});
  EXPECT_THAT(dry.out, HasSubstr("-- repeatable up: alpha item_names (" + modules.path().string() +
                                 "/alpha/migrations/repeatable/item_names.sql)"));
  EXPECT_THAT(dry.out, HasSubstr("SELECT name, id FROM alpha.items"));
  r = migrate({"up"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(view_runs(), "2");
  EXPECT_EQ(db.scalar("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns "
                      "WHERE table_schema = 'alpha' AND table_name = 'item_names'"),
            "name,id");
  EXPECT_EQ(repeatable_status()[0]["state"], "applied");

  // goose sees only its own rows; the repeatable lives in the side table.
  EXPECT_EQ(goose_rows(), (std::vector<std::string>{"0:true", "1001:true", "2001:true"}));
  EXPECT_EQ(db.scalar("SELECT module || '/' || name FROM goose_db_version_repeatable"), "alpha/item_names");

  // A file deleted: listed as missing, nothing runs, still current.
  std::filesystem::remove(modules.path() / "alpha/migrations/repeatable/item_names.sql");
  EXPECT_EQ(repeatable_status()[0]["state"], "missing");
  EXPECT_EQ(migrate({"up"}).code, 0);
  EXPECT_EQ(view_runs(), "2");
  EXPECT_EQ(migrate({"status", "--exit-code"}).code, 0);
}

// A rolling deploy: the new build (alpha 1002 and a new view) migrated; an older
// instance that restarts has the older view file, and must not put it back.
TEST_F(repeatable_migrations_test, an_older_build_leaves_a_repeatable_a_newer_build_applied) {
  temp_dir old_build;
  write_module_set(old_build, {{"alpha",
                                {{"01001_init.sql", migration_text(init_alpha, "DROP SCHEMA alpha CASCADE;")},
                                 {"repeatable/item_names.sql", view_file("name")}}},
                               {"beta", {{"02001_init.sql", migration_text("CREATE SCHEMA beta;", "DROP SCHEMA beta;")}}}});
  ASSERT_EQ(migrate_in(db.dsn(), old_build.path(), {"up"}).code, 0);
  modules.write("alpha/migrations/01002_price.sql",
                migration_text("ALTER TABLE alpha.items ADD COLUMN price int;", "ALTER TABLE alpha.items DROP COLUMN price;"));
  modules.write("alpha/migrations/repeatable/item_names.sql", view_file("name, price"));
  ASSERT_EQ(migrate({"up"}).code, 0);
  EXPECT_EQ(view_runs(), "2");

  const auto old_up = migrate_in(db.dsn(), old_build.path(), {"up"});
  ASSERT_EQ(old_up.code, 0) << old_up.err;
  EXPECT_EQ(view_runs(), "2");  // not applied again
  EXPECT_EQ(db.scalar("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns "
                      "WHERE table_schema = 'alpha' AND table_name = 'item_names'"),
            "name,price");
  const auto status = migrate_in(db.dsn(), old_build.path(), {"status"});
  EXPECT_THAT(status.out, HasSubstr("item_names  newer"));
  EXPECT_THAT(status.out, HasSubstr("(applied by a newer build: left as it is)"));
  EXPECT_EQ(db.scalar("SELECT known_version FROM goose_db_version_repeatable"), "1002");
}

TEST_F(repeatable_migrations_test, a_callback_grants_the_modules_tables_to_a_role_after_each_run) {
  db.exec("DROP ROLE IF EXISTS " + db.name() + "_reader; CREATE ROLE " + db.name() + "_reader");
  const std::string role = db.name() + "_reader";
  modules.write("alpha/migrations/callbacks/before_migrate.sql", logging_callback("before_migrate"));
  modules.write("alpha/migrations/callbacks/after_each_migration.sql", logging_callback("after_each_migration"));
  modules.write("alpha/migrations/callbacks/after_migrate.sql",
                logging_callback("after_migrate", "GRANT USAGE ON SCHEMA alpha TO " + role +
                                                      ";\nGRANT SELECT ON ALL TABLES IN SCHEMA alpha TO " + role + ";"));
  auto r = migrate({"up"});
  ASSERT_EQ(r.code, 0) << r.err;
  // after_each_migration is alpha's: it follows alpha's migration and alpha's repeatable, not beta's migration.
  EXPECT_EQ(callback_log(), (std::vector<std::string>{"before_migrate", "after_each_migration", "after_each_migration",
                                                      "after_migrate"}));
  EXPECT_EQ(db.scalar("SELECT has_table_privilege('" + role + "', 'alpha.items', 'SELECT')"), "t");

  // An up-to-date database: no callback runs.
  ASSERT_EQ(migrate({"up"}).code, 0);
  EXPECT_EQ(callback_log().size(), 4u);

  // The next release adds a table: the callback grants it too.
  modules.write("alpha/migrations/01002_orders.sql",
                migration_text("CREATE TABLE alpha.orders (id int);", "DROP TABLE alpha.orders;"));
  r = migrate({"up"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(db.scalar("SELECT has_table_privilege('" + role + "', 'alpha.orders', 'SELECT')"), "t");
  EXPECT_EQ(callback_log().size(), 7u);
  db.exec("DROP OWNED BY " + role + "; DROP ROLE " + role);
}

TEST_F(repeatable_migrations_test, a_failing_callback_names_its_file_and_line_and_after_migrate_error_runs) {
  modules.write("alpha/migrations/callbacks/after_migrate.sql",
                migration_text("SELECT 1;\nINSERT INTO alpha.no_such_table VALUES (1);"));
  modules.write("beta/migrations/callbacks/after_migrate_error.sql", logging_callback("after_migrate_error"));
  const auto dry = migrate({"up", "--dry-run"});
  EXPECT_THAT(dry.out, HasSubstr("-- callback: alpha after_migrate"));
  auto r = migrate({"up"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("alpha/migrations/callbacks/after_migrate.sql:3: callback after_migrate (module "
                               "alpha) failed (up) at statement 2 of 2"));
  EXPECT_THAT(r.err, HasSubstr("SQLSTATE 42P01"));
  EXPECT_EQ(callback_log(), (std::vector<std::string>{"after_migrate_error"}));
  // What committed before the callback stays applied.
  EXPECT_EQ(goose_rows(), (std::vector<std::string>{"0:true", "1001:true", "2001:true"}));
  EXPECT_EQ(view_runs(), "1");
}

TEST_F(repeatable_migrations_test, reset_takes_the_repeatables_back_first_with_their_down_sections) {
  ASSERT_EQ(migrate({"up"}).code, 0);
  const auto dry = migrate({"reset", "--dry-run"});
  const auto view_down = dry.out.find("-- repeatable down: alpha item_names");
  ASSERT_NE(view_down, std::string::npos) << dry.out;
  EXPECT_LT(view_down, dry.out.find("-- down: alpha 1001 init"));
  auto r = migrate({"reset"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("reverted repeatable alpha item_names"));
  EXPECT_EQ(goose_rows(), (std::vector<std::string>{"0:true"}));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version_repeatable"), "0");
  // And up brings both back.
  ASSERT_EQ(migrate({"up"}).code, 0);
  EXPECT_EQ(view_runs(), "1");
  EXPECT_EQ(repeatable_status()[0]["state"], "applied");
}

TEST_F(repeatable_migrations_test, with_single_transaction_a_failing_repeatable_leaves_nothing_of_the_run) {
  modules.write("alpha/migrations/repeatable/item_names.sql",
                migration_text("CREATE VIEW alpha.item_names AS SELECT no_such_column FROM alpha.items;"));
  modules.write("alpha/migrations/callbacks/before_migrate.sql", logging_callback("before_migrate"));
  auto r = migrate({"up", "--single-transaction"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("repeatable/item_names.sql:2: repeatable migration item_names (module alpha) failed"));
  EXPECT_EQ(db.scalar("SELECT to_regclass('alpha.items') IS NULL"), "t");
  EXPECT_TRUE(callback_log().empty());
  EXPECT_EQ(goose_rows(), (std::vector<std::string>{"0:true"}));

  // A NO TRANSACTION repeatable cannot join one transaction: refused before anything runs.
  modules.write("alpha/migrations/repeatable/item_names.sql", "-- +goose NO TRANSACTION\n" + view_file("name"));
  r = migrate({"up", "--single-transaction"});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_THAT(r.err, HasSubstr("repeatable migration item_names"));
  EXPECT_EQ(db.scalar("SELECT to_regclass('alpha.items') IS NULL"), "t");
}

}  // namespace
