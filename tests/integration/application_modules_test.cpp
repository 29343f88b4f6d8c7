// The application's own migrations (modules/) against PostgreSQL 15: every Up
// applies, every Down undoes it completely, in version order and in an
// allow-missing order. Statements are sent as parsed, one command each, in a
// transaction unless the file says NO TRANSACTION; this tests the SQL of the
// modules, not the engine (which has its own tests).
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <vector>

#include "migrator/assembler.h"
#include "migrator/source.h"
#include "test_support.h"

namespace {

using migrator::migration;

migrator::module_set application_modules() {
  auto result = migrator::assemble(migrator::make_directory_source(MIGRATOR_SOURCE_DIR "/modules")->load(),
                                   migrator::process_environment());
  std::string problems;
  for (const auto& p : result.problems) problems += p.str() + "\n";
  EXPECT_TRUE(result.ok()) << problems;
  return result.set;
}

void run(pqxx::connection& c, const migration& m, bool up) {
  const auto& statements = up ? m.body().up : m.body().down;
  try {
    if (m.body().use_transaction) {
      pqxx::work tx(c);
      for (const auto& s : statements) tx.exec(s.sql);
      tx.commit();
    } else {
      for (const auto& s : statements) {
        pqxx::nontransaction tx(c);
        tx.exec(s.sql);
      }
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << (up ? "up " : "down ") << m.path << ": " << e.what();
    throw;
  }
}

// Schemas and functions that are not PostgreSQL's own.
std::vector<std::string> user_objects(const testing_support::test_database& db) {
  return db.query(
      "SELECT 'schema ' || nspname FROM pg_namespace "
      "WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('public', 'information_schema') "
      "UNION ALL SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p "
      "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', "
      "'information_schema') "
      "UNION ALL SELECT 'table ' || oid::regclass::text FROM pg_class WHERE relkind = 'r' AND relnamespace = "
      "'public'::regnamespace ORDER BY 1");
}

void up_down_up(const std::vector<const migration*>& order, const migrator::module_set& set) {
  testing_support::test_database db;
  auto c = std::make_unique<pqxx::connection>(db.dsn());
  for (const auto* m : order) run(*c, *m, true);

  std::vector<std::string> expected;
  for (const auto& module : set.modules) expected.push_back("schema " + module.schema);
  std::sort(expected.begin(), expected.end());
  std::vector<std::string> schemas;
  for (const auto& o : user_objects(db))
    if (o.rfind("schema ", 0) == 0) schemas.push_back(o);
  EXPECT_EQ(schemas, expected) << "each module creates exactly its own schema";

  for (auto it = order.rbegin(); it != order.rend(); ++it) run(*c, **it, false);
  EXPECT_EQ(user_objects(db), std::vector<std::string>{}) << "Down left objects behind";

  for (const auto* m : order) run(*c, *m, true);  // Down left nothing that blocks a second Up
}

TEST(application_modules, up_and_down_in_version_order) {
  const auto set = application_modules();
  std::vector<const migration*> order;
  for (const auto& m : set.migrations) order.push_back(&m);
  ASSERT_FALSE(order.empty());
  up_down_up(order, set);
}

// As on a database that was current before the later migrations of earlier
// modules were written: every module's first migration, then the rest by version.
TEST(application_modules, up_and_down_in_allow_missing_order) {
  const auto set = application_modules();
  std::vector<const migration*> firsts, rest;
  std::set<std::string> seen;
  for (const auto& m : set.migrations) (seen.insert(m.module).second ? firsts : rest).push_back(&m);
  ASSERT_FALSE(rest.empty()) << "the example set has a later migration in an earlier module";
  bool interleaves = false;
  for (const auto* m : rest) interleaves = interleaves || m->version < firsts.back()->version;
  EXPECT_TRUE(interleaves) << "some later migration sorts below the last module's first one";
  firsts.insert(firsts.end(), rest.begin(), rest.end());
  up_down_up(firsts, set);
}

TEST(application_modules, triggers_work) {
  const auto set = application_modules();
  testing_support::test_database db;
  auto c = std::make_unique<pqxx::connection>(db.dsn());
  for (const auto& m : set.migrations) run(*c, m, true);
  db.exec(
      "INSERT INTO organization.organizations (slug, name, updated_at) VALUES ('acme', 'Acme', now() - "
      "interval "
      "'1 day')");
  db.exec("UPDATE organization.organizations SET name = 'Acme Inc'");
  EXPECT_EQ(db.scalar("SELECT updated_at > now() - interval '1 hour' FROM organization.organizations"), "t")
      << "db.set_updated_at() sets updated_at on UPDATE";

  db.exec("INSERT INTO audit.entries (action, subject_type) VALUES ('login', 'user')");
  EXPECT_THROW(db.exec("DELETE FROM audit.entries"), pqxx::sql_error);
  EXPECT_THROW(db.exec("UPDATE audit.entries SET action = 'x'"), pqxx::sql_error);
  EXPECT_THROW(db.exec("TRUNCATE audit.entries"), pqxx::sql_error);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM audit.entries"), "1");

  EXPECT_EQ(db.scalar("SELECT count(*) FROM pg_index WHERE NOT indisvalid"), "0")
      << "the concurrent index builds completed";
}

}  // namespace
