// Which index a concurrent index statement builds: each row is a statement and
// what the reader must find in it (or that it finds nothing), then the names
// REINDEX CONCURRENTLY gives its transient indexes.
#include "format/concurrent_index.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace {

using migrator::parsing::concurrent_index_kind;
using migrator::parsing::concurrent_index_of;
using migrator::parsing::reindex_leftover_names;

struct index_case {
  std::string name;
  std::string sql;
  bool recognised = true;
  concurrent_index_kind kind = concurrent_index_kind::create_index;
  std::string index_schema = "-";  // "-": no schema
  std::string index = "-";          // "-": no index named
  std::string table_schema = "-";
  std::string table = "-";
};

const std::vector<index_case> cases = {
    {"plain", "CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id)", true,
     concurrent_index_kind::create_index, "-", "orders_customer_idx", "-", "orders"},
    {"schema-qualified table", "CREATE INDEX CONCURRENTLY orders_customer_idx ON billing.orders (customer_id)", true,
     concurrent_index_kind::create_index, "-", "orders_customer_idx", "billing", "orders"},
    {"unique", "create unique index concurrently u_idx on billing.orders using btree (code)", true,
     concurrent_index_kind::create_index, "-", "u_idx", "billing", "orders"},
    {"IF NOT EXISTS", "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a)", true,
     concurrent_index_kind::create_index, "-", "i", "-", "t"},
    {"ONLY", "CREATE INDEX CONCURRENTLY i ON ONLY s.t (a)", true, concurrent_index_kind::create_index, "-", "i", "s",
     "t"},
    {"unquoted names fold to lower case", "CREATE INDEX CONCURRENTLY Orders_IDX ON Billing.Orders (a)", true,
     concurrent_index_kind::create_index, "-", "orders_idx", "billing", "orders"},
    {"quoted names keep their case and quotes", "CREATE INDEX CONCURRENTLY \"Odd \"\"Name\" ON \"My Schema\".\"T\" (a)",
     true, concurrent_index_kind::create_index, "-", "Odd \"Name", "My Schema", "T"},
    {"a quoted \"on\" is a name", "CREATE INDEX CONCURRENTLY \"on\" ON t (a)", true,
     concurrent_index_kind::create_index, "-", "on", "-", "t"},
    {"database.schema.table", "CREATE INDEX CONCURRENTLY i ON app.s.t (a)", true,
     concurrent_index_kind::create_index, "-", "i", "s", "t"},
    {"unnamed", "CREATE INDEX CONCURRENTLY ON billing.orders (a)", true, concurrent_index_kind::create_index, "-", "-",
     "billing", "orders"},
    {"comments and lines before and inside", "-- the customer lookup\n/* outer /* nested */ still */\nCREATE\n  INDEX "
                                             "-- x\n CONCURRENTLY i ON t(a)",
     true, concurrent_index_kind::create_index, "-", "i", "-", "t"},
    {"a name longer than 63 bytes is cut as the server cuts it",
     "CREATE INDEX CONCURRENTLY " + std::string(70, 'x') + " ON t (a)", true, concurrent_index_kind::create_index, "-",
     std::string(63, 'x'), "-", "t"},
    {"REINDEX INDEX", "REINDEX INDEX CONCURRENTLY billing.orders_idx", true, concurrent_index_kind::reindex_index,
     "billing", "orders_idx", "-", "-"},
    {"REINDEX TABLE", "reindex table concurrently orders;", true, concurrent_index_kind::reindex_table, "-", "-", "-",
     "orders"},
    {"REINDEX with options before", "REINDEX (VERBOSE) TABLE CONCURRENTLY s.t", true,
     concurrent_index_kind::reindex_table, "-", "-", "s", "t"},
    {"REINDEX (CONCURRENTLY)", "REINDEX (CONCURRENTLY, TABLESPACE fast) INDEX i", true,
     concurrent_index_kind::reindex_index, "-", "i", "-", "-"},
    {"REINDEX (CONCURRENTLY true)", "REINDEX (VERBOSE, CONCURRENTLY true) INDEX i", true,
     concurrent_index_kind::reindex_index, "-", "i", "-", "-"},
    {"REINDEX SCHEMA", "REINDEX SCHEMA CONCURRENTLY billing", true, concurrent_index_kind::reindex_other},
    // Not concurrent, or not an index build: nothing to clean up.
    {"CREATE INDEX without CONCURRENTLY", "CREATE INDEX i ON t (a)", false},
    {"REINDEX without CONCURRENTLY", "REINDEX INDEX i", false},
    {"REINDEX (CONCURRENTLY false)", "REINDEX (CONCURRENTLY false) INDEX i", false},
    {"REINDEX (CONCURRENTLY off)", "REINDEX (CONCURRENTLY OFF) TABLE t", false},
    {"DROP INDEX CONCURRENTLY", "DROP INDEX CONCURRENTLY i", false},
    {"CREATE TABLE", "CREATE TABLE t (a int)", false},
    {"CONCURRENTLY in a comment only", "CREATE INDEX /* CONCURRENTLY */ i ON t (a)", false},
    {"a U&\"...\" name is not followed", "CREATE INDEX CONCURRENTLY U&\"i\" ON t (a)", false},
    {"IF NOT EXISTS without a name", "CREATE INDEX CONCURRENTLY IF NOT EXISTS ON t (a)", false},
    {"empty", "", false},
};

std::string or_dash(const std::optional<std::string>& s) { return s ? *s : "-"; }

TEST(ConcurrentIndex, FindsTheIndexAndTableOfEachStatement) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name + ": " + c.sql);
    const auto found = concurrent_index_of(c.sql);
    ASSERT_EQ(found.has_value(), c.recognised);
    if (!found) continue;
    EXPECT_EQ(static_cast<int>(found->kind), static_cast<int>(c.kind));
    EXPECT_EQ(found->index ? or_dash(found->index->schema) : "-", c.index_schema);
    EXPECT_EQ(found->index ? found->index->name : "-", c.index);
    EXPECT_EQ(found->table ? or_dash(found->table->schema) : "-", c.table_schema);
    EXPECT_EQ(found->table ? found->table->name : "-", c.table);
  }
}

TEST(ConcurrentIndex, ReindexLeftoversAreCcnewAndCcoldNumberedFromOne) {
  const auto names = reindex_leftover_names("orders_idx", 2);
  EXPECT_EQ(names, (std::vector<std::string>{"orders_idx_ccnew", "orders_idx_ccnew1", "orders_idx_ccnew2",
                                             "orders_idx_ccold", "orders_idx_ccold1", "orders_idx_ccold2"}));
}

TEST(ConcurrentIndex, ReindexLeftoverNamesCutTheIndexNameNotTheLabel) {
  // 63 bytes at most: "_ccnew" takes 6, "_ccnew12" 8.
  const std::string long_name(63, 'a');
  const auto names = reindex_leftover_names(long_name, 12);
  EXPECT_EQ(names.front(), std::string(57, 'a') + "_ccnew");
  EXPECT_EQ(names[12], std::string(55, 'a') + "_ccnew12");
  for (const auto& n : names) EXPECT_LE(n.size(), 63u) << n;
}

TEST(ConcurrentIndex, ReindexLeftoverNamesNeverCutACharacterInTwo) {
  // 28 two-byte characters (56 bytes) then "éé": the cut at 57 bytes falls inside
  // the 29th character, which goes whole.
  std::string name;
  for (int i = 0; i < 30; ++i) name += "\xC3\xA9";  // é
  const auto names = reindex_leftover_names(name, 0);
  std::string expected;
  for (int i = 0; i < 28; ++i) expected += "\xC3\xA9";
  EXPECT_EQ(names.front(), expected + "_ccnew");
}

}  // namespace
