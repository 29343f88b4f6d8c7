// The fix-it texts: each names the command that fixes the situation, with the
// right version and flag, and says what happened.
#include "engine/remedies.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <string>

namespace {

using migrator::direction;
using migrator::migration_state;
using migrator::migration_status;
using namespace migrator::detail;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(remedies, repair_command_picks_the_flag_of_the_direction) {
  EXPECT_EQ(repair_command(5003, direction::up), "'app migrate repair 5003 --mark-applied'");
  EXPECT_EQ(repair_command(5003, direction::down), "'app migrate repair 5003 --mark-rolled-back'");
}

TEST(remedies, drift_refusal_has_one_line_per_migration_with_its_fix) {
  migration_status modified;
  modified.module = "billing";
  modified.version = 2003;
  modified.path = "modules/billing/migrations/02003_prices.sql";
  modified.state = migration_state::modified;
  migration_status dirty;
  dirty.module = "identity";
  dirty.version = 1004;
  dirty.name = "index";  // no path: the name stands in
  dirty.state = migration_state::dirty;
  dirty.statements_done = 2;
  dirty.statements_total = 5;
  const std::string text = drift_refusal({&modified, &dirty});

  EXPECT_EQ(text.rfind("refusing to migrate: the database does not match its migrations:", 0), 0u) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  EXPECT_TRUE(contains(text, "\n  billing 2003 modules/billing/migrations/02003_prices.sql: modified since it was "
                             "applied"))
      << text;
  EXPECT_TRUE(contains(text, "app migrate create billing <title>")) << text;
  EXPECT_TRUE(contains(text, "--allow-drift")) << text;
  EXPECT_TRUE(contains(text, "\n  identity 1004 index: dirty: a NO TRANSACTION migration stopped after statement 2 "
                             "of 5"))
      << text;
  EXPECT_TRUE(contains(text, "'app migrate repair 1004 --mark-applied'")) << text;
  EXPECT_TRUE(contains(text, "'app migrate repair 1004 --mark-rolled-back'")) << text;
}

TEST(remedies, namespace_shift_refusal_lists_every_conflict_and_says_append_only) {
  const std::string text = namespace_shift_refusal({"version 2001 was applied by module 'a'", "version 2002 too"});
  EXPECT_EQ(text.rfind("refusing to write: the module order changed", 0), 0u) << text;
  EXPECT_TRUE(contains(text, "\n  version 2001 was applied by module 'a'\n  version 2002 too\n")) << text;
  EXPECT_TRUE(contains(text, "modules are append-only")) << text;
}

TEST(remedies, failure_texts_name_status_and_repair) {
  EXPECT_TRUE(contains(dirty_after_failure_remedy(3002), "'app migrate repair 3002 --mark-applied'"));
  EXPECT_TRUE(contains(dirty_after_failure_remedy(3002), "marked dirty"));
  EXPECT_TRUE(contains(in_doubt_commit_remedy(), "'app migrate status'"));
  EXPECT_TRUE(contains(in_doubt_commit_remedy(), "committed together or not at all"));
  const std::string recording = in_doubt_recording_remedy(3002, direction::down);
  EXPECT_TRUE(contains(recording, "'app migrate status'")) << recording;
  EXPECT_TRUE(contains(recording, "'app migrate repair 3002 --mark-rolled-back'")) << recording;
  const std::string failed = failed_recording_remedy(3002, direction::up);
  EXPECT_TRUE(contains(failed, "stays dirty")) << failed;
  EXPECT_TRUE(contains(failed, "'app migrate repair 3002 --mark-applied'")) << failed;
}

TEST(remedies, standby_refusal_says_read_only_standby_and_how_to_reach_the_primary) {
  const std::string text = standby_refusal();
  EXPECT_EQ(text.rfind("the server is a read-only standby", 0), 0u) << text;
  EXPECT_TRUE(contains(text, "nothing was changed")) << text;
  EXPECT_TRUE(contains(text, "the primary")) << text;
  EXPECT_TRUE(contains(text, "target_session_attrs=read-write")) << text;
}

TEST(remedies, interrupted_report_says_what_was_and_was_not_applied) {
  struct row {
    std::vector<std::string> applied;
    std::string in_flight;
    std::vector<std::string> not_started;
    std::string expected;
  };
  const row rows[] = {
      {{}, "", {}, "interrupted: no migration was completed by this run. The migration lock was released."},
      {{"applied a 1001 x"}, "a 1002 y was cancelled", {"a 1003 z", "a 1004 w"},
       "interrupted: completed before the signal: applied a 1001 x. a 1002 y was cancelled. Not started: a 1003 z, "
       "a 1004 w. The migration lock was released."},
      {{"applied a 1001 x", "applied a 1002 y"}, "", {"a 1003 z"},
       "interrupted: completed before the signal: applied a 1001 x, applied a 1002 y. Not started: a 1003 z. The "
       "migration lock was released."},
  };
  for (const auto& r : rows) EXPECT_EQ(interrupted_report(r.applied, r.in_flight, r.not_started), r.expected);
}

}  // namespace
