// The password never shows. Every CLI invocation of this suite carries a DSN
// with a password and is scanned (reliability::scan: the raw and the
// percent-encoded password, in stdout and stderr); this test adds the error
// paths where a DSN is most likely to be echoed: unreachable host, unknown
// database, malformed DSNs, DSNs from the environment, refused and failed runs,
// a lock timeout, usage errors and --help.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "reliability.h"

using namespace reliability;
using testing_support::migration_text;
using testing_support::test_database;

namespace {

struct secret_case {
  std::string name;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  int expected_code;  // -1: any failure (non-zero, not a crash); -2: any outcome but a crash
};

bool help_mentions(const std::vector<std::string>& command, const std::string& option) {
  auto args = command;
  args.push_back("--help");
  auto r = testing_support::run_app_process(args);
  return r.out.find(option) != std::string::npos;
}

// The detector itself: it must see the password in every form a DSN can carry it.
TEST(reliability_secrets, the_scan_sees_the_password_in_every_form) {
  EXPECT_EQ(leaked_secret("connection to postgresql://u:S3cr3t-p%40ss@h/db failed"), "S3cr3t");
  EXPECT_EQ(leaked_secret("host=h password=S3cr3t-p@ss dbname=x"), "S3cr3t");
  EXPECT_EQ(leaked_secret("password=s3cr3t-p@ss"), "s3cr3t");
  EXPECT_EQ(leaked_secret("...t-p@ss"), "p@ss");
  EXPECT_EQ(leaked_secret("postgresql://u:****@h/db"), "");
  EXPECT_EQ(sanitizer_report("==1==ERROR: AddressSanitizer: heap-use-after-free"), "AddressSanitizer");
  EXPECT_EQ(sanitizer_report("engine.cpp:12:3: runtime error: signed integer overflow"), "runtime error:");
}

TEST(reliability_secrets, the_password_never_appears_in_any_output) {
  ensure_secret_role(testing_support::admin_dsn());
  test_database db;
  temp_dir modules;
  testing_support::write_module_set(
      modules, {{"core", {{"01001_init.sql", migration_text("CREATE TABLE secret_probe (id int);", "DROP TABLE secret_probe;")}}}});
  temp_dir failing;
  testing_support::write_module_set(
      failing, {{"core", {{"01001_init.sql", migration_text("CREATE TABLE secret_probe (id int);", "DROP TABLE secret_probe;")},
                          {"01002_bad.sql", migration_text("INSERT INTO no_such_table VALUES (1);")}}}});
  temp_dir broken;
  testing_support::write_module_set(broken, {{"core", {{"01001_init.sql", "CREATE TABLE x (id int);\n"}}}});
  temp_dir dirty;
  testing_support::write_module_set(
      dirty, {{"core", {{"01001_init.sql", "-- +goose NO TRANSACTION\n" + migration_text("SELECT 1;\nSELECT 2;")}}}});

  const std::string dir = modules.path().string();
  const std::string keyword = secret_dsn(db.dsn(), 0), uri = secret_dsn(db.dsn(), 1);
  const std::string port = dsn_field(db.dsn(), "port"), name = db.name();
  const std::string u = secret_role;
  const std::string unreachable_keyword = "host=127.0.0.1 port=1 user=" + u + " password=" + secret + " dbname=" + name +
                                          " connect_timeout=2";
  const std::string unreachable_uri = "postgresql://" + u + ":S3cr3t-p%40ss@127.0.0.1:1/" + name + "?connect_timeout=2";
  const std::string no_database = "postgresql://" + u + ":S3cr3t-p%40ss@127.0.0.1:" + port + "/no_such_database";
  const std::string query_password = "postgresql://" + u + "@127.0.0.1:" + port + "/" + name + "?password=S3cr3t-p%40ss";
  const std::string quoted_keyword = "host=127.0.0.1 port=" + port + " user=" + u + " password='" + secret + "' dbname=" + name;

  std::vector<secret_case> cases = {
      {"up_keyword_dsn", {"migrate", "up", "--dsn", keyword, "--modules-dir", dir}, {}, 0},
      {"up_again_uri_dsn", {"migrate", "up", "--dsn", uri, "--modules-dir", dir}, {}, 0},
      {"status_json", {"migrate", "status", "--json", "--dsn", uri, "--modules-dir", dir}, {}, 0},
      {"status_table", {"migrate", "status", "--dsn", keyword, "--modules-dir", dir}, {}, 0},
      {"version", {"migrate", "version", "--dsn", uri, "--modules-dir", dir}, {}, 0},
      {"dry_run", {"migrate", "up", "--dry-run", "--dsn", uri, "--modules-dir", dir}, {}, 0},
      {"password_as_uri_parameter", {"migrate", "status", "--dsn", query_password, "--modules-dir", dir}, {}, 0},
      {"quoted_keyword_password", {"migrate", "status", "--dsn", quoted_keyword, "--modules-dir", dir}, {}, 0},
      {"start_once", {"start", "--once", "--dsn", uri, "--modules-dir", dir}, {}, 0},
      {"unreachable_host_keyword", {"migrate", "up", "--dsn", unreachable_keyword, "--modules-dir", dir}, {}, 1},
      {"unreachable_host_uri", {"migrate", "status", "--dsn", unreachable_uri, "--modules-dir", dir}, {}, 1},
      {"unknown_database", {"migrate", "up", "--dsn", no_database, "--modules-dir", dir}, {}, 1},
      {"unknown_host_name",
       {"migrate", "up", "--dsn", "postgresql://" + u + ":S3cr3t-p%40ss@no-such-host.invalid:5432/x", "--modules-dir", dir},
       {},
       1},
      {"uri_bad_port", {"migrate", "up", "--dsn", "postgresql://" + u + ":S3cr3t-p@ss@127.0.0.1:notaport/x", "--modules-dir", dir},
       {},
       -1},
      {"keyword_unterminated_quote",
       {"migrate", "up", "--dsn", "host=127.0.0.1 password='S3cr3t-p@ss dbname=x", "--modules-dir", dir},
       {},
       -1},
      {"keyword_missing_equals", {"migrate", "up", "--dsn", "host=127.0.0.1 password=S3cr3t-p@ss garbage", "--modules-dir", dir},
       {},
       -1},
      {"keyword_unknown_option", {"migrate", "up", "--dsn", "host=127.0.0.1 passwd=S3cr3t-p@ss", "--modules-dir", dir}, {}, -1},
      {"uri_unknown_parameter",
       {"migrate", "up", "--dsn", "postgresql://" + u + ":S3cr3t-p%40ss@127.0.0.1:" + port + "/x?sslmode=sometimes",
        "--modules-dir", dir},
       {},
       -1},
      {"database_url_unreachable", {"migrate", "status", "--modules-dir", dir}, {{"DATABASE_URL", unreachable_uri}}, 1},
      {"migrate_dsn_unreachable", {"migrate", "up", "--modules-dir", dir}, {{"MIGRATE_DSN", unreachable_keyword}}, 1},
      {"database_url_ok", {"migrate", "status", "--modules-dir", dir}, {{"DATABASE_URL", uri}}, 0},
      {"failing_migration", {"migrate", "up", "--dsn", uri, "--modules-dir", failing.path().string()}, {}, 1},
      // 1001 is applied by the cases before, so its broken text is drift (exit 4): an applied
      // file is hashed, not parsed. Either way its message must not hold the password.
      {"broken_module_set", {"migrate", "up", "--dsn", keyword, "--modules-dir", broken.path().string()}, {}, 4},
      {"unknown_option", {"migrate", "up", "--dsn", uri, "--modules-dir", dir, "--bogus"}, {}, 2},
      {"unknown_command", {"migrate", "statsu", "--dsn", uri}, {}, 2},
      {"missing_version_argument", {"migrate", "up-to", "--dsn", keyword, "--modules-dir", dir}, {}, 2},
      {"help_with_dsn", {"migrate", "up", "--help", "--dsn", uri}, {}, 0},
      {"migrate_help_with_dsn", {"migrate", "--help", "--dsn", keyword}, {}, 0},
      {"start_help_with_dsn", {"start", "--help", "--dsn", uri}, {}, 0},
      // The servers trust local TCP, so any password works: odd ones stress the redaction.
      {"keyword_escaped_quote_password",
       {"migrate", "status", "--dsn",
        "host=127.0.0.1 port=" + port + " user=" + u + " password='S3cr3t \\' quoted' dbname=" + name, "--modules-dir", dir},
       {},
       0},
      {"uri_percent_encoded_odd_password",
       {"migrate", "status", "--dsn", "postgresql://" + u + ":S3cr3t%3Aw%2Fo%3Fd%23x%40y%20z@127.0.0.1:" + port + "/" + name,
        "--modules-dir", dir},
       {},
       0},
      {"uri_raw_odd_password",
       {"migrate", "status", "--dsn", "postgresql://" + u + ":S3cr3t:w/o?d#x@127.0.0.1:" + port + "/" + name, "--modules-dir", dir},
       {},
       -2},
      {"keyword_odd_password_unreachable",
       {"migrate", "up", "--dsn", "host=127.0.0.1 port=1 user=" + u + " password=S3cr3t@:/?#x connect_timeout=2", "--modules-dir", dir},
       {},
       1},
      {"repair_not_dirty", {"migrate", "repair", "1001", "--mark-applied", "--dsn", uri, "--modules-dir", dir}, {}, 4},  // refused: not dirty
  };
  // Options that other issues add: used when this build has them.
  if (help_mentions({"start"}, "--wait-timeout"))
    cases.push_back({"start_unreachable", {"start", "--once", "--wait-timeout", "1s", "--dsn", unreachable_uri, "--modules-dir", dir}, {}, -1});
  if (help_mentions({"migrate", "status"}, "--log-level"))
    cases.push_back({"debug_logging", {"migrate", "up", "--log-level", "debug", "--dsn", uri, "--modules-dir", dir}, {}, 0});

  int ran = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = cli(c.args, c.env);
    ++ran;
    if (c.expected_code >= 0) {
      EXPECT_EQ(r.code, c.expected_code) << r.out << r.err;
    } else if (c.expected_code == -2) {
      EXPECT_LT(r.code, 128) << r.err;
    } else {
      EXPECT_NE(r.code, 0) << r.out << r.err;
      EXPECT_LT(r.code, 128) << r.err;
    }
  }

  // A refused run: a version left dirty (as a crash would).
  {
    test_database other;
    const std::string other_uri = secret_dsn(other.dsn(), 1);
    ASSERT_EQ(cli({"migrate", "up", "--dsn", other_uri, "--modules-dir", dirty.path().string()}).code, 0);
    exec(other.dsn(), "UPDATE goose_db_version_meta SET state = 'dirty', statements_done = 1; "
                      "DELETE FROM goose_db_version WHERE version_id = 1001");
    auto refused = cli({"migrate", "up", "--dsn", other_uri, "--modules-dir", dirty.path().string()});
    EXPECT_EQ(refused.code, 4) << refused.err;
    auto start = cli({"start", "--once", "--dsn", other_uri, "--modules-dir", dirty.path().string()});
    EXPECT_NE(start.code, 0) << start.err;
    ran += 2;
  }

  // A lock timeout: another session holds goose's advisory lock.
  {
    pqxx::connection holder(db.dsn());
    pqxx::nontransaction tx(holder);
    tx.exec("SELECT pg_advisory_lock(4097083626)");
    temp_dir more;
    testing_support::write_module_set(
        more, {{"core", {{"01001_init.sql", migration_text("CREATE TABLE secret_probe (id int);", "DROP TABLE secret_probe;")},
                         {"01002_more.sql", migration_text("CREATE TABLE secret_more (id int);")}}}});
    auto r = cli({"migrate", "up", "--lock-timeout", "300ms", "--dsn", uri, "--modules-dir", more.path().string()});
    EXPECT_EQ(r.code, 3) << r.err;
    ++ran;
  }

  report("secrets", {{"cases", std::to_string(ran)}});
}

}  // namespace
