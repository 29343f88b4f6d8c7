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

namespace {

migrator::migration billing_prices() {
  migrator::migration m;
  m.version = 2003;
  m.name = "prices";
  m.module = "billing";
  m.path = "modules/billing/migrations/02003_prices.sql";
  return m;
}

migrator::database_error server_error(const std::string& sqlstate, bool connection_lost) {
  migrator::error_details d;
  d.sqlstate = sqlstate;
  return migrator::database_error("relation \"prices\" does not exist", d, connection_lost);
}

TEST(remedies, transactional_failure_names_the_statement_and_says_nothing_was_applied) {
  const auto m = billing_prices();
  const std::vector<migrator::statement> statements = {{"CREATE TABLE a (id int)", 3},
                                                       {"INSERT INTO prices VALUES (1)\nRETURNING id", 5}};
  EXPECT_EQ(transactional_failure(m, direction::up, server_error("42P01", false), statements, 1, 5),
            "modules/billing/migrations/02003_prices.sql:5: migration 2003 (module billing) failed (up) at statement "
            "2 of 2 (\"INSERT INTO prices VALUES (1)\"): SQLSTATE 42P01: relation \"prices\" does not exist\n"
            "Nothing of migration 2003 (module billing) was applied.");
  EXPECT_EQ(transactional_failure(m, direction::down, server_error("", false), statements, std::nullopt, 0),
            "modules/billing/migrations/02003_prices.sql: migration 2003 (module billing) failed (down): relation "
            "\"prices\" does not exist\nNothing of migration 2003 (module billing) was rolled back.");
}

TEST(remedies, no_transaction_texts_say_which_statements_ran_and_how_to_repair) {
  const auto m = billing_prices();
  EXPECT_EQ(no_transaction_stopped(m, 0, 3),
            "billing 2003 prices (NO TRANSACTION) was stopped between statements: none of its 3 statements ran, "
            "progress recorded. " + dirty_after_failure_remedy(2003));
  EXPECT_EQ(no_transaction_stopped(m, 2, 3),
            "billing 2003 prices (NO TRANSACTION) was stopped between statements: statements 1..2 of 3 ran and stay "
            "applied, progress recorded. " + dirty_after_failure_remedy(2003));
  const std::vector<migrator::statement> statements = {{"CREATE INDEX CONCURRENTLY i ON a (id)", 4},
                                                       {"CREATE INDEX CONCURRENTLY j ON a (id)", 6}};
  EXPECT_EQ(no_transaction_statement_failure(m, direction::up, 6, 1, statements, server_error("", true)),
            "modules/billing/migrations/02003_prices.sql:6: migration 2003 (module billing) lost the connection to "
            "the database (up, NO TRANSACTION) at statement 2 of 2 (\"CREATE INDEX CONCURRENTLY j ON a (id)\"): "
            "relation \"prices\" does not exist\nStatements 1..1 ran and stay applied. Whether statement 2 ran is "
            "unknown. " + dirty_after_failure_remedy(2003));
}

TEST(remedies, run_failure_says_when_the_connection_was_lost) {
  EXPECT_EQ(run_failure(server_error("57P01", false)),
            "migration run failed: SQLSTATE 57P01: relation \"prices\" does not exist");
  EXPECT_EQ(run_failure(server_error("SQLITE_BUSY", true)),
            "migration run failed: the connection to the database was lost: SQLITE_BUSY: relation \"prices\" does "
            "not exist");
}

}  // namespace
