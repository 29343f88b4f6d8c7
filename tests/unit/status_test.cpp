// compute_status: a table of {module set, history snapshot} -> every
// migration's state, the namespace conflicts, the rows without checksum and
// current(). No database: the snapshot is what a history store would read.
#include "migrator/status.h"

#include "migrator/error.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace {

using migrator::history_snapshot;
using migrator::meta_row;
using migrator::migration;
using migrator::migration_state;
using migrator::module_set;
using migrator::module_spec;

// Modules "identity" (position 1: 1001..1999) and "billing" (position 2: 2001..2999);
// the file of version v has checksum "c<v>".
module_set set_of(const std::vector<std::int64_t>& versions) {
  module_set set;
  set.modules = {module_spec{"identity", "identity", "", 1}, module_spec{"billing", "billing", "", 2}};
  for (auto v : versions) {
    migration m;
    m.version = v;
    m.module = v < 2000 ? "identity" : "billing";
    m.name = "m" + std::to_string(v);
    m.path = "modules/" + m.module + "/migrations/" + std::to_string(v) + "_m.sql";
    m.checksum = "c" + std::to_string(v);
    set.migrations.push_back(m);
  }
  return set;
}

// One side row. `checksum` "" = none (a row goose wrote, adopted without checksum).
struct side {
  std::int64_t version;
  std::string module;
  std::string checksum;
  bool dirty = false;
};

history_snapshot history_of(const std::vector<std::int64_t>& applied, const std::vector<side>& meta) {
  history_snapshot snap;
  snap.exists = true;
  std::int64_t id = 1;  // goose's version-0 row has id 1
  for (auto v : applied) snap.applied.push_back({v, ++id, "2026-01-01 00:00:00"});
  for (const auto& s : meta) {
    meta_row row;
    row.module = s.module;
    row.name = "m" + std::to_string(s.version);
    if (!s.checksum.empty()) row.checksum = s.checksum;
    row.dirty = s.dirty;
    if (s.dirty) row.statements_done = 1, row.statements_total = 3;
    snap.meta[s.version] = row;
  }
  return snap;
}

struct status_case {
  const char* label;
  std::vector<std::int64_t> files;
  std::vector<std::int64_t> applied;
  std::vector<side> meta;
  std::map<std::int64_t, migration_state> expected;  // every row of the report
  std::int64_t current_version;
  std::size_t without_checksum;
  std::size_t namespace_conflicts;
  bool current;
};

class status_cases : public testing::TestWithParam<status_case> {};

TEST_P(status_cases, computes_every_state) {
  const auto& c = GetParam();
  const auto set = set_of(c.files);
  const auto report = migrator::compute_status(set, history_of(c.applied, c.meta));
  std::map<std::int64_t, migration_state> states;
  std::int64_t previous = 0;
  for (const auto& m : report.migrations) {
    EXPECT_GT(m.version, previous) << "rows ascend by version";
    previous = m.version;
    states[m.version] = m.state;
  }
  EXPECT_EQ(states, c.expected);
  EXPECT_EQ(report.current_version, c.current_version);
  EXPECT_EQ(report.without_checksum, c.without_checksum);
  EXPECT_EQ(report.namespace_conflicts.size(), c.namespace_conflicts);
  EXPECT_EQ(report.current(), c.current);
  EXPECT_TRUE(report.history_exists);
}

constexpr auto applied = migration_state::applied;
constexpr auto pending = migration_state::pending;
constexpr auto modified = migration_state::modified;
constexpr auto dirty = migration_state::dirty;
constexpr auto unknown = migration_state::unknown;

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    table, status_cases,
    testing::Values(
        status_case{"empty_history_everything_pending", {1001, 2001}, {}, {},
                    {{1001, pending}, {2001, pending}}, 0, 0, 0, false},
        status_case{"all_applied_with_checksums_is_current", {1001, 2001}, {1001, 2001},
                    {{1001, "identity", "c1001"}, {2001, "billing", "c2001"}},
                    {{1001, applied}, {2001, applied}}, 2001, 0, 0, true},
        status_case{"lower_version_pending_below_the_current_one", {1001, 1002, 2001}, {1001, 2001},
                    {{1001, "identity", "c1001"}, {2001, "billing", "c2001"}},
                    {{1001, applied}, {1002, pending}, {2001, applied}}, 2001, 0, 0, false},
        status_case{"changed_checksum_is_modified", {1001}, {1001}, {{1001, "identity", "other"}},
                    {{1001, modified}}, 1001, 0, 0, false},
        status_case{"dirty_mark_without_goose_row_is_dirty", {1001, 1002}, {1001},
                    {{1001, "identity", "c1001"}, {1002, "identity", "c1002", true}},
                    {{1001, applied}, {1002, dirty}}, 1001, 0, 0, false},
        status_case{"applied_version_without_file_is_unknown", {1001}, {1001, 1005},
                    {{1001, "identity", "c1001"}, {1005, "identity", "c1005"}},
                    {{1001, applied}, {1005, unknown}}, 1005, 0, 0, false},
        status_case{"goose_rows_without_side_rows_count_as_without_checksum", {1001, 1002}, {1001, 1002}, {},
                    {{1001, applied}, {1002, applied}}, 1002, 2, 0, true},
        status_case{"side_row_without_checksum_counts_too", {1001}, {1001}, {{1001, "identity", ""}},
                    {{1001, applied}}, 1001, 1, 0, true},
        status_case{"side_row_left_after_goose_rolled_back_is_pending", {1001}, {},
                    {{1001, "identity", "c1001"}}, {{1001, pending}}, 0, 0, 0, false},
        status_case{"module_recorded_differs_from_namespace_owner", {1001, 2001}, {1001, 2001},
                    {{1001, "identity", "c1001"}, {2001, "organization", "c2001"}},
                    {{1001, applied}, {2001, applied}}, 2001, 0, 1, true},
        status_case{"unknown_version_outside_every_namespace_is_no_conflict", {1001}, {1001, 5001},
                    {{1001, "identity", "c1001"}, {5001, "fleet", "c5001"}},
                    {{1001, applied}, {5001, unknown}}, 5001, 0, 0, false}),
    [](const testing::TestParamInfo<status_case>& info) { return info.param.label; });
// clang-format on

TEST(status, missing_history_is_all_pending_and_not_current) {
  const auto report = migrator::compute_status(set_of({1001}), history_snapshot{});
  EXPECT_FALSE(report.history_exists);
  ASSERT_EQ(report.migrations.size(), 1u);
  EXPECT_EQ(report.migrations[0].state, pending);
  EXPECT_FALSE(report.current());
}

TEST(status, empty_set_and_empty_history_is_current) {
  EXPECT_TRUE(migrator::compute_status(module_set{}, history_snapshot{}).current());
}

TEST(status, rows_carry_what_the_history_recorded) {
  auto snap = history_of({1001}, {{1001, "identity", "c1001"}, {1002, "identity", "c1002", true}, {7001, "ops", "x"}});
  snap.applied.push_back({7001, 9, "2026-02-02 00:00:00"});
  const auto report = migrator::compute_status(set_of({1001, 1002}), snap);
  ASSERT_EQ(report.migrations.size(), 3u);
  const auto& applied_row = report.migrations[0];
  EXPECT_EQ(applied_row.applied_at, "2026-01-01 00:00:00");
  EXPECT_TRUE(applied_row.has_checksum);
  EXPECT_EQ(applied_row.path, "modules/identity/migrations/1001_m.sql");
  const auto& dirty_row = report.migrations[1];
  EXPECT_EQ(dirty_row.statements_done, 1);
  EXPECT_EQ(dirty_row.statements_total, 3);
  EXPECT_FALSE(dirty_row.applied_at.has_value());
  const auto& unknown_row = report.migrations[2];
  EXPECT_EQ(unknown_row.state, unknown);
  EXPECT_EQ(unknown_row.module, "ops") << "an unknown version takes its module from the history";
  EXPECT_EQ(unknown_row.name, "m7001");
  EXPECT_TRUE(unknown_row.path.empty());
  EXPECT_EQ(report.current_version, 7001);
}

// The snapshot given as an rvalue (engine::status) gives up its times: the
// same report, and the lvalue form leaves the caller's snapshot as it was.
TEST(status, a_snapshot_given_away_makes_the_report_a_kept_one_makes) {
  auto snap = history_of({1001}, {{1001, "identity", "c1001"}, {1002, "identity", "c1002", true}, {7001, "ops", "x"}});
  snap.applied.push_back({7001, 9, "2026-02-02 00:00:00"});
  const auto set = set_of({1001, 1002});
  const auto kept = migrator::compute_status(set, snap);
  ASSERT_EQ(snap.applied.size(), 2u);
  EXPECT_EQ(snap.applied[0].applied_at, "2026-01-01 00:00:00") << "a const snapshot is only read";
  auto moved_from = snap;
  const auto given = migrator::compute_status(set, std::move(moved_from));
  ASSERT_EQ(given.migrations.size(), kept.migrations.size());
  for (std::size_t i = 0; i < kept.migrations.size(); ++i) {
    EXPECT_EQ(given.migrations[i].version, kept.migrations[i].version);
    EXPECT_EQ(given.migrations[i].state, kept.migrations[i].state);
    EXPECT_EQ(given.migrations[i].applied_at, kept.migrations[i].applied_at) << kept.migrations[i].version;
    EXPECT_EQ(given.migrations[i].module, kept.migrations[i].module);
  }
  EXPECT_EQ(given.migrations[2].applied_at, "2026-02-02 00:00:00");
}

// Goose's rows come in id order: with allow-missing, an older version applied
// later comes after newer ones. Every order of the same rows is the same report.
TEST(status, the_order_of_goose_rows_does_not_change_the_report) {
  const auto set = set_of({1001, 1002, 1003, 2001, 2002});
  const std::vector<side> meta{{1001, "identity", "c1001"}, {1002, "identity", "other"}, {1003, "identity", "c1003"},
                               {2002, "billing", "c2002"}, {9001, "gone", "x"}};
  const auto ascending = migrator::compute_status(set, history_of({1001, 1002, 1003, 2002, 9001}, meta));
  for (const std::vector<std::int64_t>& order : std::vector<std::vector<std::int64_t>>{
           {2002, 1001, 1003, 1002, 9001}, {9001, 2002, 1003, 1002, 1001}, {1003, 1001, 9001, 1002, 2002}}) {
    const auto report = migrator::compute_status(set, history_of(order, meta));
    ASSERT_EQ(report.migrations.size(), ascending.migrations.size());
    for (std::size_t i = 0; i < report.migrations.size(); ++i) {
      SCOPED_TRACE(ascending.migrations[i].version);
      EXPECT_EQ(report.migrations[i].version, ascending.migrations[i].version);
      EXPECT_EQ(report.migrations[i].state, ascending.migrations[i].state);
      EXPECT_EQ(report.migrations[i].path, ascending.migrations[i].path);
    }
    EXPECT_EQ(report.current_version, 9001);
  }
  // What the rows say: 1002 modified, 2001 pending, 9001 unknown, the rest applied.
  std::map<std::int64_t, migration_state> states;
  for (const auto& m : ascending.migrations) states[m.version] = m.state;
  const std::map<std::int64_t, migration_state> expected{
      {1001, migration_state::applied}, {1002, migration_state::modified}, {1003, migration_state::applied},
      {2001, migration_state::pending}, {2002, migration_state::applied},  {9001, migration_state::unknown}};
  EXPECT_EQ(states, expected);
}

TEST(status, namespace_conflict_names_both_modules_and_the_range) {
  const auto report =
      migrator::compute_status(set_of({2001}), history_of({2001}, {{2001, "organization", "c2001"}}));
  ASSERT_EQ(report.namespace_conflicts.size(), 1u);
  const auto& text = report.namespace_conflicts[0];
  EXPECT_NE(text.find("version 2001"), std::string::npos) << text;
  EXPECT_NE(text.find("'organization'"), std::string::npos) << text;
  EXPECT_NE(text.find("2001-2999"), std::string::npos) << text;
  EXPECT_NE(text.find("'billing'"), std::string::npos) << text;
}

}  // namespace

namespace {

// repair VERSION clears a dirty version only; every other answer is a refusal
// (exit 4) that says what the version is.
TEST(status, dirty_for_repair_accepts_only_a_dirty_version) {
  const auto report = migrator::compute_status(
      set_of({1001, 1002, 1003}), history_of({1001}, {{1001, "identity", "c1001"}, {1002, "identity", "c1002", true}}));
  EXPECT_EQ(migrator::dirty_for_repair(report, 1002).version, 1002);
  const std::vector<std::pair<std::int64_t, std::string>> refused = {
      {1001, "version 1001 is not dirty (it is applied); repair VERSION only clears a dirty version"},
      {1003, "version 1003 is not dirty (it is pending); repair VERSION only clears a dirty version"},
      {4242, "version 4242 is not dirty (no such version); repair VERSION only clears a dirty version"},
  };
  for (const auto& [version, message] : refused) {
    try {
      migrator::dirty_for_repair(report, version);
      ADD_FAILURE() << version << " was accepted";
    } catch (const migrator::error& e) {
      EXPECT_EQ(e.code(), migrator::error_code::refused) << version;
      EXPECT_EQ(std::string(e.what()), message);
    }
  }
}

}  // namespace
