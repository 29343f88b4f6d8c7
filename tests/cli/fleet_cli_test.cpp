// The fleet options of the app without a database: the progress text, and the
// usage and configuration errors that stop a run before anything connects.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fleet_progress.h"
#include "test_support.h"

namespace {

using namespace testing_support;
using ::testing::HasSubstr;
using std::chrono::milliseconds;

TEST(fleet_progress, text_with_an_eta_once_a_target_finished) {
  struct row {
    app::fleet_progress p;
    milliseconds elapsed;
    std::string expected;
  };
  const std::vector<row> rows = {
      {{0, 0, 0, 1000}, milliseconds(0), "fleet: 0/1000 done, 0 failed, 0 running, 0s elapsed"},
      {{0, 0, 8, 1000}, milliseconds(900), "fleet: 0/1000 done, 0 failed, 8 running, 0s elapsed"},
      {{250, 3, 8, 1000}, milliseconds(10000), "fleet: 250/1000 done, 3 failed, 8 running, 10s elapsed, ETA 30s"},
      {{100, 0, 8, 1000}, milliseconds(75000), "fleet: 100/1000 done, 0 failed, 8 running, 1m15s elapsed, ETA 11m15s"},
      {{10, 0, 1, 1000}, milliseconds(3600000), "fleet: 10/1000 done, 0 failed, 1 running, 1h elapsed, ETA 99h"},
      {{1000, 2, 0, 1000}, milliseconds(40000), "fleet: 1000/1000 done, 2 failed, 0 running, 40s elapsed"},
  };
  for (const auto& r : rows) EXPECT_EQ(app::progress_text(r.p, r.elapsed), r.expected);
}

TEST(fleet_cli, bad_options_and_files_exit_2_before_connecting) {
  temp_dir dir;
  scoped_env dsn("FLEET_CLI_DSN", "host=/nonexistent/socket dbname=x");
  const auto file = dir.write("fleet.yaml", "targets:\n  - name: a\n    dsn_env: FLEET_CLI_DSN\n").string();
  struct row {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<row> rows = {
      {{"migrate", "up", "--targets", file, "--shard", "3/3"}, "--shard '3/3': expected I/N with 0 <= I < N"},
      {{"migrate", "up", "--targets", file, "--canary", "0"}, "--canary 0: give a count of at least 1"},
      {{"migrate", "up", "--targets", file, "--canary", "blue"}, "no selected target is in group 'blue'"},
      {{"migrate", "up", "--targets", file, "--target", "b"}, "--target 'b': no such target in the fleet"},
      {{"migrate", "up", "--targets", file, "--jobs", "0"}, "--jobs: bad job count '0'"},
      {{"migrate", "up", "--targets", file, "--connect-timeout", "500ms"}, "--connect-timeout: the connect timeout must be at least 1s"},
      {{"migrate", "up", "--targets", (dir.path() / "none.yaml").string()}, "none.yaml: no such file"},
      {{"migrate", "redo", "--targets", file}, "redo does not run over a fleet"},
  };
  for (const auto& r : rows) {
    const auto result = run_app(r.args);
    EXPECT_EQ(result.code, 2) << r.message << "\n" << result.err;
    EXPECT_THAT(result.err, HasSubstr(r.message));
  }
}

TEST(fleet_cli, validate_checks_the_file_and_each_module_set_without_a_database) {
  temp_dir dir;
  scoped_env dsn("FLEET_CLI_DSN", "host=/nonexistent/socket dbname=x");
  write_module_set(dir, {{"core", {{"1001_a.sql", migration_text("CREATE TABLE a (id int);")}}}});
  const auto file = dir.write("fleet.yaml", "targets:\n  - name: a\n    dsn_env: FLEET_CLI_DSN\n    modules: .\n"
                                            "  - name: b\n    dsn_env: FLEET_CLI_DSN\n    modules: .\n")
                        .string();
  auto r = run_app({"migrate", "validate", "--targets", file});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ok: 1 modules, 1 migrations"));
  EXPECT_THAT(r.out, HasSubstr("targets a, b"));
  dir.write("core/migrations/1002_b.sql", "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n");
  r = run_app({"migrate", "validate", "--targets", file});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("1002_b.sql"));
}

}  // namespace
