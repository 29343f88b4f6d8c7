#include "pgbouncer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <thread>

namespace testing_support {

namespace {

bool accepts(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(s);
  return ok;
}

std::string dsn_value(const std::string& dsn, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(dsn, m, std::regex("(^|\\s)" + key + "=(\\S+)")))
    throw std::runtime_error("pgbouncer fixture: the test server's DSN has no " + key);
  return m[2];
}

}  // namespace

pgbouncer::pgbouncer(int pool_size) {
  const std::string server = admin_dsn();
  const bool root = geteuid() == 0;
  // What each failed attempt left, for the error.
  std::string attempts;
  for (int attempt = 1; attempt <= 8 && pid_ == 0; ++attempt) {
    if (attempt > 1) std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
    port_ = free_port();
    std::error_code ignored;
    std::filesystem::remove(dir_.path() / "pgbouncer.pid", ignored);
    std::filesystem::remove(dir_.path() / "pgbouncer.log", ignored);
    dir_.write("users.txt", "\"postgres\" \"\"\n");
    const auto ini = dir_.write(
        "pgbouncer.ini",
        "[databases]\n* = host=" + dsn_value(server, "host") + " port=" + dsn_value(server, "port") +
            "\n\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = " + std::to_string(port_) +
            "\nunix_socket_dir =\nauth_type = trust\nauth_file = " + (dir_.path() / "users.txt").string() +
            "\npool_mode = transaction\ndefault_pool_size = " + std::to_string(pool_size) +
            "\nmax_client_conn = 500\nignore_startup_parameters = extra_float_digits\n"
            "logfile = " + (dir_.path() / "pgbouncer.log").string() +
            "\npidfile = " + (dir_.path() / "pgbouncer.pid").string() + "\n");
    if (root) {
      const passwd* pg = getpwnam("postgres");
      if (!pg) throw std::runtime_error("pgbouncer fixture: no postgres user to run pgbouncer as");
      for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path()))
        if (chown(entry.path().c_str(), pg->pw_uid, pg->pw_gid) != 0) throw std::runtime_error("chown failed");
      if (chown(dir_.path().c_str(), pg->pw_uid, pg->pw_gid) != 0) throw std::runtime_error("chown failed");
    }
    const std::string command = std::string(root ? "runuser -u postgres -- " : "") + "pgbouncer -q -d " +
                                ini.string() + " >" + (dir_.path() / "start.log").string() + " 2>&1";
    const auto said = [&](const std::string& what) {
      const auto text_of = [&](const char* name) {
        std::error_code missing;
        return std::filesystem::exists(dir_.path() / name, missing) ? read_file(dir_.path() / name)
                                                                    : std::string("(none)");
      };
      attempts += "\n  attempt " + std::to_string(attempt) + " (port " + std::to_string(port_) + "): " + what +
                  "; start.log: " + text_of("start.log") + "; pgbouncer.log: " + text_of("pgbouncer.log");
    };
    const int status = std::system(command.c_str());
    if (status != 0) {  // the port was taken meanwhile, or the start failed: another try
      said("exit status " + std::to_string(status) + (status == -1 ? " (" + std::string(strerror(errno)) + ")" : ""));
      continue;
    }
    // With -d, a PgBouncer that cannot bind exits 0 and writes no pidfile; one
    // that can listens a moment before it writes its pidfile (src/main.c of
    // PgBouncer: pooler_setup(), then write_pidfile()). Reading the
    // pidfile as soon as the port answered once lost that race: the attempt
    // counted as failed, its PgBouncer ran on unknown, and its pidfile made
    // every later attempt in this folder fail at once.
    const auto pid_in_file = [&] {
      int pid = 0;
      std::ifstream pidfile(dir_.path() / "pgbouncer.pid");
      return pidfile >> pid && pid > 0 ? pid : 0;
    };
    int pid = 0;
    for (int waited = 0; waited < 5000 && !((pid = pid_in_file()) > 0 && accepts(port_)); waited += 20)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (pid > 0 && accepts(port_) && kill(pid, 0) == 0) {
      pid_ = pid;
    } else {
      if (pid > 0) kill(pid, SIGTERM);  // its own pid, from its pidfile
      said("no listening PgBouncer with a pidfile within 5 s");
    }
  }
  if (pid_ == 0) throw std::runtime_error("pgbouncer fixture: pgbouncer did not start:" + attempts);
}

pgbouncer::~pgbouncer() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);  // its own pid from its pidfile, never by name
  for (int waited = 0; waited < 5000 && kill(pid_, 0) == 0; waited += 20)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

std::string pgbouncer::dsn_for(const std::string& database) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + database;
}

}  // namespace testing_support
