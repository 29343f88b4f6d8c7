// An engine opened only to read (backend_options::reads_only: `app migrate
// status` and `version`, a fleet's status and plan) skips the probe of standby
// and pooler, which only writing needs, and refuses to write.
//
// The probe is seen through a trap: the database's search_path puts public
// before pg_catalog, and public.pg_is_in_recovery() raises. A session that
// sends the probe fails on it; one that does not never calls the function.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "migrator/engine.h"
#include "test_support.h"
#include "two_table_set.h"

using namespace testing_support;
using ::testing::HasSubstr;

namespace {

class reads_only : public two_table_database {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(two_table_database::SetUp());
    // 01001 applied, 01002 pending, before the trap is set.
    migrator::engine(db.dsn(), set, {}).run({migrator::command_kind::up_to, 1001});
    db.exec("CREATE FUNCTION public.pg_is_in_recovery() RETURNS boolean LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the probe was sent'; END $$");
    db.exec("ALTER DATABASE " + db.name() + " SET search_path = public, pg_catalog");
  }

  // `app migrate COMMAND --dsn DB --modules-dir MODULES`.
  run_result app(const std::string& command) const {
    return run_app({"migrate", command, "--dsn", db.dsn(), "--modules-dir", modules.path().string()});
  }
};

TEST_F(reads_only, the_trap_catches_an_engine_that_probes) {
  try {
    migrator::engine e(db.dsn(), set, {});
    FAIL() << "a writing engine opened without its probe";
  } catch (const migrator::error& e) {
    EXPECT_THAT(e.what(), HasSubstr("the probe was sent"));
  }
}

TEST_F(reads_only, status_and_version_read_without_the_probe) {
  migrator::engine e(db.dsn(), set, reading());
  const auto report = e.status();
  EXPECT_EQ(report.current_version, 1001);
  ASSERT_EQ(report.migrations.size(), 2u);
  EXPECT_EQ(report.migrations[0].state, migrator::migration_state::applied);
  EXPECT_EQ(report.migrations[1].state, migrator::migration_state::pending);
  EXPECT_EQ(e.version_if_current(), std::nullopt);  // 01002 is pending
}

TEST_F(reads_only, an_engine_opened_to_read_refuses_every_write_before_any_statement) {
  migrator::engine e(db.dsn(), set, reading());
  const auto refused = [](const auto& write) {
    try {
      write();
      ADD_FAILURE() << "an engine opened to read wrote";
    } catch (const migrator::error& err) {
      EXPECT_EQ(err.code(), migrator::error_code::usage);
      EXPECT_THAT(err.what(), HasSubstr("opened only to read"));
      EXPECT_THAT(err.what(), HasSubstr("nothing was changed"));
    }
  };
  refused([&] { e.run({migrator::command_kind::up, 0}); });
  refused([&] { e.repair_checksums(); });
  refused([&] { e.repair_mark_applied(1002); });
  refused([&] { e.repair_mark_rolled_back(1001); });
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version WHERE version_id > 0"), "1");
}

// Settings have to know whether the session keeps them: the probe is sent then.
TEST_F(reads_only, with_session_settings_the_probe_is_still_sent) {
  auto options = reading();
  options.postgres.statement_timeout = std::chrono::milliseconds(60000);
  try {
    migrator::engine e(db.dsn(), set, options);
    FAIL() << "statement_timeout was set without knowing whether a pooler stands between";
  } catch (const migrator::error& e) {
    EXPECT_THAT(e.what(), HasSubstr("the probe was sent"));
  }
}

TEST_F(reads_only, the_app_reads_without_the_probe_and_writes_with_it) {
  for (const char* command : {"status", "version"}) {
    const auto r = app(command);
    EXPECT_EQ(r.code, 0) << command << ": " << r.err;
  }
  EXPECT_EQ(app("version").out, "1001\n");
  const auto up = app("up");
  EXPECT_NE(up.code, 0);
  EXPECT_THAT(up.err, HasSubstr("the probe was sent"));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version WHERE version_id > 0"), "1");
}

TEST_F(reads_only, a_fleets_status_and_plan_read_without_the_probe_and_its_up_writes_with_it) {
  temp_dir dir;
  scoped_env dsn("READS_ONLY_FLEET_DSN", db.dsn().c_str());
  const std::string fleet =
      dir.write("fleet.yaml", "targets:\n  - name: tenant\n    dsn_env: READS_ONLY_FLEET_DSN\n").string();
  const auto fleet_run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "migrate");
    args.insert(args.end(), {"--targets", fleet, "--modules-dir", modules.path().string()});
    return run_app(args);
  };
  const auto status = fleet_run({"status", "--json"});
  EXPECT_EQ(status.code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("\"version\": 1001"));
  const auto plan = fleet_run({"up", "--dry-run"});
  EXPECT_EQ(plan.code, 0) << plan.err;
  const auto up = fleet_run({"up"});
  EXPECT_NE(up.code, 0);
  EXPECT_THAT(up.out + up.err, HasSubstr("the probe was sent"));
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version WHERE version_id > 0"), "1");
}

}  // namespace
