#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <sstream>
#include <stdexcept>

#include "cli.h"
#include "test_support.h"

#include <gtest/gtest.h>

extern char** environ;

namespace testing_support {

run_result run_app(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  run_result r;
  r.code = app::run(args, out, err);
  app::release_kept_values();
  r.out = out.str();
  r.err = err.str();
  return r;
}

run_result migrate_in(const std::string& dsn, const std::filesystem::path& modules_dir,
                      const std::vector<std::string>& args) {
  std::vector<std::string> full{"migrate"};
  full.insert(full.end(), args.begin(), args.end());
  full.insert(full.end(), {"--dsn", dsn, "--modules-dir", modules_dir.string()});
  return run_app(full);
}

namespace {

// Every app a test process runs (through app::run here, or as a child, which
// inherits the environment) keeps the digest caches of its modules
// directories in a folder of this process, removed at its exit, never in the
// user's ~/.cache.
struct own_cache_home {
  testing_support::temp_dir dir;
  own_cache_home() { ::setenv("XDG_CACHE_HOME", dir.path().c_str(), 1); }
};
const own_cache_home cache_home;

// Spawns the built app with stdout/stderr redirected to files; returns its pid.
int spawn_app(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
              const std::string& out_path, const std::string& err_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);

  std::vector<std::string> argv_storage{MIGRATOR_APP_BINARY};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::map<std::string, std::string> merged;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) merged[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : env) merged[k] = v;
  std::vector<std::string> env_storage;
  for (const auto& [k, v] : merged) env_storage.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("posix_spawn failed for " + argv_storage[0]);
  return pid;
}

int exit_code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

}  // namespace

run_result run_app_process(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  app_process p(args, env);
  return p.wait();
}

app_process::app_process(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  pid_ = spawn_app(args, env, (io_.path() / "out").string(), (io_.path() / "err").string());
  for (const auto& a : args) result_.invocation += (result_.invocation.empty() ? "" : " ") + a;
  for (const auto& [name, value] : env) result_.invocation += " " + name + "=" + value;
}

app_process::~app_process() {
  if (!reaped_) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

void app_process::signal(int sig) const { kill(pid_, sig); }

std::string app_process::err_so_far() const { return read_file(io_.path() / "err"); }

bool app_process::wait_for_err(const std::string& text, int timeout_ms) const {
  for (int waited = 0; waited < timeout_ms; waited += 20) {
    if (err_so_far().find(text) != std::string::npos) return true;
    usleep(20000);
  }
  return err_so_far().find(text) != std::string::npos;
}

run_result app_process::wait() {
  if (!reaped_) {
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    result_.code = exit_code_of(status);
    result_.out = read_file(io_.path() / "out");
    result_.err = read_file(io_.path() / "err");
  }
  return result_;
}

bool pg_dump_refused_instead(const std::string& dsn, const std::vector<std::string>& args) {
  const int server = server_major(dsn);
  if (server <= pg_dump_major()) return false;
  auto r = run_app(args);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("is pg_dump " + std::to_string(pg_dump_major()) + "."), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the server runs PostgreSQL " + std::to_string(server) + "."), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Nothing was done"), std::string::npos) << r.err;
  return true;
}

}  // namespace testing_support
