#include "topology.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <pqxx/pqxx>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace testing_support {

namespace fs = std::filesystem;

namespace {

// Runs a command through the shell; returns its last output line, throws with all of it on failure.
std::string run_script(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string output;
  char buffer[512];
  while (fgets(buffer, sizeof buffer, pipe)) output += buffer;
  if (pclose(pipe) != 0) throw std::runtime_error(command + " failed:\n" + output);
  while (!output.empty() && output.back() == '\n') output.pop_back();
  const auto last = output.rfind('\n');
  return last == std::string::npos ? output : output.substr(last + 1);
}

std::string script(const std::string& name) { return std::string(MIGRATOR_SOURCE_DIR) + "/scripts/" + name; }

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

// The server runs as the unprivileged postgres user: it must reach the folder.
void open_for_the_server(const fs::path& dir) {
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                           fs::perms::others_exec);
}

}  // namespace

std::string dsn_value(const std::string& dsn, const std::string& key) {
  std::istringstream words(dsn);
  std::string word;
  while (words >> word)
    if (word.rfind(key + "=", 0) == 0) return word.substr(key.size() + 1);
  return "";
}

standby_cluster::standby_cluster(const std::string& primary_dsn) {
  open_for_the_server(dir_.path());
  dsn_ = run_script(script("pg-standby") + " start '" + primary_dsn + "' " + quoted(dir_.path() / "pg"));
}

standby_cluster::~standby_cluster() {
  try {
    run_script(script("pg-standby") + " stop " + quoted(dir_.path() / "pg"));
  } catch (...) {
  }
}

bool standby_cluster::catch_up(const std::string& primary_dsn, int timeout_ms) const {
  std::string target;
  {
    pqxx::connection primary(primary_dsn);
    pqxx::nontransaction tx(primary);
    // The insert position: with synchronous_commit=off (scripts/pg) a commit may not be written yet.
    target = tx.exec("SELECT pg_current_wal_insert_lsn()::text")[0][0].c_str();
  }
  pqxx::connection standby(dsn_);
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < until) {
    pqxx::nontransaction tx(standby);
    if (tx.exec("SELECT pg_last_wal_replay_lsn() >= '" + target + "'::pg_lsn")[0][0].as<bool>()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

tls_cluster::tls_cluster() {
  open_for_the_server(dir_.path());
  admin_dsn_ = run_script(script("pg-tls") + " start " + quoted(dir_.path() / "pg"));
}

tls_cluster::~tls_cluster() {
  try {
    run_script(script("pg-tls") + " stop " + quoted(dir_.path() / "pg"));
  } catch (...) {
  }
}

void tls_cluster::create_owner(const std::string& role, const std::string& password,
                               const std::string& database) const {
  pqxx::connection admin(admin_dsn_);
  pqxx::nontransaction tx(admin);
  tx.exec("CREATE ROLE " + tx.quote_name(role) + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD " +
          tx.quote(password));
  tx.exec("CREATE DATABASE " + tx.quote_name(database) + " OWNER " + tx.quote_name(role));
}

std::vector<std::string> tls_cluster::query(const std::string& database, const std::string& sql) const {
  std::string dsn = admin_dsn_;
  dsn.replace(dsn.find("dbname=postgres"), std::string("dbname=postgres").size(), "dbname=" + database);
  pqxx::connection c(dsn);
  pqxx::nontransaction tx(c);
  std::vector<std::string> rows;
  for (const auto& row : tx.exec(sql)) rows.push_back(row[0].is_null() ? "" : row[0].c_str());
  return rows;
}

}  // namespace testing_support
