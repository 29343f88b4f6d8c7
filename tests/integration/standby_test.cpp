// A real streaming standby (pg_basebackup -R -X stream -c fast of a cluster of
// the test's own, on loopback: scripts/pg-standby). Reading commands work on
// the standby; every writing command refuses it before any statement (exit 7,
// CONTRACTS.md); a multi-host DSN with target_session_attrs=read-write lands on
// the primary, as libpq does it.
//
// Two suites: `standby` holds what works on the standby and through multi-host
// DSNs; `standby_refusal` holds the refusal contract (exit 7, "the server is a
// read-only standby", the target_session_attrs=read-write hint), which the
// engine implements on the `seams` branch.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <memory>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <regex>

#include "test_support.h"
#include "topology.h"

using namespace testing_support;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

std::string with_dbname(std::string dsn, const std::string& name) {
  const std::string from = "dbname=postgres";
  dsn.replace(dsn.find(from), from.size(), "dbname=" + name);
  return dsn;
}

class standby : public ::testing::Test {
 protected:
  scratch_cluster primary;
  std::unique_ptr<standby_cluster> replica;
  const std::string modules = std::string(MIGRATOR_SOURCE_DIR) + "/modules";

  // The primary holds `app` (part of the example modules applied: both `up`
  // and `down` have work) and `empty` (no history table); then the base backup.
  void SetUp() override {
    {
      pqxx::connection admin(primary.dsn());
      pqxx::nontransaction tx(admin);
      tx.exec("CREATE DATABASE app");
      tx.exec("CREATE DATABASE empty");
    }
    auto r = migrate_in(primary_db("app"), modules, {"up-to", "3001"});
    ASSERT_EQ(r.code, 0) << r.err;
    replica = std::make_unique<standby_cluster>(primary.dsn());
    ASSERT_TRUE(replica->catch_up(primary.dsn()));
  }

  std::string primary_db(const std::string& name) const { return with_dbname(primary.dsn(), name); }
  std::string standby_db(const std::string& name) const { return with_dbname(replica->dsn(), name); }

  // The binary, `migrate ARGS --dsn DSN --modules-dir <example modules>`.
  run_result migrate(const std::string& dsn, const std::vector<std::string>& args) const {
    std::vector<std::string> full{"migrate"};
    full.insert(full.end(), args.begin(), args.end());
    full.insert(full.end(), {"--dsn", dsn, "--modules-dir", modules});
    return run_app_process(full);
  }

  std::string scalar(const std::string& dsn, const std::string& sql) const {
    pqxx::connection c(dsn);
    pqxx::nontransaction tx(c);
    auto r = tx.exec(sql);
    return r[0][0].is_null() ? "" : r[0][0].c_str();
  }

  // A multi-host DSN that names the standby first.
  std::string standby_then_primary(const std::string& extra) const {
    return "host=127.0.0.1,127.0.0.1 port=" + replica->port() + "," + dsn_value(primary.dsn(), "port") +
           " user=postgres dbname=app " + extra;
  }
};

TEST_F(standby, the_standby_is_a_read_only_copy) {
  EXPECT_EQ(scalar(replica->dsn(), "SELECT pg_is_in_recovery()"), "t");
  EXPECT_EQ(scalar(standby_db("app"), "SELECT max(version_id) FROM goose_db_version"), "3001");
}

TEST_F(standby, status_and_version_work_on_the_standby) {
  auto status = migrate(standby_db("app"), {"status", "--json"});
  ASSERT_EQ(status.code, 0) << status.err;
  std::map<std::string, int> states;
  const auto parsed = nlohmann::json::parse(status.out);  // range-for over a temporary's member dangles
  for (const auto& m : parsed["migrations"]) ++states[m["state"].get<std::string>()];
  EXPECT_EQ(states["applied"], std::stoi(scalar(primary_db("app"), "SELECT count(*) FROM goose_db_version "
                                                                   "WHERE version_id > 0")));
  EXPECT_GT(states["pending"], 0);

  auto text = migrate(standby_db("app"), {"status"});
  EXPECT_EQ(text.code, 0) << text.err;
  EXPECT_TRUE(std::regex_search(text.out, std::regex(R"(\spending\s)"))) << text.out;
  // --exit-code reports "not current" (6), as on the primary: it is an answer, not a failure.
  EXPECT_EQ(migrate(standby_db("app"), {"status", "--exit-code"}).code, 6);

  auto version = migrate(standby_db("app"), {"version"});
  EXPECT_EQ(version.code, 0) << version.err;
  EXPECT_THAT(version.out, HasSubstr("3001"));
}

TEST_F(standby, status_and_version_on_a_standby_database_without_history) {
  auto status = migrate(standby_db("empty"), {"status", "--json"});
  EXPECT_EQ(status.code, 0) << status.err;
  auto version = migrate(standby_db("empty"), {"version"});
  EXPECT_EQ(version.code, 0) << version.err;
  EXPECT_EQ(scalar(standby_db("empty"), "SELECT to_regclass('goose_db_version') IS NULL"), "t");
}

TEST_F(standby, a_multi_host_dsn_with_target_session_attrs_read_write_lands_on_the_primary) {
  auto up = migrate(standby_then_primary("target_session_attrs=read-write"), {"up"});
  ASSERT_EQ(up.code, 0) << up.err;
  const std::string highest = scalar(primary_db("app"), "SELECT max(version_id) FROM goose_db_version");
  EXPECT_GT(std::stoi(highest), 3001);
  auto current = migrate(standby_then_primary("target_session_attrs=read-write"), {"status", "--exit-code"});
  EXPECT_EQ(current.code, 0) << current.out << current.err;

  // The URI form of the same, then the standby sees it all once it has replayed.
  const std::string uri = "postgresql://127.0.0.1:" + replica->port() + ",127.0.0.1:" +
                          dsn_value(primary.dsn(), "port") + "/app?user=postgres&target_session_attrs=read-write";
  auto down = migrate(uri, {"down"});
  ASSERT_EQ(down.code, 0) << down.err;
  auto again = migrate(uri, {"up"});
  ASSERT_EQ(again.code, 0) << again.err;
  ASSERT_TRUE(replica->catch_up(primary.dsn()));
  EXPECT_EQ(scalar(standby_db("app"), "SELECT max(version_id) FROM goose_db_version"), highest);
  EXPECT_EQ(migrate(standby_db("app"), {"status", "--exit-code"}).code, 0);
}

// ---- the refusal contract (waits for the engine side: seams) ---------------------

using standby_refusal = standby;

// Lines the standby logged for statements (log_statement = all) since `from` bytes.
std::vector<std::string> logged_since(const std::filesystem::path& log, std::size_t from) {
  std::string text = read_file(log).substr(from);
  std::vector<std::string> lines;
  std::size_t at = 0;
  while (at < text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return lines;
}

TEST_F(standby_refusal, every_writing_command_fails_before_any_statement_with_exit_7) {
  // Every statement the tool sends to the standby is logged.
  {
    pqxx::connection c(replica->dsn());
    pqxx::nontransaction tx(c);
    tx.exec("ALTER SYSTEM SET log_statement = 'all'");
    tx.exec("SELECT pg_reload_conf()");
  }
  // The reload is asynchronous: wait until a new session has it, or no line below would be logged.
  {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::string setting;
    while ((setting = scalar(standby_db("app"), "SHOW log_statement")) != "all" &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_EQ(setting, "all") << "log_statement never took effect on the standby";
  }
  const std::string before = scalar(standby_db("app"), "SELECT string_agg(version_id::text, ',' ORDER BY id) "
                                                       "FROM goose_db_version");
  const std::vector<std::vector<std::string>> commands{
      {"up"}, {"up-by-one"}, {"up-to", "7002"}, {"down"}, {"down-to", "0"}, {"redo"}, {"reset"},
      {"repair", "3001", "--mark-applied"}, {"repair", "3001", "--mark-rolled-back"}, {"repair", "--checksums"}};
  for (const auto& command : commands) {
    SCOPED_TRACE(testing::PrintToString(command));
    const auto log_size = std::filesystem::file_size(replica->log_file());
    auto r = migrate(standby_db("app"), command);
    EXPECT_EQ(r.code, 7) << r.err;
    EXPECT_THAT(r.err, HasSubstr("the server is a read-only standby"));
    EXPECT_THAT(r.err, HasSubstr("target_session_attrs=read-write"));
    // Not the server's refusal of a statement it was sent.
    EXPECT_THAT(r.err, Not(HasSubstr("read-only transaction")));
    EXPECT_THAT(r.err, Not(HasSubstr("25006")));
    // Every line: a multi-line batch continues on lines without "statement:".
    static const std::regex writing(R"(\b(CREATE|ALTER|DROP|INSERT|UPDATE|DELETE|TRUNCATE|COMMENT|GRANT|LOCK)\b)",
                                    std::regex::icase);
    // The tool asks the server what it is before refusing: with log_statement = all at
    // least that is logged. None logged means the check below looked at nothing.
    const auto lines = logged_since(replica->log_file(), log_size);
    const auto statements =
        std::count_if(lines.begin(), lines.end(), [](const std::string& l) { return l.find("statement:") != std::string::npos; });
    EXPECT_GT(statements, 0) << "the standby logged no statement of the tool";
    for (const auto& line : lines) {
      EXPECT_THAT(line, Not(HasSubstr("ERROR:"))) << "the standby refused something the tool sent";
      EXPECT_FALSE(std::regex_search(line, writing)) << "sent to the standby: " << line;
    }
  }
  EXPECT_EQ(scalar(standby_db("app"), "SELECT string_agg(version_id::text, ',' ORDER BY id) FROM goose_db_version"),
            before);
}

TEST_F(standby_refusal, a_multi_host_dsn_without_target_session_attrs_that_lands_on_the_standby_is_refused) {
  auto r = migrate(standby_then_primary(""), {"up"});
  EXPECT_EQ(r.code, 7) << r.err;
  EXPECT_THAT(r.err, HasSubstr("the server is a read-only standby"));
  EXPECT_THAT(r.err, HasSubstr("target_session_attrs=read-write"));
  EXPECT_EQ(scalar(primary_db("app"), "SELECT max(version_id) FROM goose_db_version"), "3001");
}

}  // namespace
