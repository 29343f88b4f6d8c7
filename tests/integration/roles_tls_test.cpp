// Real roles, passwords and TLS, as production connects: a cluster of the
// test's own (scripts/pg-tls) that accepts TCP only over TLS with a
// scram-sha-256 password, a migration role that is not a superuser and owns only
// its database, and the ways libpq finds a password (in the DSN, `.pgpass`
// through PGPASSFILE, a service in PGSERVICEFILE). Every command runs as the
// built binary, and its stdout and stderr never contain the password.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "test_support.h"
#include "topology.h"

using namespace testing_support;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

// Special characters on purpose: '@' must be percent-encoded in a URI.
constexpr const char* password = "Mig-R0le@scram";
constexpr const char* password_in_uri = "Mig-R0le%40scram";
constexpr const char* role = "migration_owner";
constexpr const char* database = "appdb";

class roles_tls : public ::testing::Test {
 protected:
  tls_cluster server;
  temp_dir files;

  void SetUp() override { server.create_owner(role, password, database); }

  // A keyword DSN over TCP to the owner's database, plus `extra`.
  std::string tcp_dsn(const std::string& extra, const std::string& host = "host=127.0.0.1") const {
    return host + " port=" + server.port() + " user=" + role + " dbname=" + database + " " + extra;
  }
  std::string verify_full() const { return "sslmode=verify-full sslrootcert=" + server.ca_file().string(); }

  // The binary with `args`; libpq finds no ~/.pgpass or service file unless the test says so.
  run_result app(const std::vector<std::string>& args, std::map<std::string, std::string> env = {}) const {
    env.emplace("PGPASSFILE", (files.path() / "no-pgpass").string());
    env.emplace("PGSERVICEFILE", (files.path() / "no-services").string());
    env.emplace("PGPASSWORD", "");
    auto r = run_app_process(args, env);
    for (const std::string& needle : {std::string(password), std::string(password_in_uri)}) {
      EXPECT_THAT(r.out, Not(HasSubstr(needle))) << "the password is in the stdout of app " << testing::PrintToString(args);
      EXPECT_THAT(r.err, Not(HasSubstr(needle))) << "the password is in the stderr of app " << testing::PrintToString(args);
    }
    return r;
  }
  run_result migrate(const std::string& dsn, const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env = {}) const {
    std::vector<std::string> full{"migrate"};
    full.insert(full.end(), args.begin(), args.end());
    full.insert(full.end(), {"--modules-dir", std::string(MIGRATOR_SOURCE_DIR) + "/modules"});
    if (!dsn.empty()) full.insert(full.end(), {"--dsn", dsn});
    return app(full, env);
  }

  std::string scalar(const std::string& sql) const {
    auto rows = server.query(database, sql);
    return rows.size() == 1 ? rows[0] : "<" + std::to_string(rows.size()) + " rows>";
  }
  int applied() const { return std::stoi(scalar("SELECT count(*) FROM goose_db_version WHERE version_id > 0")); }
  bool history_exists() const { return scalar("SELECT to_regclass('goose_db_version') IS NOT NULL") == "t"; }
};

int example_migration_count() {
  int n = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(std::string(MIGRATOR_SOURCE_DIR) + "/modules"))
    if ((f.path().extension() == ".sql" || f.path().extension() == ".cpp") &&
        f.path().parent_path().filename() == "migrations")
      ++n;  // SQL files and C++ code migrations
  return n;
}

TEST_F(roles_tls, a_non_superuser_that_owns_only_its_database_migrates_the_example_modules) {
  EXPECT_EQ(scalar(std::string("SELECT rolsuper::text || rolcreatedb::text || rolcreaterole::text FROM pg_roles "
                               "WHERE rolname = '") + role + "'"),
            "falsefalsefalse");
  const std::string dsn = tcp_dsn(std::string("password=") + password + " " + verify_full());

  auto up = migrate(dsn, {"up"});
  ASSERT_EQ(up.code, 0) << up.err;
  EXPECT_EQ(applied(), example_migration_count());
  auto status = migrate(dsn, {"status"});
  EXPECT_EQ(status.code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("applied"));
  EXPECT_FALSE(std::regex_search(status.out, std::regex(R"(\spending\s)"))) << status.out;  // the state, not 7002's name
  EXPECT_EQ(migrate(dsn, {"status", "--exit-code"}).code, 0);
  auto version = migrate(dsn, {"version"});
  EXPECT_EQ(version.code, 0) << version.err;
  EXPECT_THAT(version.out, HasSubstr(scalar("SELECT max(version_id) FROM goose_db_version")));

  // Everything it made is the role's: the history tables and every module schema.
  EXPECT_EQ(scalar("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'goose_db_version'::regclass"), role);
  EXPECT_EQ(scalar(std::string("SELECT count(*) FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname NOT IN "
                               "('information_schema', 'public') AND pg_get_userbyid(nspowner) <> '") + role + "'"),
            "0");
  EXPECT_GT(std::stoi(scalar(std::string("SELECT count(*) FROM pg_namespace WHERE pg_get_userbyid(nspowner) = '") +
                             role + "' AND nspname <> 'public'")),
            0);
  // And it owns no other database.
  EXPECT_EQ(scalar(std::string("SELECT string_agg(datname, ',') FROM pg_database WHERE pg_get_userbyid(datdba) = '") +
                   role + "'"),
            database);

  // Rolling back works with its privileges too.
  auto down = migrate(dsn, {"down"});
  EXPECT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(applied(), example_migration_count() - 1);
}

TEST_F(roles_tls, scram_sha_256_password_authentication_over_tcp) {
  // The server stores a scram verifier and asks for scram on TCP (with TLS only).
  EXPECT_THAT(server.query("postgres", std::string("SELECT rolpassword FROM pg_authid WHERE rolname = '") + role + "'")
                  .at(0),
              ::testing::StartsWith("SCRAM-SHA-256$"));
  EXPECT_EQ(server.query("postgres", "SELECT string_agg(DISTINCT auth_method, ',') FROM pg_hba_file_rules "
                                     "WHERE type = 'hostssl'")
                .at(0),
            "scram-sha-256");

  // URI form, the password percent-encoded.
  const std::string uri = std::string("postgresql://") + role + ":" + password_in_uri + "@127.0.0.1:" + server.port() +
                          "/" + database + "?sslmode=require";
  auto ok = migrate(uri, {"up"});
  ASSERT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(applied(), example_migration_count());

  auto wrong = migrate(tcp_dsn("password=not-the-password sslmode=require"), {"status"});
  EXPECT_EQ(wrong.code, 1) << wrong.err;
  EXPECT_THAT(wrong.err, HasSubstr("cannot connect to the database"));
  EXPECT_THAT(wrong.err, HasSubstr("password authentication failed"));

  auto none = migrate(tcp_dsn("sslmode=require"), {"status"});
  EXPECT_EQ(none.code, 1) << none.err;
  EXPECT_THAT(none.err, HasSubstr("no password supplied"));

  // Without TLS the server refuses before asking for the password.
  auto plain = migrate(tcp_dsn(std::string("password=") + password + " sslmode=disable"), {"status"});
  EXPECT_EQ(plain.code, 1) << plain.err;
  EXPECT_THAT(plain.err, HasSubstr("no encryption"));
}

TEST_F(roles_tls, tls_verify_full_accepts_the_test_ca_and_refuses_a_wrong_ca_or_host_name) {
  const std::string with_password = std::string("password=") + password + " ";

  // A CA that did not sign the server's certificate: refused, nothing written.
  auto wrong_ca = migrate(tcp_dsn(with_password + "sslmode=verify-full sslrootcert=" + server.other_ca_file().string()),
                          {"up"});
  EXPECT_EQ(wrong_ca.code, 1) << wrong_ca.err;
  EXPECT_THAT(wrong_ca.err, HasSubstr("cannot connect to the database"));
  EXPECT_THAT(wrong_ca.err, HasSubstr("certificate verify failed"));

  // The right CA, but a host name the certificate does not name (the connection
  // goes to 127.0.0.1 through hostaddr; libpq checks the name in `host`).
  auto wrong_host = migrate(tcp_dsn(with_password + verify_full(), "host=wrong.example hostaddr=127.0.0.1"), {"up"});
  EXPECT_EQ(wrong_host.code, 1) << wrong_host.err;
  EXPECT_THAT(wrong_host.err, HasSubstr("cannot connect to the database"));
  EXPECT_THAT(wrong_host.err, HasSubstr("does not match host name \"wrong.example\""));
  EXPECT_FALSE(history_exists()) << "a refused connection wrote something";

  // The names the certificate does carry: 127.0.0.1 (IP SAN) and localhost (DNS SAN).
  auto by_ip = migrate(tcp_dsn(with_password + verify_full()), {"up-to", "2001"});
  ASSERT_EQ(by_ip.code, 0) << by_ip.err;
  auto by_name = migrate(tcp_dsn(with_password + verify_full(), "host=localhost hostaddr=127.0.0.1"), {"up"});
  ASSERT_EQ(by_name.code, 0) << by_name.err;
  EXPECT_EQ(applied(), example_migration_count());
}

TEST_F(roles_tls, pgpass_file_supplies_the_password) {
  auto pgpass = files.write("pgpass", std::string("# host:port:database:user:password\n127.0.0.1:") + server.port() +
                                          ":" + database + ":" + role + ":" + password + "\n");
  // libpq ignores a password file that others can read.
  std::filesystem::permissions(pgpass, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const std::string dsn = tcp_dsn(verify_full());  // no password in it

  auto without = migrate(dsn, {"status"});
  EXPECT_EQ(without.code, 1) << without.err;
  EXPECT_THAT(without.err, HasSubstr("no password supplied"));

  auto up = migrate(dsn, {"up"}, {{"PGPASSFILE", pgpass.string()}});
  ASSERT_EQ(up.code, 0) << up.err;
  EXPECT_EQ(applied(), example_migration_count());
  auto status = migrate(dsn, {"status", "--exit-code"}, {{"PGPASSFILE", pgpass.string()}});
  EXPECT_EQ(status.code, 0) << status.err;
}

TEST_F(roles_tls, service_file_names_the_connection) {
  auto services = files.write("pg_service.conf", std::string("[appdb_migrations]\nhost=127.0.0.1\nport=") +
                                                     server.port() + "\nuser=" + role + "\ndbname=" + database +
                                                     "\npassword=" + password + "\nsslmode=verify-full\nsslrootcert=" +
                                                     server.ca_file().string() + "\n");
  const std::map<std::string, std::string> env{{"PGSERVICEFILE", services.string()}};

  auto unknown = migrate("service=not_there", {"status"}, env);
  EXPECT_EQ(unknown.code, 1) << unknown.err;
  EXPECT_THAT(unknown.err, HasSubstr("not_there"));

  auto up = migrate("service=appdb_migrations", {"up-to", "3001"}, env);
  ASSERT_EQ(up.code, 0) << up.err;
  EXPECT_EQ(scalar("SELECT max(version_id) FROM goose_db_version"), "3001");

  // No DSN at all: libpq's PGSERVICE picks the service.
  auto by_env = migrate("", {"up"},
                        {{"PGSERVICEFILE", services.string()},
                         {"PGSERVICE", "appdb_migrations"},
                         {"MIGRATE_DSN", ""},
                         {"DATABASE_URL", ""}});
  ASSERT_EQ(by_env.code, 0) << by_env.err;
  EXPECT_EQ(applied(), example_migration_count());
  auto status = migrate("service=appdb_migrations", {"status", "--exit-code"}, env);
  EXPECT_EQ(status.code, 0) << status.err;
}

}  // namespace
