// lint's parse trees draw on a per-thread arena (core/src/lint/parse_tree.h):
// the memory of a statement's tree is reused by the next once the first is gone,
// never while it lives, and a tree larger than the arena's first block is whole.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "lint/parse_tree.h"
#include "lint/sql_parse.h"

namespace migrator {
namespace {

const void* root_members(const parse_tree& tree) { return &tree.get_ref<const parse_tree::object_t&>(); }

TEST(parse_tree, the_next_statement_reuses_the_memory_of_a_tree_that_is_gone) {
  const void* first = nullptr;
  {
    const parsed_sql parsed = parse_sql("CREATE TABLE s.a (id int)");
    ASSERT_FALSE(parsed.error);
    first = root_members(parsed.tree);
  }
  const parsed_sql again = parse_sql("DROP TABLE s.b");
  ASSERT_FALSE(again.error);
  EXPECT_EQ(root_members(again.tree), first);
}

TEST(parse_tree, a_live_tree_keeps_its_memory_while_others_come_and_go) {
  const parsed_sql kept = parse_sql("CREATE INDEX i ON s.t (a, b)");
  ASSERT_FALSE(kept.error);
  const std::string before = kept.tree.dump();
  for (const char* sql : {"ALTER TABLE s.t ADD COLUMN c text", "SELECT 1", "DROP VIEW s.v"}) {
    const parsed_sql other = parse_sql(sql);
    ASSERT_FALSE(other.error) << sql;
    EXPECT_NE(root_members(other.tree), root_members(kept.tree)) << sql;
  }
  EXPECT_EQ(kept.tree.dump(), before);
  EXPECT_NE(before.find("\"idxname\":\"i\""), std::string::npos) << before;
}

TEST(parse_tree, a_tree_larger_than_the_first_block_is_whole_and_the_arena_rewinds_after_it) {
  std::string sql = "INSERT INTO s.t (a, b) VALUES ";
  for (int i = 0; i < 4000; ++i) sql += (i ? ", (" : "(") + std::to_string(i) + ", 'row " + std::to_string(i) + "')";
  const void* small = nullptr;
  {
    const parsed_sql parsed = parse_sql("SELECT 1");
    small = root_members(parsed.tree);
  }
  {
    const parsed_sql big = parse_sql(sql);
    ASSERT_FALSE(big.error);
    // The same text through nlohmann's own allocator gives the same tree.
    const std::string text = big.tree.dump();
    EXPECT_GT(text.size(), std::size_t{256} << 10);
    EXPECT_EQ(nlohmann::json::parse(text).dump(), text);
    EXPECT_NE(text.find("\"sval\":\"row 3999\""), std::string::npos);
  }
  const parsed_sql after = parse_sql("SELECT 2");
  EXPECT_EQ(root_members(after.tree), small);
}

}  // namespace
}  // namespace migrator
