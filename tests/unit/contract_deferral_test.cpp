// Contract migrations without a database: the header annotation, what a
// build knows, and which pending steps `up` defers for which live builds.
#include <gtest/gtest.h>

#include "migrator/builds.h"
#include "migrator/parser.h"

namespace {

using migrator::live_build;
using migrator::plan_step;

migrator::migration file(std::int64_t version, const std::string& module, bool contract = false) {
  migrator::migration m;
  m.version = version;
  m.module = module;
  m.name = "m" + std::to_string(version);
  m.checksum = "c" + std::to_string(version);
  if (contract) m.contract = migrator::contract_marker{1};
  return m;
}

live_build build(const std::string& known, std::int64_t pid) {
  live_build b;
  b.known = migrator::parse_known_versions(known);
  b.pid = pid;
  b.host = "web";
  b.application_name = "app start";
  b.build_id = "b" + std::to_string(pid);
  return b;
}

std::string versions(const std::vector<plan_step>& steps) {
  std::string text;
  for (const auto& s : steps) text += (text.empty() ? "" : ",") + std::to_string(s.version);
  return text;
}

std::string deferred(const migrator::deferral& d) {
  std::string text;
  for (const auto& x : d.deferred) {
    text += (text.empty() ? "" : ",") + std::to_string(x.version);
    if (x.behind_contract) text += "<" + std::to_string(x.behind_contract);
    else {
      text += "[";
      for (const auto& b : x.waiting_for) text += std::to_string(b.pid) + " ";
      text += "]";
    }
  }
  return text;
}

TEST(contract_deferral_test, which_steps_wait_for_which_builds) {
  // alpha: 1002 expand, 1003 contract, 1004 later; beta: 2002 contract.
  const std::vector<migrator::migration> files{file(1002, "alpha"), file(1003, "alpha", true), file(1004, "alpha"),
                                               file(2002, "beta", true), file(2003, "beta")};
  struct row {
    const char* why;
    std::vector<live_build> live;
    const char* run;
    const char* deferred;
  };
  const std::vector<row> cases{
      {"no live build: everything runs", {}, "1002,1003,1004,2002,2003", ""},
      {"every live build knows both contracts", {build("alpha=1004,beta=2003", 1)}, "1002,1003,1004,2002,2003", ""},
      {"knowing the contract's version exactly is enough", {build("alpha=1003,beta=2002", 1)},
       "1002,1003,1004,2002,2003", ""},
      {"an old build holds alpha's contract and what follows it, not beta's",
       {build("alpha=1001,beta=2002", 7)}, "1002,2002,2003", "1003[7 ],1004<1003"},
      {"each contract names only the builds that do not know it",
       {build("alpha=1001,beta=2003", 7), build("alpha=1004,beta=2001", 8)}, "1002", "1003[7 ],1004<1003,2002[8 ],2003<2002"},
      {"a build without the module at all does not know its contract", {build("beta=2003", 9)},
       "1002,2002,2003", "1003[9 ],1004<1003"},
      {"a malformed registry entry knows nothing: the safe side", {build("alpha=x,beta", 3)}, "1002",
       "1003[3 ],1004<1003,2002[3 ],2003<2002"},
  };
  for (const auto& c : cases) {
    std::vector<plan_step> steps;
    for (const auto& f : files) steps.push_back({migrator::direction::up, f.version, &f});
    const auto d = migrator::defer_contracts(steps, c.live);
    EXPECT_EQ(versions(d.run), c.run) << c.why;
    EXPECT_EQ(deferred(d), c.deferred) << c.why;
  }
}

TEST(contract_deferral_test, down_steps_and_recorded_steps_are_never_deferred) {
  const auto contract = file(1003, "alpha", true);
  const std::vector<live_build> old{build("alpha=1001", 7)};
  const auto down = migrator::defer_contracts({{migrator::direction::down, 1003, &contract}}, old);
  EXPECT_EQ(versions(down.run), "1003");
  const auto stamp = migrator::defer_contracts({{migrator::direction::up, 1003, &contract, true}}, old);
  EXPECT_EQ(versions(stamp.run), "1003");
}

TEST(contract_deferral_test, the_log_line_names_the_builds) {
  const auto contract = file(1003, "alpha", true);
  auto b = build("alpha=1001", 4121);
  b.host = "web-3";
  b.application_name = "app start 1.4.0";
  b.build_id = "3f2a9c1d07be";
  const auto d = migrator::defer_contracts({{migrator::direction::up, 1003, &contract}}, {b});
  ASSERT_EQ(d.deferred.size(), 1u);
  EXPECT_EQ(d.deferred[0].describe(),
            "alpha 1003 m1003 (contract): waits for app start 1.4.0 on web-3 pid 4121 (build 3f2a9c1d07be)");
}

TEST(contract_deferral_test, known_versions_round_trip_and_the_build_id_follows_the_set) {
  migrator::module_set set;
  set.modules = {{"alpha", "alpha", "", 1}, {"beta", "beta", "", 2}, {"gamma", "gamma", "", 3}};
  set.migrations = {file(1001, "alpha"), file(1002, "alpha"), file(2001, "beta")};
  const auto known = migrator::known_versions_of(set);
  EXPECT_EQ(migrator::format_known_versions(known), "alpha=1002,beta=2001,gamma=0");
  EXPECT_EQ(migrator::parse_known_versions("alpha=1002,beta=2001,gamma=0"), known);
  const std::string id = migrator::build_id_of(set);
  EXPECT_EQ(id.size(), 12u);
  EXPECT_EQ(migrator::build_id_of(set), id) << "the same set, the same id";
  set.migrations[1].checksum = "edited";
  EXPECT_NE(migrator::build_id_of(set), id) << "an edited migration is another build";
}

TEST(contract_deferral_test, the_contract_annotation_in_the_header) {
  struct row {
    const char* text;
    int contract_line;  // 0: none
    const char* error;  // "" = none
  };
  const std::vector<row> cases{
      {"-- +migrator contract\n-- +goose Up\nSELECT 1;\n", 1, ""},
      {"-- drops what 1.3 reads\n--   +migrator   contract  \n-- +goose Up\nSELECT 1;\n", 2, ""},
      {"-- +goose Up\nSELECT 1;\n", 0, ""},
      {" -- +migrator contract\n-- +goose Up\n", 0,
       "c.sql:1: annotation must start at the beginning of the line: remove the whitespace before \"--\""},
      {"-- +migrator contract now\n-- +goose Up\n", 0,
       "c.sql:1: \"-- +migrator contract\" takes nothing after the word: \"now\" is extra"},
      {"-- +migrator contract\n-- +migrator contract\n-- +goose Up\n", 0,
       "c.sql:2: second contract annotation (the first is on line 1)"},
      {"-- +migrator baseline replaces 1001\n-- +migrator contract\n-- +goose Up\n", 0,
       "c.sql:2: a baseline cannot be a contract migration (the baseline annotation is on line 1): a baseline "
       "builds its module's schema, it removes nothing"},
      {"-- +migrator contracts\n-- +goose Up\n", 0, "c.sql:1: unknown annotation: expected"},
  };
  for (const auto& c : cases) {
    try {
      const auto header = migrator::read_migrator_header(c.text, "c.sql");
      EXPECT_STREQ(c.error, "") << c.text;
      EXPECT_EQ(header.contract ? header.contract->line : 0, c.contract_line) << c.text;
    } catch (const migrator::parse_error& e) {
      EXPECT_NE(std::string(c.error), "") << c.text << ": " << e.what();
      EXPECT_EQ(e.where().str().rfind(c.error, 0), 0u) << e.where().str();
    }
  }
}

TEST(contract_deferral_test, goose_reads_the_annotation_as_a_comment_and_after_up_it_is_refused) {
  const auto body = migrator::parse_migration("-- +migrator contract\n-- +goose Up\nALTER TABLE t DROP COLUMN c;\n",
                                              "c.sql", {});
  ASSERT_EQ(body.up.size(), 1u);
  EXPECT_EQ(body.up[0].sql, "ALTER TABLE t DROP COLUMN c;");
  EXPECT_THROW(migrator::parse_migration("-- +goose Up\n-- +migrator contract\nSELECT 1;\n", "c.sql", {}),
               migrator::parse_error);
}

}  // namespace
