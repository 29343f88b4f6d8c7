// The side rows' digests (backend/side_digest.h), without a database: when the
// digest rows a store read prove the side rows equal to the files, and when
// they prove nothing. The server's side of the same text is pinned by
// tests/integration/status_digest_test.cpp.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "backend/side_digest.h"
#include "history_migration.h"

namespace {

using migrator::applied_row;
using migrator::detail::goose_table_mark;
using migrator::detail::side_digest_row;

const auto migration = testing_support::history_migration;

// The digest of a module's side rows, each "version:checksum:state".
std::string digest(const std::vector<std::pair<std::int64_t, const char*>>& rows, const char* state = "applied") {
  std::string text;
  for (const auto& [version, checksum] : rows) migrator::detail::append_side_digest_line(text, version, checksum, state);
  return migrator::detail::side_digest_of(text);
}

TEST(side_digest, the_hashed_text_is_one_line_per_side_row_and_its_sha256) {
  std::string text;
  migrator::detail::append_side_digest_line(text, 1001, "ab12", "applied");
  migrator::detail::append_side_digest_line(text, 1002, "", "dirty");
  EXPECT_EQ(text, "1001:ab12:applied\n1002::dirty\n");
  // SHA-256 of nothing and of "abc" (FIPS 180-2's example), lowercase hex.
  EXPECT_EQ(migrator::detail::side_digest_of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(migrator::detail::side_digest_of("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// The set: 1001 and 1002 of db, 2001 of shop; all three applied, goose's table
// holding its row 0 and one row each (4 rows, ids 1 to 4).
const std::vector<migrator::migration> set{migration(1001, "db", "a1"), migration(1002, "db", "b2"),
                                           migration(2001, "shop", "c3")};
const std::vector<applied_row> all_applied{{1001, 2, ""}, {1002, 3, ""}, {2001, 4, ""}};
const goose_table_mark mark{4, 4};

struct proof_case {
  const char* what;
  std::vector<side_digest_row> rows;
  std::vector<applied_row> applied;
  std::vector<migrator::migration> migrations;
  bool proved;
  goose_table_mark goose = mark;  // goose's table as read with the digests
};

TEST(side_digest, digests_prove_the_side_rows_only_when_every_module_matches_and_nothing_else_is_recorded) {
  const std::string db = digest({{1001, "a1"}, {1002, "b2"}});
  const std::string shop = digest({{2001, "c3"}});
  const std::string db_first = digest({{1001, "a1"}});
  const std::string db_edited = digest({{1001, "a1"}, {1002, "edited"}});
  const std::string db_dirty = digest({{1001, "a1"}, {1002, "b2"}}, "dirty");
  const proof_case cases[] = {
      {"every module's digest, written beside this goose table",
       {{"db", 2, db, 4, 4}, {"shop", 1, shop, 4, 4}}, all_applied, set, true},
      {"digest rows in any order", {{"shop", 1, shop, 4, 4}, {"db", 2, db, 4, 4}}, all_applied, set, true},
      {"no digest rows (a run began and did not end, or none ever wrote them)", {}, all_applied, set, false},
      {"written beside another goose table (goose applied a version since)",
       {{"db", 2, db, 3, 3}, {"shop", 1, shop, 3, 3}}, all_applied, set, false},
      {"one module's digest is missing", {{"db", 2, db, 4, 4}}, all_applied, set, false},
      {"a checksum differs (the file was edited)",
       {{"db", 2, db_edited, 4, 4}, {"shop", 1, shop, 4, 4}}, all_applied, set, false},
      {"a side row is dirty", {{"db", 2, db_dirty, 4, 4}, {"shop", 1, shop, 4, 4}}, all_applied, set, false},
      {"a module has a side row goose has no applied row for (counted, not hashed)",
       {{"db", 3, db, 4, 4}, {"shop", 1, shop, 4, 4}}, all_applied, set, false},
      {"a side row without a module",
       {{"db", 2, db, 4, 4}, {"shop", 1, shop, 4, 4}, {"", 1, db_first, 4, 4}}, all_applied, set, false},
      {"a module the set has no applied file of",
       {{"db", 2, db, 4, 4}, {"shop", 1, shop, 4, 4}, {"gone", 1, shop, 4, 4}}, all_applied, set, false},
      {"an applied version no file has (its name is only in its side row)",
       {{"db", 2, db, 4, 4}, {"shop", 1, shop, 4, 4}},
       {{1001, 2, ""}, {1002, 3, ""}, {2001, 4, ""}, {2002, 5, ""}}, set, false},
      {"only 1001 applied, and its module's digest is of 1001 alone",
       {{"db", 1, db_first, 2, 2}}, {{1001, 2, ""}}, set, true, {2, 2}},
      {"the set is not sorted by version",
       {{"db", 2, db, 4, 4}, {"shop", 1, shop, 4, 4}}, all_applied,
       {migration(2001, "shop", "c3"), migration(1001, "db", "a1"), migration(1002, "db", "b2")}, false},
      {"applied out of version order (goose's ids)",
       {{"db", 2, db, 4, 4}, {"shop", 1, shop, 4, 4}}, {{2001, 2, ""}, {1002, 3, ""}, {1001, 4, ""}}, set, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(migrator::detail::side_rows_proved(c.rows, c.goose, c.applied, c.migrations), c.proved);
  }
}

// Goose's rows in id order need not be in version order (allow-missing): the
// proof is the same in any order, and a version without a file proves nothing
// wherever it comes.
TEST(side_digest, goose_rows_in_any_order_prove_the_same) {
  const std::string db = digest({{1001, "a1"}, {1002, "b2"}});
  const std::string shop = digest({{2001, "c3"}});
  const std::vector<side_digest_row> rows{{"db", 2, db, 4, 4}, {"shop", 1, shop, 4, 4}};
  const std::vector<std::vector<applied_row>> orders{
      {{2001, 2, ""}, {1001, 3, ""}, {1002, 4, ""}},
      {{1002, 2, ""}, {2001, 3, ""}, {1001, 4, ""}},
      {{1001, 2, ""}, {2001, 3, ""}, {1002, 4, ""}}};
  for (const auto& applied : orders) {
    EXPECT_TRUE(migrator::detail::side_rows_proved(rows, mark, applied, set)) << applied[0].version;
    auto with_stranger = applied;
    with_stranger.insert(with_stranger.begin() + 1, {1500, 5, ""});
    // Read beside a goose table of 5 rows, as the digests were written: only the stranger is wrong.
    const std::vector<side_digest_row> rows_of_five{{"db", 2, db, 5, 5}, {"shop", 1, shop, 5, 5}};
    EXPECT_FALSE(migrator::detail::side_rows_proved(rows_of_five, {5, 5}, with_stranger, set)) << applied[0].version;
    with_stranger.erase(with_stranger.begin() + 1);
    EXPECT_TRUE(migrator::detail::side_rows_proved(rows_of_five, {5, 5}, with_stranger, set)) << applied[0].version;
  }
}

TEST(side_digest, digests_are_current_when_written_beside_the_goose_table_read_with_them) {
  const std::string db = digest({{1001, "a1"}});
  EXPECT_TRUE(migrator::detail::digests_current({{"db", 1, db, 4, 9}}, {4, 9}));
  EXPECT_FALSE(migrator::detail::digests_current({{"db", 1, db, 4, 9}}, {5, 10}));  // goose applied one since
  EXPECT_FALSE(migrator::detail::digests_current({{"db", 1, db, 4, 9}}, {3, 9}));   // goose rolled one back
  EXPECT_FALSE(migrator::detail::digests_current({}, {4, 9}));
}

}  // namespace
