// Helpers shared by the tests: temporary directories, a fresh database per test
// on the project's own PostgreSQL (started by the ctest fixture), and the app,
// run in process or as a child process.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace testing_support {

// A directory removed (recursively) on destruction.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // Writes `content` to path()/relative, creating parent folders; returns the full path.
  std::filesystem::path write(const std::string& relative, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

// A loopback TCP port that was free when asked (bound to port 0, read, closed),
// to hand to a server the test starts: another process may take it meanwhile.
int free_port();

// A loopback TCP port bound (never listened on) for the object's life: a
// connection to it is refused, and no other process can take it meanwhile.
class refusing_port {
 public:
  refusing_port();
  ~refusing_port();
  refusing_port(const refusing_port&) = delete;
  refusing_port& operator=(const refusing_port&) = delete;
  int port() const { return port_; }

 private:
  int socket_ = -1;
  int port_ = 0;
};

// DSN of the maintenance database of the test server (reads MIGRATOR_TEST_PG_DIR/dsn).
std::string admin_dsn();

// A freshly created, empty database, dropped (WITH FORCE) on destruction.
class test_database {
 public:
  test_database();
  ~test_database();
  test_database(const test_database&) = delete;
  test_database& operator=(const test_database&) = delete;
  const std::string& name() const { return name_; }
  const std::string& dsn() const { return dsn_; }
  // Runs SQL and returns the first column of every row ("" for NULL).
  std::vector<std::string> query(const std::string& sql) const;
  // Runs SQL, returns the single value of a one-row, one-column result.
  std::string scalar(const std::string& sql) const;
  void exec(const std::string& sql) const;

 private:
  std::string name_;
  std::string dsn_;
};

struct run_result {
  int code = -1;
  std::string out;
  std::string err;
  // For a child process (app_process): its arguments and the environment it was
  // given on top of ours, space-separated (the reliability suite checks which
  // runs carried the password). Empty for run_app.
  std::string invocation;
};

// `app ARGS...` through app::run in this process.
run_result run_app(const std::vector<std::string>& args);

// `app migrate ARGS... --dsn DB --modules-dir DIR` through app::run in this process.
run_result migrate_in(const std::string& dsn, const std::filesystem::path& modules_dir,
                      const std::vector<std::string>& args);

// `app ARGS...` as a child process (the built binary), with extra environment.
run_result run_app_process(const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env = {});

// Reads a whole file.
std::string read_file(const std::filesystem::path& path);

// The major version of PATH's pg_dump (what `app migrate dump` runs by default).
int pg_dump_major();
// The major version of the server at `dsn`.
int server_major(const std::string& dsn);
// pg_dump reads servers of its own major version or older only. On a newer
// server (scripts/test --pg 18, with Debian's pg_dump 15) a test of dump or
// squash asserts instead that `app ARGS...` refuses before any work, naming both
// versions (exit 2), and returns true; false where pg_dump can read the server.
bool pg_dump_refused_instead(const std::string& dsn, const std::vector<std::string>& args);

}  // namespace testing_support

namespace testing_support {

// A module set on disk for --modules-dir: modules.yaml listing `modules` in
// order and, for each file, <dir>/<module>/migrations/<file name>.
struct module_files {
  std::string name;
  std::vector<std::pair<std::string, std::string>> files;  // {file name, content}
};
void write_module_set(const temp_dir& dir, const std::vector<module_files>& modules);

// Sets (or unsets) an environment variable for the scope.
class scoped_env {
 public:
  scoped_env(std::string name, const char* value);
  ~scoped_env();
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// "-- +goose Up\n<up>\n-- +goose Down\n<down>\n"
std::string migration_text(const std::string& up, const std::string& down = "");

}  // namespace testing_support

namespace testing_support {

// A PostgreSQL cluster of a test's own (scripts/pg in a temporary directory),
// for tests that stop and start the server. Stopped on destruction.
class scratch_cluster {
 public:
  scratch_cluster();  // initdb + start
  ~scratch_cluster();
  scratch_cluster(const scratch_cluster&) = delete;
  scratch_cluster& operator=(const scratch_cluster&) = delete;
  void start();
  void stop();  // fast shutdown
  const std::string& dsn() const { return dsn_; }
  // scripts/pg's directory: data/ (pg_hba.conf), port, dsn.
  std::filesystem::path directory() const { return dir_.path() / "pg"; }

 private:
  temp_dir dir_;
  std::string dsn_;
};

// `app ARGS...` running in the background (stdout and stderr go to files).
class app_process {
 public:
  explicit app_process(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});
  ~app_process();  // kills (SIGKILL) and reaps the child if it still runs
  app_process(const app_process&) = delete;
  app_process& operator=(const app_process&) = delete;
  int pid() const { return pid_; }
  void signal(int sig) const;
  std::string err_so_far() const;
  // Polls stderr until it contains `text` or `timeout_ms` passes; returns whether it did.
  bool wait_for_err(const std::string& text, int timeout_ms) const;
  run_result wait();

 private:
  temp_dir io_;
  int pid_ = -1;
  bool reaped_ = false;
  run_result result_;
};

}  // namespace testing_support
