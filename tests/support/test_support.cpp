#include "test_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <pqxx/pqxx>


#include "migrator/schema_dump.h"
#include <random>
#include <sstream>
#include <stdexcept>


namespace testing_support {

namespace fs = std::filesystem;

namespace {

std::string unique_suffix() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  std::ostringstream s;
  s << getpid() << '_' << counter++ << '_' << (rd() % 100000);
  return s.str();
}

}  // namespace

temp_dir::temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "migrator-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  // Tests may remove permissions to provoke errors: restore them so cleanup works.
  for (auto it = fs::recursive_directory_iterator(path_, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  }
  fs::remove_all(path_, ec);
}

fs::path temp_dir::write(const std::string& relative, const std::string& content) const {
  fs::path p = path_ / relative;
  fs::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << content;
  if (!f) throw std::runtime_error("cannot write " + p.string());
  return p;
}

std::string read_file(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

int free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof a;
  const bool bound = s >= 0 && ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                     ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &size) == 0;
  if (s >= 0) ::close(s);
  if (!bound) throw std::runtime_error("no free loopback port");
  return ntohs(a.sin_port);
}

refusing_port::refusing_port() {
  socket_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof a;
  if (socket_ < 0 || ::bind(socket_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(socket_, reinterpret_cast<sockaddr*>(&a), &size) != 0) {
    if (socket_ >= 0) ::close(socket_);
    throw std::runtime_error("no loopback port to hold");
  }
  port_ = ntohs(a.sin_port);
}

refusing_port::~refusing_port() { ::close(socket_); }

std::string admin_dsn() {
  static const std::string dsn = [] {
    const char* dir = std::getenv("MIGRATOR_TEST_PG_DIR");
    std::string d = dir ? dir : MIGRATOR_TEST_PG_DIR;
    std::string text = read_file(fs::path(d) / "dsn");
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
  }();
  return dsn;
}

test_database::test_database() : name_("t_" + unique_suffix()) {
  pqxx::connection admin(admin_dsn());
  pqxx::nontransaction tx(admin);
  tx.exec("CREATE DATABASE " + name_);
  std::string base = admin_dsn();
  auto pos = base.find("dbname=");
  dsn_ = base.substr(0, pos) + "dbname=" + name_;
}

test_database::~test_database() {
  try {
    pqxx::connection admin(admin_dsn());
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (...) {
  }
}

std::vector<std::string> test_database::query(const std::string& sql) const {
  pqxx::connection c(dsn_);
  pqxx::nontransaction tx(c);
  std::vector<std::string> rows;
  for (const auto& row : tx.exec(sql)) rows.push_back(row[0].is_null() ? "" : row[0].c_str());
  return rows;
}

std::string test_database::scalar(const std::string& sql) const {
  auto rows = query(sql);
  if (rows.size() != 1) throw std::runtime_error("expected one row from: " + sql);
  return rows[0];
}

void test_database::exec(const std::string& sql) const {
  pqxx::connection c(dsn_);
  pqxx::nontransaction tx(c);
  tx.exec(sql);
}

void write_module_set(const temp_dir& dir, const std::vector<module_files>& modules) {
  std::string manifest = "modules:\n";
  for (const auto& m : modules) {
    manifest += "  - name: " + m.name + "\n";
    fs::create_directories(dir.path() / m.name / "migrations");
    for (const auto& [file, content] : m.files) dir.write(m.name + "/migrations/" + file, content);
  }
  dir.write("modules.yaml", manifest);
}

scoped_env::scoped_env(std::string name, const char* value) : name_(std::move(name)) {
  if (const char* old = std::getenv(name_.c_str())) old_ = old;
  value ? setenv(name_.c_str(), value, 1) : unsetenv(name_.c_str());
}

scoped_env::~scoped_env() { old_ ? setenv(name_.c_str(), old_->c_str(), 1) : unsetenv(name_.c_str()); }

std::string migration_text(const std::string& up, const std::string& down) {
  std::string text = "-- +goose Up\n" + up + "\n";
  if (!down.empty()) text += "-- +goose Down\n" + down + "\n";
  return text;
}

namespace {

std::string run_pg_script(const std::string& verb, const fs::path& dir) {
  std::string command = std::string(MIGRATOR_SOURCE_DIR) + "/scripts/pg " + verb + " '" + dir.string() + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string output;
  char buffer[512];
  while (fgets(buffer, sizeof buffer, pipe)) output += buffer;
  if (pclose(pipe) != 0) throw std::runtime_error(command + " failed: " + output);
  while (!output.empty() && output.back() == '\n') output.pop_back();
  return output;
}

}  // namespace

scratch_cluster::scratch_cluster() {
  // The server runs as the unprivileged postgres user: it must reach its data directory.
  fs::permissions(dir_.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                   fs::perms::others_read | fs::perms::others_exec);
  start();
}

scratch_cluster::~scratch_cluster() {
  try {
    stop();
  } catch (...) {
  }
}

void scratch_cluster::start() {
  auto dsn = run_pg_script("start", dir_.path() / "pg");
  dsn_ = dsn.substr(dsn.rfind('\n') == std::string::npos ? 0 : dsn.rfind('\n') + 1);
}

void scratch_cluster::stop() { run_pg_script("stop", dir_.path() / "pg"); }

int pg_dump_major() {
  FILE* pipe = popen("pg_dump --version 2>&1", "r");
  if (!pipe) throw std::runtime_error("cannot run pg_dump --version");
  char buffer[256] = {};
  const bool read = fgets(buffer, sizeof buffer, pipe) != nullptr;
  pclose(pipe);
  const auto version = read ? migrator::parse_pg_dump_version(buffer) : std::nullopt;
  if (!version) throw std::runtime_error(std::string("pg_dump --version printed: ") + buffer);
  return *version / 10000;
}

int server_major(const std::string& dsn) {
  pqxx::connection c(dsn);
  return c.server_version() / 10000;
}

}  // namespace testing_support
