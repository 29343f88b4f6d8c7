// Production-like servers for tests, each started by the test that needs it and
// stopped by its destructor (never killed by name): a streaming standby of a
// cluster, and a cluster that takes TCP connections only over TLS with
// scram-sha-256 passwords. Both are the scripts a human would use too
// (scripts/pg-standby, scripts/pg-tls).
#pragma once

#include <filesystem>
#include <string>

#include "test_support.h"

namespace testing_support {

// The value of `key` in a keyword DSN ("host=/tmp/x port=5432 ..."), "" if absent.
std::string dsn_value(const std::string& dsn, const std::string& key);

// A streaming standby (pg_basebackup -R -X stream -c fast) of the cluster that
// `primary_dsn` reaches as a superuser, on its own port and socket directory.
class standby_cluster {
 public:
  explicit standby_cluster(const std::string& primary_dsn);
  ~standby_cluster();  // fast shutdown
  standby_cluster(const standby_cluster&) = delete;
  standby_cluster& operator=(const standby_cluster&) = delete;
  // Unix-socket DSN of its `postgres` database, user postgres.
  const std::string& dsn() const { return dsn_; }
  std::string port() const { return dsn_value(dsn_, "port"); }
  // The server's log (everything it logged since it started).
  std::filesystem::path log_file() const { return dir_.path() / "pg" / "server.log"; }
  // Waits until the standby has replayed everything the primary had written
  // when this was called; returns whether it did within `timeout_ms`.
  bool catch_up(const std::string& primary_dsn, int timeout_ms = 30000) const;

 private:
  temp_dir dir_;
  std::string dsn_;
};

// A cluster of its own with ssl=on (a CA and a server certificate for
// localhost / 127.0.0.1 made with openssl at start) whose pg_hba.conf accepts
// TCP only as `hostssl ... scram-sha-256`. The Unix socket is `trust` for the
// postgres superuser only (test setup).
class tls_cluster {
 public:
  tls_cluster();
  ~tls_cluster();  // fast shutdown
  tls_cluster(const tls_cluster&) = delete;
  tls_cluster& operator=(const tls_cluster&) = delete;
  // Unix-socket DSN of the `postgres` database as the superuser (setup only).
  const std::string& admin_dsn() const { return admin_dsn_; }
  std::string port() const { return dsn_value(admin_dsn_, "port"); }
  // The CA that signed the server's certificate, and one that signed nothing.
  std::filesystem::path ca_file() const { return dir_.path() / "pg" / "tls" / "ca.crt"; }
  std::filesystem::path other_ca_file() const { return dir_.path() / "pg" / "tls" / "other-ca.crt"; }
  // Creates a LOGIN role with `password` (stored as scram-sha-256) that is not
  // a superuser and may not create roles or databases, and a database it owns;
  // it owns nothing else.
  void create_owner(const std::string& role, const std::string& password, const std::string& database) const;
  // Runs SQL as the superuser in `database`; the first column of every row.
  std::vector<std::string> query(const std::string& database, const std::string& sql) const;

 private:
  temp_dir dir_;
  std::string admin_dsn_;
};

}  // namespace testing_support
