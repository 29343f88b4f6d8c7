// The comparison of history rows with a set fully applied (applied_history.h),
// without a database: the rows as a store reads them, in any order.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backend/applied_history.h"
#include "history_migration.h"

namespace {

using migrator::detail::goose_history_row;
using migrator::detail::repeatable_history_row;
using migrator::detail::side_history_row;

const auto migration = testing_support::history_migration;

migrator::migration repeatable(const char* module, const char* name, const char* checksum,
                               std::int64_t known_version) {
  migrator::migration r;
  r.module = module;
  r.name = name;
  r.checksum = checksum;
  r.known_version = known_version;
  return r;
}

// The set every case compares with: 1001 of db and 2001 of shop.
const std::vector<migrator::migration> set{migration(1001, "db", "a1"), migration(2001, "shop", "c3")};
const std::vector<migrator::migration> no_repeatables;
const std::vector<repeatable_history_row> no_repeatable_rows;

struct history_case {
  const char* what;
  std::vector<goose_history_row> goose;
  std::vector<side_history_row> side;
  bool equal;
  std::int64_t highest;
};

TEST(applied_history_comparison, rows_equal_the_set_only_when_every_applied_version_matches_its_line) {
  const history_case cases[] = {
      {"goose's row 0 and both versions, with their side rows",
       {{1, 0, true}, {2, 1001, true}, {3, 2001, true}},
       {{1001, "db", "a1", "applied"}, {2001, "shop", "c3", "applied"}},
       true,
       2001},
      {"rows in any order",
       {{3, 2001, true}, {1, 0, true}, {2, 1001, true}},
       {{2001, "shop", "c3", "applied"}, {1001, "db", "a1", "applied"}},
       true,
       2001},
      {"an edited file: another checksum",
       {{1, 0, true}, {2, 1001, true}, {3, 2001, true}},
       {{1001, "db", "edited", "applied"}, {2001, "shop", "c3", "applied"}},
       false,
       2001},
      {"recorded by another module",
       {{1, 0, true}, {2, 1001, true}, {3, 2001, true}},
       {{1001, "shop", "a1", "applied"}, {2001, "shop", "c3", "applied"}},
       false,
       2001},
      {"goose applied 1001: no side row",
       {{1, 0, true}, {2, 1001, true}, {3, 2001, true}},
       {{2001, "shop", "c3", "applied"}},
       false,
       2001},
      {"2001 not applied yet", {{1, 0, true}, {2, 1001, true}}, {{1001, "db", "a1", "applied"}}, false, 1001},
      {"goose v2 rolled 2001 back: its latest row says not applied",
       {{1, 0, true}, {2, 1001, true}, {3, 2001, true}, {4, 2001, false}},
       {{1001, "db", "a1", "applied"}, {2001, "shop", "c3", "applied"}},
       false,
       1001},
      {"goose v2 rolled 2001 back and applied it again",
       {{1, 0, true}, {2, 1001, true}, {3, 2001, true}, {4, 2001, false}, {5, 2001, true}},
       {{1001, "db", "a1", "applied"}, {2001, "shop", "c3", "applied"}},
       true,
       2001},
      {"a newer deploy applied 2002",
       {{1, 0, true}, {2, 1001, true}, {3, 2001, true}, {4, 2002, true}},
       {{1001, "db", "a1", "applied"}, {2001, "shop", "c3", "applied"}, {2002, "shop", "d4", "applied"}},
       false,
       2002},
      {"a dirty side row without goose's row (a newer build's migration that stopped)",
       {{1, 0, true}, {2, 1001, true}, {3, 2001, true}},
       {{1001, "db", "a1", "applied"}, {2001, "shop", "c3", "applied"}, {2002, "shop", "d4", "dirty"}},
       false,
       2001},
      {"a side row of a version goose rolled back (v3 deleted its row) does not matter",
       {{1, 0, true}, {2, 1001, true}, {3, 2001, true}},
       {{1001, "db", "a1", "applied"}, {2001, "shop", "c3", "applied"}, {2002, "shop", "d4", "applied"}},
       true,
       2001},
      {"2001 applied by goose but its side row dirty",
       {{1, 0, true}, {2, 1001, true}, {3, 2001, true}},
       {{1001, "db", "a1", "applied"}, {2001, "shop", "c3", "dirty"}},
       false,
       2001},
      {"an empty history", {}, {}, false, 0},
  };
  for (auto c : cases) {
    SCOPED_TRACE(c.what);
    const auto result =
        migrator::detail::compare_applied_history(c.goose, c.side, no_repeatable_rows, set, no_repeatables);
    EXPECT_EQ(result.equal, c.equal);
    EXPECT_EQ(result.highest, c.highest);
  }
}

TEST(applied_history_comparison, an_empty_set_equals_a_history_of_only_goose_row_zero) {
  std::vector<goose_history_row> goose{{1, 0, true}};
  std::vector<side_history_row> side;
  const auto result =
      migrator::detail::compare_applied_history(goose, side, no_repeatable_rows, {}, no_repeatables);
  EXPECT_TRUE(result.equal);
  EXPECT_EQ(result.highest, 0);
}

TEST(applied_history_comparison, the_set_may_list_its_migrations_in_any_order) {
  // Versions compare as numbers: 9001 comes before 10001 although "10001" < "9001" as text.
  const std::vector<migrator::migration> listed{migration(10001, "m10", "x"), migration(9001, "m9", "y")};
  std::vector<goose_history_row> goose{{1, 0, true}, {2, 9001, true}, {3, 10001, true}};
  std::vector<side_history_row> side{{10001, "m10", "x", "applied"}, {9001, "m9", "y", "applied"}};
  const auto result =
      migrator::detail::compare_applied_history(goose, side, no_repeatable_rows, listed, no_repeatables);
  EXPECT_TRUE(result.equal);
  EXPECT_EQ(result.highest, 10001);
}

struct repeatable_case {
  const char* what;
  std::vector<repeatable_history_row> rows;
  bool equal;
};

TEST(applied_history_comparison,
     each_repeatable_of_the_set_is_recorded_with_its_checksum_or_by_a_newer_build) {
  // The set's repeatables: db's view at checksum v1 and shop's at s1, this build knowing version 2001.
  const std::vector<migrator::migration> repeatables{repeatable("db", "a_view", "v1", 2001),
                                                     repeatable("shop", "s_view", "s1", 2001)};
  const repeatable_case cases[] = {
      {"both recorded with their checksums",
       {{"db", "a_view", "v1", 2001}, {"shop", "s_view", "s1", 0}},
       true},
      {"one recorded with another checksum",
       {{"db", "a_view", "v0", 2001}, {"shop", "s_view", "s1", 2001}},
       false},
      {"one never applied", {{"shop", "s_view", "s1", 2001}}, false},
      {"another checksum, recorded by a newer build (it knew 2002)",
       {{"db", "a_view", "v2", 2002}, {"shop", "s_view", "s1", 2001}},
       true},
      {"another checksum, recorded by an older build",
       {{"db", "a_view", "v0", 1001}, {"shop", "s_view", "s1", 2001}},
       false},
      {"a repeatable the set no longer has does not matter",
       {{"db", "a_view", "v1", 2001}, {"shop", "s_view", "s1", 2001}, {"db", "old_view", "x", 0}},
       true},
      {"same name in another module is another repeatable",
       {{"shop", "a_view", "v1", 2001}, {"shop", "s_view", "s1", 2001}},
       false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    std::vector<goose_history_row> goose{{1, 0, true}, {2, 1001, true}};
    std::vector<side_history_row> side{{1001, "db", "a1", "applied"}};
    const auto result = migrator::detail::compare_applied_history(goose, side, c.rows,
                                                                  {migration(1001, "db", "a1")}, repeatables);
    EXPECT_EQ(result.equal, c.equal);
  }
}

// The comparison from the side rows' digests: where they prove the side rows,
// the answer the side rows themselves give; where they prove nothing, none.
struct digest_case {
  const char* what;
  std::vector<std::int64_t> applied;  // goose's applied versions, ids 1.. in this order (row 0 is id 0)
  std::vector<std::pair<std::int64_t, const char*>> side;  // the side rows: version, checksum (state applied)
  bool digested;  // whether the digests were written from these side rows (else: from the set's files)
  std::optional<bool> equal;  // nullopt: no proof, the store reads the side rows
};

TEST(applied_history, digests_that_prove_the_side_rows_answer_as_the_side_rows_do) {
  using migrator::detail::side_digest_row;
  const digest_case cases[] = {
      {"every version applied, the digests written from its side rows", {1001, 2001}, {{1001, "a1"}, {2001, "c3"}},
       true, true},
      {"2001 not applied yet (a new file): pending", {1001}, {{1001, "a1"}}, true, false},
      {"1001's file edited since: no proof", {1001, 2001}, {{1001, "a0"}, {2001, "c3"}}, true, std::nullopt},
      {"a version no file has: no proof", {1001, 2001, 2002}, {{1001, "a1"}, {2001, "c3"}, {2002, "d4"}}, true,
       std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    // Goose's rows: version 0 with id 0, then the applied versions.
    std::vector<goose_history_row> goose{{0, 0, true}};
    std::vector<migrator::applied_row> applied;
    for (std::size_t i = 0; i < c.applied.size(); ++i) {
      goose.push_back({static_cast<std::int64_t>(i + 1), c.applied[i], true});
      applied.push_back({c.applied[i], static_cast<std::int64_t>(i + 1), ""});
    }
    const migrator::detail::goose_table_mark mark{static_cast<std::int64_t>(goose.size()),
                                                  static_cast<std::int64_t>(c.applied.size())};
    // One digest row per module of the side rows, as the store writes them.
    std::vector<std::string> texts;
    std::vector<std::string> modules;
    std::vector<std::int64_t> counts;
    for (const auto& [version, checksum] : c.side) {
      const std::string module = version < 2000 ? "db" : "shop";
      if (modules.empty() || modules.back() != module) {
        modules.push_back(module);
        texts.emplace_back();
        counts.push_back(0);
      }
      migrator::detail::append_side_digest_line(texts.back(), version, checksum, "applied");
      ++counts.back();
    }
    std::vector<std::string> hashes;
    for (const auto& t : texts) hashes.push_back(migrator::detail::side_digest_of(t));
    std::vector<side_digest_row> digests;
    for (std::size_t i = 0; i < modules.size(); ++i)
      digests.push_back({modules[i], counts[i], hashes[i], mark.rows, mark.last_id});
    const auto by_digests = migrator::detail::compare_applied_by_digests(digests, mark, applied, no_repeatable_rows,
                                                                         set, no_repeatables);
    ASSERT_EQ(by_digests.has_value(), c.equal.has_value());
    if (!by_digests) continue;
    EXPECT_EQ(by_digests->equal, *c.equal);
    // The side rows themselves give the same answer.
    std::vector<side_history_row> side;
    for (std::size_t i = 0; i < c.side.size(); ++i)
      side.push_back({c.side[i].first, c.side[i].first < 2000 ? "db" : "shop", c.side[i].second, "applied"});
    auto goose_rows = goose;
    const auto by_rows =
        migrator::detail::compare_applied_history(goose_rows, side, no_repeatable_rows, set, no_repeatables);
    EXPECT_EQ(by_digests->equal, by_rows.equal);
    EXPECT_EQ(by_digests->highest, by_rows.highest);
  }
}

TEST(applied_history, digests_that_prove_the_side_rows_still_need_every_repeatable_recorded) {
  using migrator::detail::side_digest_row;
  std::string db_text, shop_text;
  migrator::detail::append_side_digest_line(db_text, 1001, "a1", "applied");
  migrator::detail::append_side_digest_line(shop_text, 2001, "c3", "applied");
  const std::string db = migrator::detail::side_digest_of(db_text);
  const std::string shop = migrator::detail::side_digest_of(shop_text);
  const std::vector<side_digest_row> digests{{"db", 1, db, 3, 2}, {"shop", 1, shop, 3, 2}};
  const std::vector<migrator::applied_row> applied{{1001, 1, ""}, {2001, 2, ""}};
  const std::vector<migrator::migration> repeatables{repeatable("db", "a_view", "v1", 2001)};
  const std::vector<repeatable_history_row> recorded{{"db", "a_view", "v1", 2001}};
  const std::vector<repeatable_history_row> edited{{"db", "a_view", "v0", 2001}};
  const auto with = migrator::detail::compare_applied_by_digests(digests, {3, 2}, applied, recorded, set, repeatables);
  const auto without = migrator::detail::compare_applied_by_digests(digests, {3, 2}, applied, edited, set, repeatables);
  ASSERT_TRUE(with.has_value());
  ASSERT_TRUE(without.has_value());
  EXPECT_TRUE(with->equal);
  EXPECT_FALSE(without->equal);
  EXPECT_EQ(with->highest, 2001);
}

}  // namespace
