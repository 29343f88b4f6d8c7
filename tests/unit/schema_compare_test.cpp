// compare_schemas, pure: one table of cases, each a PostgreSQL table and a
// SQLite table that differ in one way, with the line that must be reported.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "migrator/schema_equivalence.h"

using namespace migrator;

namespace {

schema_table base() {
  schema_table t;
  t.schema = "billing";
  t.name = "prices";
  t.columns = {{"id", "TEXT", "uuid", true}, {"product_id", "TEXT", "uuid", true}, {"amount", "INTEGER", "bigint", true}};
  t.primary_key = {"id"};
  t.unique_constraints = {{"product_id", "amount"}};
  t.indexes = {{"prices_amount_idx", {"amount DESC"}, false, false}};
  t.foreign_keys = {{{"product_id"}, "billing.products", {"id"}, "CASCADE", "NO ACTION"}};
  return t;
}

struct change_case {
  const char* what;
  void (*change)(schema_table&);  // applied to the SQLite side
  const char* expected;           // the one difference
};

const change_case cases[] = {
    {"dropped column", [](schema_table& t) { t.columns.pop_back(); },
     "column billing.prices.amount: only on PostgreSQL"},
    {"added column", [](schema_table& t) { t.columns.push_back({"note", "TEXT", "TEXT", false}); },
     "column billing.prices.note: only on SQLite"},
    {"type", [](schema_table& t) { t.columns[2].type = "REAL", t.columns[2].declared = "REAL"; },
     "column billing.prices.amount: type INTEGER (bigint) on PostgreSQL, REAL (REAL) on SQLite"},
    {"nullability", [](schema_table& t) { t.columns[0].not_null = false; },
     "column billing.prices.id: NOT NULL on PostgreSQL, nullable on SQLite"},
    {"primary key", [](schema_table& t) { t.primary_key = {"id", "amount"}; },
     "table billing.prices: primary key (id) on PostgreSQL, (id, amount) on SQLite"},
    {"unique constraint", [](schema_table& t) { t.unique_constraints.clear(); },
     "unique constraint billing.prices (product_id, amount): only on PostgreSQL"},
    {"index columns", [](schema_table& t) { t.indexes[0].columns = {"amount"}; },
     "index billing.prices_amount_idx: (amount DESC) on PostgreSQL, (amount) on SQLite"},
    {"index uniqueness", [](schema_table& t) { t.indexes[0].unique = true; },
     "index billing.prices_amount_idx: (amount DESC) on PostgreSQL, UNIQUE (amount DESC) on SQLite"},
    {"missing index", [](schema_table& t) { t.indexes.clear(); },
     "index billing.prices_amount_idx (amount DESC): only on PostgreSQL"},
    {"foreign key action", [](schema_table& t) { t.foreign_keys[0].on_delete = "NO ACTION"; },
     "foreign key billing.prices (product_id) -> billing.products (id) ON DELETE CASCADE ON UPDATE NO ACTION: only on "
     "PostgreSQL"},
};

TEST(CompareSchemas, ReportsEachKindOfDifference) {
  for (const auto& c : cases) {
    logical_schema pg{{base()}}, lite{{base()}};
    c.change(lite.tables[0]);
    auto result = compare_schemas(pg, lite);
    EXPECT_THAT(result.differences, ::testing::Contains(std::string(c.expected))) << c.what;
    EXPECT_FALSE(result.equivalent()) << c.what;
  }
}

TEST(CompareSchemas, EqualTablesAreEquivalent) {
  logical_schema pg{{base()}}, lite{{base()}};
  EXPECT_TRUE(compare_schemas(pg, lite).equivalent());
}

TEST(CompareSchemas, MissingTablesAreReportedOnEitherSide) {
  logical_schema pg{{base()}}, lite;
  EXPECT_EQ(compare_schemas(pg, lite).differences, std::vector<std::string>{"table billing.prices: only on PostgreSQL"});
  EXPECT_EQ(compare_schemas(lite, pg).differences, std::vector<std::string>{"table billing.prices: only on SQLite"});
}

TEST(CompareSchemas, ACrossModuleForeignKeyIsListedApartNotAsADifference) {
  logical_schema pg{{base()}}, lite{{base()}};
  pg.tables[0].foreign_keys.push_back({{"organization_id"}, "organization.organizations", {"id"}, "RESTRICT", "NO ACTION"});
  auto result = compare_schemas(pg, lite);
  EXPECT_TRUE(result.equivalent());
  EXPECT_EQ(result.cross_module_foreign_keys,
            std::vector<std::string>{"foreign key billing.prices (organization_id) -> organization.organizations (id) "
                                     "ON DELETE RESTRICT ON UPDATE NO ACTION"});
  // The same key declared on SQLite would name a table of its own schema: still a difference.
  lite.tables[0].foreign_keys.push_back({{"organization_id"}, "billing.organizations", {"id"}, "RESTRICT", "NO ACTION"});
  EXPECT_FALSE(compare_schemas(pg, lite).equivalent());
}

}  // namespace
