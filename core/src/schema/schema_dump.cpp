#include "migrator/schema_dump.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "backend/postgres/conninfo.h"
#include "migrator/dsn.h"
#include "migrator/error.h"

extern char** environ;

namespace migrator {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string read_all(int fd) {
  std::string out;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) out.append(buffer, static_cast<std::size_t>(n));
    else if (n == 0 || errno != EINTR) break;
  }
  return out;
}

// The DSN without its password (keyword/value form) and the password: pg_dump
// gets the password through PGPASSWORD, so it never shows in the process list.
std::pair<std::string, std::string> split_password(const std::string& dsn) {
  auto entries = detail::parse_conninfo(dsn);
  if (!entries) throw error(error_code::config, "the DSN cannot be parsed");
  std::string password;
  std::vector<detail::conninfo_entry> rest;
  for (auto& e : *entries) {
    if (e.keyword == "password")
      password = std::move(e.value);
    else
      rest.push_back(std::move(e));
  }
  return {detail::conninfo_string(rest), password};
}

}  // namespace

std::string normalize_schema_dump(std::string_view raw) {
  std::string out;
  bool blank = true;  // drops leading blank lines and runs of them
  std::size_t start = 0;
  while (start < raw.size()) {
    std::size_t end = raw.find('\n', start);
    if (end == std::string_view::npos) end = raw.size();
    std::string line(raw.substr(start, end - start));
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (starts_with(line, "-- Dumped from database version") || starts_with(line, "-- Dumped by pg_dump version") ||
        line == "-- PostgreSQL database dump" || line == "-- PostgreSQL database dump complete" ||
        starts_with(line, "SET ") || starts_with(line, "SELECT pg_catalog.set_config(") ||
        starts_with(line, "\\restrict") || starts_with(line, "\\unrestrict") || line.find(" OWNER TO ") != std::string::npos)
      continue;
    if (auto owner = line.find("; Owner: "); starts_with(line, "-- ") && owner != std::string::npos)
      line.erase(owner);
    // Comment lines that were only "--" around a dropped header.
    const bool empty = line.empty() || line == "--";
    if (empty && blank) continue;
    if (line == "--") line.clear();
    blank = line.empty();
    out += line;
    out += '\n';
  }
  while (out.size() >= 2 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n') out.pop_back();
  return out;
}

std::string dump_schema(const std::string& dsn, const std::string& schema, const std::string& pg_dump) {
  const auto [conninfo, password] = dsn.empty() ? std::pair<std::string, std::string>{} : split_password(dsn);
  const std::vector<std::string> args{pg_dump,       "--schema-only", "--no-owner",           "--no-tablespaces",
                                      "--schema=" + schema, "--dbname=" + conninfo};
  std::vector<std::string> environment;
  for (char** e = environ; *e; ++e) {
    const bool replaced = !password.empty() && std::string_view(*e).rfind("PGPASSWORD=", 0) == 0;
    if (!replaced) environment.emplace_back(*e);
  }
  if (!password.empty()) environment.push_back("PGPASSWORD=" + password);
  std::vector<char*> envp;
  for (auto& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  if (conninfo.empty()) argv.erase(argv.end() - 2);  // libpq defaults (PG* variables)

  int out_pipe[2], err_pipe[2];
  if (::pipe(out_pipe) != 0 || ::pipe(err_pipe) != 0) throw error(error_code::io, "cannot create a pipe for pg_dump");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, pg_dump.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (spawned != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    throw error(error_code::io, "cannot run " + pg_dump + ": " + std::strerror(spawned));
  }
  // pg_dump writes little to stderr: reading stdout to the end first cannot block it.
  std::string output = read_all(out_pipe[0]);
  std::string errors = read_all(err_pipe[0]);
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw error(error_code::io, "pg_dump of schema " + schema + " failed: " + redact_secrets(errors, dsn));
  return normalize_schema_dump(output);
}

}  // namespace migrator
