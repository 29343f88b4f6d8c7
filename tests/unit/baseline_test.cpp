// Baselines without a database: the annotation (a table of lines), the parser
// and assembler rules around it, and the three kinds of database as the
// planner and status see them (a table of histories).
#include "migrator/baseline.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "format/annotation.h"
#include "migrator/assembler.h"
#include "migrator/error.h"
#include "migrator/parser.h"
#include "migrator/planner.h"
#include "migrator/status.h"

namespace {

using migrator::baseline_history;
using migrator::command_kind;
using migrator::migration;
using migrator::plan_request;

using versions = std::vector<std::int64_t>;

// ---------------------------------------------------------------------------
// The annotation line.

TEST(BaselineAnnotation, WhichLinesAreOurs) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"-- +migrator baseline replaces 4001", true},
      {"--+migrator baseline replaces 4001", true},
      {"  -- +migrator baseline", true},  // ours, refused later for its indentation
      {"-- the +migrator baseline annotation", false},  // a comment that mentions it
      {"-- +goose Up", false},
      {"SELECT 1; -- +migrator", false},
  };
  for (const auto& [line, expected] : cases) {
    SCOPED_TRACE(line);
    EXPECT_EQ(migrator::parsing::is_migrator_annotation_line(line), expected);
    // goose's rule: a line is goose's annotation only with "+goose" in it, so
    // every line of ours is a plain comment to goose.
    if (expected) {
      EXPECT_FALSE(migrator::parsing::is_annotation_line(line));
    }
  }
}

struct annotation_case {
  std::string line;
  std::variant<versions, std::string> expected;  // the versions, or a part of the message
};

TEST(BaselineAnnotation, Table) {
  const std::vector<annotation_case> cases = {
      {"-- +migrator baseline replaces 4001", versions{4001}},
      {"-- +migrator baseline replaces 4001-4003", versions{4001, 4002, 4003}},
      {"-- +migrator baseline replaces 4001-4002,4005", versions{4001, 4002, 4005}},
      {"-- +migrator baseline replaces 4005, 4001 - 4002", versions{4001, 4002, 4005}},  // sorted, spaces ok
      {"-- +migrator baseline replaces 4001-4001", versions{4001}},
      {"-- +migrator baseline replaces", std::string("must list the versions it replaces")},
      {"-- +migrator baseline", std::string("unknown annotation")},
      {"-- +migrator squash 4001", std::string("unknown annotation")},
      {"-- +migrator baseline replaces 4003-4001", std::string("runs backwards")},
      {"-- +migrator baseline replaces 4001,4001", std::string("version 4001 is listed twice")},
      {"-- +migrator baseline replaces 4001-4003,4002", std::string("version 4002 is listed twice")},
      {"-- +migrator baseline replaces x", std::string("\"x\" is not a version")},
      {"-- +migrator baseline replaces 0", std::string("\"0\" is not a version")},
      {"-- +migrator baseline replaces 4001,", std::string("\"\" is not a version")},
      {"-- +migrator baseline replaces 1-5000", std::string("wider than a module's namespace")},
      {" -- +migrator baseline replaces 4001", std::string("must start at the beginning of the line")},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    const auto got = migrator::parsing::extract_baseline_annotation(c.line);
    if (const auto* want = std::get_if<versions>(&c.expected)) {
      ASSERT_TRUE(std::holds_alternative<versions>(got)) << std::get<std::string>(got);
      EXPECT_EQ(std::get<versions>(got), *want);
    } else {
      ASSERT_TRUE(std::holds_alternative<std::string>(got));
      EXPECT_NE(std::get<std::string>(got).find(std::get<std::string>(c.expected)), std::string::npos)
          << std::get<std::string>(got);
    }
  }
}

TEST(BaselineAnnotation, WrittenFormReadsBack) {
  const versions v{4001, 4002, 4003, 4005, 4007, 4008};
  EXPECT_EQ(migrator::baseline_annotation(v), "-- +migrator baseline replaces 4001-4003,4005,4007-4008");
  const auto back = migrator::parsing::extract_baseline_annotation(migrator::baseline_annotation(v));
  ASSERT_TRUE(std::holds_alternative<versions>(back));
  EXPECT_EQ(std::get<versions>(back), v);
  EXPECT_EQ(migrator::format_versions({}), "");
  EXPECT_EQ(migrator::format_versions({7}), "7");
}

// ---------------------------------------------------------------------------
// The parser.

const migrator::env_lookup no_env;

TEST(BaselineParser, MarkerBeforeUpIsRead) {
  const std::string text =
      "-- a baseline\r\n-- +goose NO TRANSACTION\n-- +migrator baseline replaces 4001-4002\n\n-- +goose Up\n"
      "CREATE TABLE t (id int);\n";
  const auto marker = migrator::read_baseline_marker(text, "b.sql");
  ASSERT_TRUE(marker);
  EXPECT_EQ(marker->replaces, (versions{4001, 4002}));
  EXPECT_EQ(marker->line, 3);
  const auto body = migrator::parse_migration(text, "b.sql", no_env);
  ASSERT_EQ(body.up.size(), 1u);
  EXPECT_EQ(body.up[0].sql, "CREATE TABLE t (id int);");  // the annotation is no part of any statement
}

TEST(BaselineParser, NoMarker) {
  EXPECT_FALSE(migrator::read_baseline_marker("-- +goose Up\nSELECT 1;\n", "a.sql"));
  // After Up it is no header line: read_baseline_marker stops there, the parser refuses it.
  EXPECT_FALSE(migrator::read_baseline_marker("-- +goose Up\n-- +migrator baseline replaces 1\n", "a.sql"));
  EXPECT_FALSE(migrator::read_baseline_marker("SELECT 1;\n-- +migrator baseline replaces 1\n", "a.sql"));
}

TEST(BaselineParser, Rejected) {
  struct rejected {
    std::string text;
    std::string message;
    bool by_parser;  // else by read_baseline_marker
  };
  const std::vector<rejected> cases = {
      {"-- +goose Up\n-- +migrator baseline replaces 4001\nSELECT 1;\n",
       "b.sql:2: \"-- +migrator\" annotations go before \"-- +goose Up\" (line 1)", true},
      {"-- +migrator baseline replaces 4001\n-- +migrator baseline replaces 4002\n-- +goose Up\nSELECT 1;\n",
       "b.sql:2: second baseline annotation (the first is on line 1)", false},
      {"\n-- +migrator baseline replaces 4002-4001\n-- +goose Up\nSELECT 1;\n", "b.sql:2: range \"4002-4001\"", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    try {
      if (c.by_parser)
        migrator::parse_migration(c.text, "b.sql", no_env);
      else
        migrator::read_baseline_marker(c.text, "b.sql");
      ADD_FAILURE() << "accepted";
    } catch (const migrator::parse_error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(c.message, 0), 0u) << e.what();
    }
  }
}

// ---------------------------------------------------------------------------
// The assembler.

migrator::source_tree billing_tree(const std::vector<std::pair<std::string, std::string>>& files) {
  migrator::source_tree tree;
  tree.root = "modules";
  tree.manifest_path = "modules/modules.yaml";
  tree.manifest_text = "modules:\n  - name: db\n  - name: identity\n  - name: org\n  - name: billing\n";
  for (const char* name : {"db", "identity", "org"}) tree.folders.push_back({name, true, {}});
  migrator::source_folder billing{"billing", true, {}};
  for (const auto& [file, content] : files) billing.files.push_back({"modules/billing/migrations/" + file, content});
  tree.folders.push_back(billing);
  return tree;
}

const std::string plain = "-- +goose Up\nSELECT 1;\n";
const std::string baseline_4003 = "-- +migrator baseline replaces 4001-4002\n-- +goose Up\nSELECT 1;\n";

std::vector<std::string> problems_of(const migrator::assembly& a) {
  std::vector<std::string> out;
  for (const auto& p : a.problems) out.push_back(p.str());
  return out;
}

TEST(BaselineAssembler, BaselineWithLaterMigrationsIsValid) {
  const auto a = migrator::assemble(billing_tree({{"04003_baseline.sql", baseline_4003}, {"04004_next.sql", plain}}), no_env);
  EXPECT_TRUE(a.ok()) << testing::PrintToString(problems_of(a));
  ASSERT_EQ(a.set.migrations.size(), 2u);
  ASSERT_TRUE(a.set.migrations[0].baseline);
}

TEST(BaselineAssembler, Problems) {
  struct problem_case {
    std::vector<std::pair<std::string, std::string>> files;
    std::vector<std::string> expected;
  };
  const std::vector<problem_case> cases = {
      // squash leaves the old files: each is named, to be deleted
      {{{"04001_a.sql", plain}, {"04002_b.sql", plain}, {"04003_baseline.sql", baseline_4003}},
       {"modules/billing/migrations/04001_a.sql: is replaced by baseline modules/billing/migrations/"
        "04003_baseline.sql: delete it (the baseline holds its schema)",
        "modules/billing/migrations/04002_b.sql: is replaced by baseline modules/billing/migrations/"
        "04003_baseline.sql: delete it (the baseline holds its schema)"}},
      // an earlier file the baseline does not list
      {{{"04003_baseline.sql", "-- +migrator baseline replaces 4001\n-- +goose Up\nSELECT 1;\n"},
        {"04002_b.sql", plain}},
       {"modules/billing/migrations/04002_b.sql: is older than baseline modules/billing/migrations/"
        "04003_baseline.sql but not among the versions it replaces (4001): a baseline replaces every earlier "
        "migration of its module"}},
      // versions outside the module, or not earlier than the baseline
      {{{"04003_baseline.sql", "-- +migrator baseline replaces 3001-3002\n-- +goose Up\nSELECT 1;\n"}},
       {"modules/billing/migrations/04003_baseline.sql:1: baseline 4003 may replace only earlier versions of "
        "module 'billing' (4001..4002), not 3001"}},
      {{{"04003_baseline.sql", "-- +migrator baseline replaces 4001-4003\n-- +goose Up\nSELECT 1;\n"}},
       {"modules/billing/migrations/04003_baseline.sql:1: baseline 4003 may replace only earlier versions of "
        "module 'billing' (4001..4002), not 4003"}},
  };
  for (const auto& c : cases) {
    const auto a = migrator::assemble(billing_tree(c.files), no_env);
    EXPECT_EQ(problems_of(a), c.expected);
  }
}

// ---------------------------------------------------------------------------
// The three kinds of database: planner and status from the same histories.

std::vector<migration> billing_files() {
  std::vector<migration> files;
  migration b;
  b.version = 4017;
  b.name = "baseline";
  b.module = "billing";
  b.path = "modules/billing/migrations/04017_baseline.sql";
  b.baseline = migrator::baseline_marker{{4001, 4002, 4003, 4005}, 1};
  files.push_back(b);
  migration next;
  next.version = 4018;
  next.name = "next";
  next.module = "billing";
  next.path = "modules/billing/migrations/04018_next.sql";
  files.push_back(next);
  return files;
}

std::vector<migrator::applied_version> history(const versions& v) {
  std::vector<migrator::applied_version> out;
  std::int64_t order = 0;
  for (auto x : v) out.push_back({x, ++order});
  return out;
}

// "+4017" runs, "=4017" records without running, "-4017" rolls back.
std::vector<std::string> render(const std::vector<migrator::plan_step>& plan) {
  std::vector<std::string> out;
  for (const auto& s : plan)
    out.push_back((s.dir == migrator::direction::down ? "-" : s.record_only ? "=" : "+") + std::to_string(s.version));
  return out;
}

struct kind_case {
  const char* label;
  versions applied;
  plan_request request;
  std::vector<std::string> plan;  // empty with `refusal`
  std::string refusal;            // part of the refusal, or empty
};

TEST(BaselinePlanner, ThreeKindsOfDatabase) {
  const plan_request up{command_kind::up, 0};
  const std::vector<kind_case> cases = {
      {"fresh: runs the baseline, then the rest", {}, up, {"+4017", "+4018"}, ""},
      {"fresh, other modules applied", {1001, 2001}, up, {"+4017", "+4018"}, ""},
      {"fresh, up-to the baseline", {}, {command_kind::up_to, 4017}, {"+4017"}, ""},
      {"fresh, up-by-one", {}, {command_kind::up_by_one, 0}, {"+4017"}, ""},
      {"complete: records the baseline", {4001, 4002, 4003, 4005}, up, {"=4017", "+4018"}, ""},
      {"complete, interleaved with others", {4001, 1001, 4002, 4003, 2001, 4005}, up, {"=4017", "+4018"}, ""},
      {"baseline applied: only what follows", {4017}, up, {"+4018"}, ""},
      {"adopted baseline applied", {4001, 4002, 4003, 4005, 4017}, up, {"+4018"}, ""},
      {"partial: refused", {4001, 4002}, up, {}, "version(s) 4003, 4005 missing, 4001-4002 applied"},
      {"partial: up-by-one refused too", {4005}, {command_kind::up_by_one, 0}, {}, "4001-4003 missing"},
      {"partial, up-to below the baseline: nothing to refuse", {4001}, {command_kind::up_to, 4016}, {}, ""},
      {"partial, rolling back is not refused", {4001, 4002}, {command_kind::down, 0}, {}, "no migration file"},
      {"down of the baseline", {4001, 4002, 4003, 4005, 4017}, {command_kind::down, 0}, {"-4017"}, ""},
      {"stamp records everything up to V", {}, {command_kind::stamp, 4017}, {"=4017"}, ""},
      {"stamp ignores a partial history", {4001}, {command_kind::stamp, 4018}, {"=4017", "=4018"}, ""},
      {"stamp skips applied versions", {4017}, {command_kind::stamp, 4018}, {"=4018"}, ""},
      {"stamp of an unknown version", {}, {command_kind::stamp, 4016}, {}, "no migration in the module set has version 4016"},
  };
  const auto files = billing_files();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label);
    try {
      const auto plan = migrator::make_plan(files, history(c.applied), c.request);
      EXPECT_TRUE(c.refusal.empty()) << "planned " << testing::PrintToString(render(plan));
      EXPECT_EQ(render(plan), c.plan);
    } catch (const migrator::error& e) {
      ASSERT_FALSE(c.refusal.empty()) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.refusal), std::string::npos) << e.what();
    }
  }
}

TEST(BaselinePlanner, PartialRefusalNamesTheWaysOut) {
  const auto files = billing_files();
  try {
    migrator::make_plan(files, history({4001, 4003}), {command_kind::up, 0});
    FAIL() << "planned";
  } catch (const migrator::error& e) {
    EXPECT_EQ(e.code(), migrator::error_code::refused);
    const std::string m = e.what();
    EXPECT_NE(m.find("module billing"), std::string::npos) << m;
    EXPECT_NE(m.find("baseline 4017 (modules/billing/migrations/04017_baseline.sql)"), std::string::npos) << m;
    EXPECT_NE(m.find("version(s) 4002, 4005 missing, 4001, 4003 applied"), std::string::npos) << m;
    EXPECT_NE(m.find("older build that still has migrations 4001-4003, 4005"), std::string::npos) << m;
    EXPECT_NE(m.find("recreate the database"), std::string::npos) << m;
  }
}

migrator::history_snapshot snapshot(const versions& v) {
  migrator::history_snapshot snap;
  snap.exists = true;
  std::int64_t id = 0;
  for (auto x : v) snap.applied.push_back({x, ++id, "2026-01-01 00:00:00"});
  return snap;
}

TEST(BaselineStatus, ShowsWhatUpWillDo) {
  migrator::module_set set;
  set.modules.push_back({"billing", "billing", "", 4});
  set.migrations = billing_files();
  struct status_case {
    versions applied;
    std::optional<baseline_history> kind;  // of the baseline row; nullopt once applied
    std::size_t replaced_rows;
    std::size_t refusals;
    bool current;
  };
  const std::vector<status_case> cases = {
      {{}, baseline_history::fresh, 0, 0, false},
      {{4001, 4002, 4003, 4005}, baseline_history::complete, 4, 0, false},
      {{4001, 4005}, baseline_history::partial, 2, 1, false},
      {{4001, 4002, 4003, 4005, 4017, 4018}, std::nullopt, 4, 0, true},
      {{4017, 4018}, std::nullopt, 0, 0, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.applied));
    const auto report = migrator::compute_status(set, snapshot(c.applied));
    const auto& row = *std::find_if(report.migrations.begin(), report.migrations.end(),
                                    [](const auto& m) { return m.version == 4017; });
    ASSERT_EQ(row.baseline.has_value(), c.kind.has_value());
    if (c.kind) {
      EXPECT_EQ(row.baseline->kind, *c.kind);
    }
    const auto replaced = std::count_if(report.migrations.begin(), report.migrations.end(), [](const auto& m) {
      return m.state == migrator::migration_state::replaced;
    });
    EXPECT_EQ(static_cast<std::size_t>(replaced), c.replaced_rows);
    for (const auto& m : report.migrations)
      if (m.state == migrator::migration_state::replaced) {
        EXPECT_EQ(m.module, "billing");
      }
    EXPECT_EQ(report.baseline_refusals.size(), c.refusals);
    EXPECT_EQ(report.current(), c.current);
  }
}

}  // namespace
