// make_plan: a table of {available, applied, request} -> expected steps, covering
// every command kind, interleaved module namespaces and goose's allow-missing.
#include "migrator/planner.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "migrator/error.h"

namespace {

using migrator::applied_version;
using migrator::command_kind;
using migrator::direction;
using migrator::migration;
using migrator::plan_request;
using migrator::plan_step;

std::vector<migration> files(const std::vector<std::int64_t>& versions) {
  std::vector<migration> result;
  for (auto v : versions) {
    migration m;
    m.version = v;
    m.name = "m" + std::to_string(v);
    result.push_back(m);
  }
  return result;
}

// Applied versions in the order given: the first was applied first.
std::vector<applied_version> history(const std::vector<std::int64_t>& versions) {
  std::vector<applied_version> result;
  std::int64_t order = 0;
  for (auto v : versions) result.push_back({v, ++order});
  return result;
}

// "+2001" is an up step, "-2001" a down step.
std::vector<std::string> render(const std::vector<plan_step>& plan) {
  std::vector<std::string> out;
  for (const auto& s : plan) out.push_back((s.dir == direction::up ? "+" : "-") + std::to_string(s.version));
  return out;
}

struct plan_case {
  const char* label;
  std::vector<std::int64_t> available;
  std::vector<std::int64_t> applied;  // in application order
  plan_request request;
  std::vector<std::string> expected;
};

class plan_cases : public testing::TestWithParam<plan_case> {};

TEST_P(plan_cases, plans_the_expected_steps) {
  const auto& c = GetParam();
  const auto available = files(c.available);
  const auto plan = migrator::make_plan(available, history(c.applied), c.request);
  EXPECT_EQ(render(plan), c.expected);
  for (const auto& step : plan) {
    ASSERT_NE(step.file, nullptr);
    EXPECT_EQ(step.file->version, step.version);
    // The file points into `available`, not into a copy.
    EXPECT_GE(step.file, available.data());
    EXPECT_LT(step.file, available.data() + available.size());
  }
}

const plan_request up{command_kind::up, 0};
const plan_request up_by_one{command_kind::up_by_one, 0};
const plan_request down{command_kind::down, 0};
const plan_request redo{command_kind::redo, 0};
const plan_request reset{command_kind::reset, 0};
plan_request up_to(std::int64_t v) { return {command_kind::up_to, v}; }
plan_request down_to(std::int64_t v) { return {command_kind::down_to, v}; }

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    table, plan_cases,
    testing::Values(
        // up
        plan_case{"up_fresh_database", {1001, 2001, 3001}, {}, up, {"+1001", "+2001", "+3001"}},
        plan_case{"up_nothing_pending", {1001, 2001}, {1001, 2001}, up, {}},
        plan_case{"up_nothing_available", {}, {}, up, {}},
        plan_case{"up_allow_missing_applies_lower_version", {1001, 2001, 3001}, {1001, 3001}, up, {"+2001"}},
        plan_case{"up_interleaved_modules_ascending",
                  {1001, 2001, 2002, 3001, 3002, 7001},
                  {1001, 2001, 3001, 7001},
                  up,
                  {"+2002", "+3002"}},
        plan_case{"up_unsorted_available_is_sorted", {3001, 1001, 2001}, {}, up, {"+1001", "+2001", "+3001"}},
        plan_case{"up_skips_applied_version_without_file", {1001, 2001}, {1001, 1500}, up, {"+2001"}},
        plan_case{"up_never_plans_version_zero", {0, 1001}, {}, up, {"+1001"}},
        plan_case{"up_ignores_goose_initial_row", {1001}, {0}, up, {"+1001"}},
        // up_by_one
        plan_case{"up_by_one_lowest_pending", {1001, 2001, 3001}, {1001}, up_by_one, {"+2001"}},
        plan_case{"up_by_one_allow_missing", {1001, 2001, 3001}, {1001, 3001}, up_by_one, {"+2001"}},
        plan_case{"up_by_one_nothing_pending", {1001}, {1001}, up_by_one, {}},
        // up_to
        plan_case{"up_to_inclusive", {1001, 2001, 3001}, {}, up_to(2001), {"+1001", "+2001"}},
        plan_case{"up_to_between_versions", {1001, 2001, 3001}, {}, up_to(2500), {"+1001", "+2001"}},
        plan_case{"up_to_zero_plans_nothing", {1001}, {}, up_to(0), {}},
        plan_case{"up_to_allow_missing", {1001, 2001, 2002, 3001}, {1001, 3001}, up_to(2001), {"+2001"}},
        plan_case{"up_to_past_everything", {1001, 2001}, {1001}, up_to(99999), {"+2001"}},
        // down: by application order, not by version
        plan_case{"down_latest", {1001, 2001, 3001}, {1001, 2001, 3001}, down, {"-3001"}},
        plan_case{"down_by_application_order", {1001, 2001, 3001}, {1001, 3001, 2001}, down, {"-2001"}},
        plan_case{"down_nothing_applied", {1001}, {}, down, {}},
        plan_case{"down_only_initial_row", {1001}, {0}, down, {}},
        plan_case{"down_ignores_older_missing_file", {1001, 2001}, {1500, 1001, 2001}, down, {"-2001"}},
        // down_to: every applied version above the target, most recent first
        plan_case{"down_to_above_target", {1001, 2001, 3001}, {1001, 2001, 3001}, down_to(1001), {"-3001", "-2001"}},
        plan_case{"down_to_zero_is_everything", {1001, 2001}, {1001, 2001}, down_to(0), {"-2001", "-1001"}},
        plan_case{"down_to_interleaved_history",
                  {1001, 2001, 2002, 3001},
                  {1001, 2001, 3001, 2002},
                  down_to(2001),
                  {"-2002", "-3001"}},
        plan_case{"down_to_keeps_lower_version_applied_last",
                  {1001, 2001, 3001},
                  {1001, 3001, 2001},
                  down_to(2500),
                  {"-3001"}},
        plan_case{"down_to_at_current", {1001, 2001}, {1001, 2001}, down_to(2001), {}},
        plan_case{"down_to_missing_file_below_target_is_fine", {2001}, {1500, 2001}, down_to(1600), {"-2001"}},
        // redo
        plan_case{"redo_latest", {1001, 2001}, {1001, 2001}, redo, {"-2001", "+2001"}},
        plan_case{"redo_by_application_order", {1001, 2001, 3001}, {1001, 3001, 2001}, redo, {"-2001", "+2001"}},
        plan_case{"redo_nothing_applied", {1001}, {}, redo, {}},
        // reset
        plan_case{"reset_most_recent_first", {1001, 2001, 3001}, {1001, 3001, 2001}, reset,
                  {"-2001", "-3001", "-1001"}},
        plan_case{"reset_nothing_applied", {1001}, {}, reset, {}},
        plan_case{"reset_leaves_pending_alone", {1001, 2001}, {1001}, reset, {"-1001"}}),
    [](const testing::TestParamInfo<plan_case>& info) { return std::string(info.param.label); });
// clang-format on

struct failing_case {
  const char* label;
  std::vector<std::int64_t> available;
  std::vector<std::int64_t> applied;
  plan_request request;
  std::string message_part;
};

class failing_plans : public testing::TestWithParam<failing_case> {};

TEST_P(failing_plans, throws_a_plan_error_naming_the_cause) {
  const auto& c = GetParam();
  const auto available = files(c.available);
  try {
    migrator::make_plan(available, history(c.applied), c.request);
    FAIL() << "expected migrator::error";
  } catch (const migrator::error& e) {
    EXPECT_EQ(e.code(), migrator::error_code::plan);
    EXPECT_NE(std::string(e.what()).find(c.message_part), std::string::npos) << e.what();
  }
}

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    table, failing_plans,
    testing::Values(
        failing_case{"down_needs_missing_file", {1001}, {1001, 2500}, down, "2500"},
        failing_case{"redo_needs_missing_file", {1001}, {1001, 2500}, redo, "2500"},
        failing_case{"down_to_needs_missing_file", {1001, 3001}, {1001, 2500, 3001}, down_to(1001), "2500"},
        failing_case{"reset_names_every_missing_file", {1001}, {1500, 1001, 2500}, reset, "2500, 1500"},
        failing_case{"up_to_negative_target", {1001}, {}, up_to(-1), "-1"},
        failing_case{"down_to_negative_target", {1001}, {1001}, down_to(-5), "-5"}),
    [](const testing::TestParamInfo<failing_case>& info) { return std::string(info.param.label); });
// clang-format on

TEST(make_plan, duplicate_history_rows_count_once_at_their_latest_order) {
  const auto available = files({1001, 2001});
  // 1001 was applied, rolled back and applied again after 2001.
  std::vector<applied_version> applied{{1001, 1}, {2001, 2}, {1001, 3}};
  EXPECT_EQ(render(migrator::make_plan(available, applied, down)), std::vector<std::string>{"-1001"});
  EXPECT_EQ(render(migrator::make_plan(available, applied, reset)),
            (std::vector<std::string>{"-1001", "-2001"}));
}

TEST(make_plan, order_not_version_decides_with_sparse_ids) {
  const auto available = files({1001, 2001, 3001});
  std::vector<applied_version> applied{{3001, 10}, {1001, 42}, {2001, 7}};
  EXPECT_EQ(render(migrator::make_plan(available, applied, reset)),
            (std::vector<std::string>{"-1001", "-3001", "-2001"}));
}

}  // namespace

// parse_newest_while: bodies parsed newest first while the caller still waits.
namespace {

// Versions with the body text given (lazy: parsed on first use).
std::vector<migration> lazy_files(const std::vector<std::pair<std::int64_t, std::string>>& bodies) {
  std::vector<migration> result;
  for (const auto& [version, text] : bodies) {
    migration m;
    m.version = version;
    m.path = "m/migrations/" + std::to_string(version) + "_x.sql";
    m.set_text(text, nullptr);
    result.push_back(std::move(m));
  }
  return result;
}

const std::string good = "-- +goose Up\nSELECT 1;\n";
const std::string malformed = "-- +goose Up\nSELECT 1;\n-- +goose StatementEnd\n";

std::vector<bool> parsed(const std::vector<migration>& set) {
  std::vector<bool> out;
  for (const auto& m : set) out.push_back(m.parsed());
  return out;
}

TEST(parse_newest_while, parses_from_the_newest_until_told_to_stop) {
  const auto set = lazy_files({{1001, good}, {1002, good}, {2001, good}, {2002, good}});
  int asked = 0;
  EXPECT_EQ(migrator::parse_newest_while(set, [&] { return ++asked <= 2; }), 2u);
  EXPECT_EQ(parsed(set), (std::vector<bool>{false, false, true, true}));
  EXPECT_EQ(asked, 3) << "asked before each body, and once more to stop";
}

TEST(parse_newest_while, passes_over_parsed_bodies_and_leaves_a_malformed_one_to_the_run) {
  const auto set = lazy_files({{1001, good}, {1002, malformed}, {1003, good}});
  set[2].body();
  EXPECT_EQ(migrator::parse_newest_while(set, [] { return true; }), 1u);
  EXPECT_EQ(parsed(set), (std::vector<bool>{true, false, true}));
  // The run that plans 1002 parses it again and is told where it is malformed.
  try {
    set[1].body();
    FAIL() << "a malformed body parsed";
  } catch (const migrator::parse_error& e) {
    EXPECT_EQ(e.where().str().rfind("m/migrations/1002_x.sql:3: ", 0), 0u) << e.where().str();
  }
}

TEST(parse_newest_while, parses_nothing_when_the_wait_is_over) {
  const auto set = lazy_files({{1001, good}, {1002, good}});
  EXPECT_EQ(migrator::parse_newest_while(set, [] { return false; }), 0u);
  EXPECT_EQ(parsed(set), (std::vector<bool>{false, false}));
}

}  // namespace
