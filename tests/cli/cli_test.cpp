// The command line without a database: help with an example on every command,
// --version, "did you mean", usage errors and their exit code.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <sstream>
#include <thread>

#include "cli.h"
#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;

namespace {

const char* const every_migrate_command[] = {"up",      "up-by-one", "up-to",  "down",     "down-to",
                                             "redo",    "reset",     "status", "version",  "repair",
                                             "validate", "inspect",  "create", "schemas",  "equivalence"};

TEST(cli, top_level_help_lists_the_commands) {
  auto r = run_app({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("start"));
  EXPECT_THAT(r.out, HasSubstr("migrate"));
  EXPECT_THAT(r.out, HasSubstr("example"));
}

TEST(cli, no_arguments_is_a_usage_error) {
  auto r = run_app({});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("usage: app"));
}

TEST(cli, version) {
  auto r = run_app({"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, ::testing::MatchesRegex("app [0-9]+\\.[0-9]+\\.[0-9]+\n"));
}

TEST(cli, migrate_help_lists_every_command) {
  auto r = run_app({"migrate", "--help"});
  EXPECT_EQ(r.code, 0);
  for (const char* name : every_migrate_command) EXPECT_THAT(r.out, HasSubstr(std::string("  ") + name + " "));
  EXPECT_THAT(r.out, HasSubstr("--dsn"));
}

TEST(cli, every_command_has_help_with_an_example) {
  for (const char* name : every_migrate_command) {
    auto r = run_app({"migrate", name, "--help"});
    EXPECT_EQ(r.code, 0) << name;
    EXPECT_THAT(r.out, HasSubstr(std::string("usage: app migrate ") + name)) << name;
    EXPECT_THAT(r.out, HasSubstr("example:\n  app migrate " + std::string(name))) << name;
  }
  auto start = run_app({"start", "--help"});
  EXPECT_EQ(start.code, 0);
  EXPECT_THAT(start.out, HasSubstr("example:\n  app start"));
  EXPECT_THAT(start.out, HasSubstr("--once"));
}

TEST(cli, a_mistyped_command_gets_did_you_mean) {
  struct {
    std::vector<std::string> args;
    std::string suggestion;
  } cases[] = {
      {{"migrate", "stauts"}, "did you mean 'status'?"},
      {{"migrate", "up-by-on"}, "did you mean 'up-by-one'?"},
      {{"migrate", "valdate"}, "did you mean 'validate'?"},
      {{"migrte", "up"}, "did you mean 'migrate'?"},
      {{"strat"}, "did you mean 'start'?"},
  };
  for (const auto& c : cases) {
    auto r = run_app(c.args);
    EXPECT_EQ(r.code, 2) << c.args[0];
    EXPECT_THAT(r.err, HasSubstr(c.suggestion));
    EXPECT_TRUE(r.out.empty());
  }
}

TEST(cli, unknown_option_and_missing_argument_are_usage_errors) {
  auto unknown = run_app({"migrate", "status", "--jsn"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("usage: app migrate status"));
  auto missing = run_app({"migrate", "up-to"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_THAT(missing.err, HasSubstr("version"));
}

TEST(cli, global_options_may_come_before_the_command) {
  temp_dir dir;
  write_module_set(dir, {{"alpha", {{"01001_a.sql", migration_text("SELECT 1;")}}}});
  auto r = run_app({"migrate", "--modules-dir", dir.path().string(), "validate"});
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST(cli, help_never_shows_the_dsn_from_the_environment) {
  auto r = run_app_process({"migrate", "up", "--help"}, {{"DATABASE_URL", "postgresql://u:hunter2secret@h/db"}});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out + r.err, ::testing::Not(HasSubstr("hunter2secret")));
}

// Regression: the subcommand was removed from the arguments by value, so a
// global option's value spelled like it was removed instead.
TEST(cli, the_command_is_taken_from_its_position_not_by_its_name) {
  const std::string file = std::string(MIGRATOR_TESTDATA_DIR) + "/parser/accepted/02403_identity_transaction_by_default.sql";
  auto inspect = run_app({"migrate", "--table", "inspect", "--json", "inspect", file});
  EXPECT_EQ(inspect.code, 0) << inspect.err;
  EXPECT_THAT(inspect.out, HasSubstr("\"transaction\": true"));
  auto equals_form = run_app({"migrate", "--table=inspect", "inspect", "--json", file});
  EXPECT_EQ(equals_form.code, 0) << equals_form.err;
  EXPECT_EQ(equals_form.out, inspect.out);
  for (const std::vector<std::string>& args : {std::vector<std::string>{"migrate", "--table", "status", "--help", "status"},
                                               std::vector<std::string>{"migrate", "--table", "status", "status", "--help"},
                                               std::vector<std::string>{"migrate", "status", "--table", "status", "--help"}}) {
    auto help = run_app(args);
    EXPECT_EQ(help.code, 0) << help.err;
    EXPECT_THAT(help.out, HasSubstr("usage: app migrate status"));
  }
}

// A TCP server on 127.0.0.1 that accepts connections (the kernel completes the
// handshake) and never answers: to the client, a database that does not respond
// until its connect_timeout runs out.
class silent_server {
 public:
  silent_server() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
      throw std::runtime_error("silent_server: cannot listen on 127.0.0.1");
    port_ = ntohs(address.sin_port);
  }
  ~silent_server() { close(); }
  silent_server(const silent_server&) = delete;
  silent_server& operator=(const silent_server&) = delete;
  int port() const { return port_; }
  // Resets the waiting connections: a client still connecting fails at once.
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
  int port_ = 0;
};

// Regression: the connection is opened on another thread while the module set
// loads, and a broken set was reported only once that attempt gave up (after
// connect_timeout when the host does not answer). Here the server never answers
// while the app runs: the report must not depend on it. (A malformed file's text
// is parsed only when it is going to run, which needs the database to know; a
// layout problem, here a version outside the module's namespace, needs none.)
TEST(cli, a_broken_module_set_is_reported_without_waiting_for_the_connection) {
  temp_dir dir;
  write_module_set(dir, {{"alpha", {{"02001_a.sql", "-- +goose Up\nSELECT 1;\n"}}}});  // alpha owns 1001..1999
  silent_server server;
  const std::string dsn = "host=127.0.0.1 port=" + std::to_string(server.port()) + " connect_timeout=600";
  for (const char* command : {"up", "down", "redo", "reset"}) {
    SCOPED_TRACE(command);
    auto running = std::async(std::launch::async, [&] {
      return run_app({"migrate", command, "--dsn", dsn, "--modules-dir", dir.path().string()});
    });
    // A bound on the wait so that a regression fails instead of hanging for
    // connect_timeout; the app needs no server to find the problem.
    const bool finished = running.wait_for(std::chrono::seconds(120)) == std::future_status::ready;
    if (!finished) server.close();
    ASSERT_TRUE(finished) << "the app waited for the silent server";
    auto r = running.get();
    EXPECT_EQ(r.code, 1);
    EXPECT_THAT(r.err, HasSubstr("the module set has problems; nothing was changed"));
    EXPECT_THAT(r.err, HasSubstr("02001_a.sql: version 2001 is outside module 'alpha''s namespace 1001..1999"));
  }
  // The four connection attempts are still waiting on the silent server, on
  // their own threads. Once it goes away they must end; this process must not
  // reach exit under them (libpq's Kerberos state asserts in its exit-time
  // destructors, which main() avoids with _Exit and a test cannot).
  server.close();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (app::connections_in_flight() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(app::connections_in_flight()) << "a connection attempt outlived the server it waited on";
}

}  // namespace

TEST(cli, a_run_keeps_its_module_set_until_the_process_releases_it) {
  temp_dir dir;
  write_module_set(dir, {{"shop", {{"01001_a.sql", migration_text("CREATE TABLE a (id int);")}}}});
  const testing_support::refusing_port refusing;
  const std::string nobody = "host=127.0.0.1 port=" + std::to_string(refusing.port());
  app::release_kept_values();
  std::ostringstream out, err;
  const int code = app::run({"migrate", "status", "--dsn", nobody, "--modules-dir", dir.path().string()}, out, err);
  EXPECT_NE(code, 0) << "nothing listens there";
  EXPECT_EQ(app::kept_value_count(), 1u) << "main() leaves the set to the end of the process: " << err.str();
  app::release_kept_values();
  EXPECT_EQ(app::kept_value_count(), 0u);
  // run_app (the tests' in-process runner) releases after each run.
  run_app({"migrate", "status", "--dsn", nobody, "--modules-dir", dir.path().string()});
  EXPECT_EQ(app::kept_value_count(), 0u);
}
