// The SQLite migration lock: flock(2) on a file beside the database. Not a
// SQLite transaction held for the run (migrations need their own BEGIN and
// COMMIT on the same connection), and not a lock row (a process killed with -9
// would leave it taken until a lease ran out): the kernel releases a flock
// when its holder dies, however it dies.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "migrator/error.h"
#include "migrator/sqlite.h"

namespace migrator {

namespace {

class sqlite_file_lock : public migration_lock {
 public:
  explicit sqlite_file_lock(std::string path) : path_(std::move(path)) {}
  ~sqlite_file_lock() override { release(); }

  bool acquire(std::chrono::milliseconds timeout,
               const std::function<void(const lock_holder& holder)>& on_wait) override {
    if (path_.empty()) return false;  // in memory: private to this connection
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw error(error_code::io, "cannot open the migration lock file " + path_ + ": " + std::strerror(errno));
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + timeout;
    auto next_report = start;
    auto pause = std::chrono::milliseconds(5);
    bool waited = false;
    for (;;) {
      if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) {
        write_holder();
        return waited;
      }
      if (errno != EWOULDBLOCK && errno != EINTR) {
        const int err = errno;
        release();
        throw error(error_code::io, "cannot lock " + path_ + ": " + std::strerror(err));
      }
      if (interrupted_.load()) {
        release();
        throw error(error_code::interrupted, "interrupted while waiting for the migration lock " + path_);
      }
      const auto now = std::chrono::steady_clock::now();
      waited = true;
      if (on_wait && now >= next_report) {
        on_wait(holder());
        next_report = now + std::chrono::seconds(5);
      }
      if (now >= deadline) {
        const lock_holder h = holder();
        release();
        throw error(error_code::lock_timeout,
                    "timed out after " + std::to_string(timeout.count()) +
                        " ms waiting for the migration lock: another runner holds " + path_ + " (" + h.describe() +
                        "; `fuser " + path_ + "` shows its process)");
      }
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
      pause = std::min(pause * 2, std::chrono::milliseconds(200));
    }
  }

  void interrupt() noexcept override { interrupted_.store(true); }

  void release() noexcept override {
    if (fd_ < 0) return;
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
    fd_ = -1;
  }

 private:
  // The holder writes its process id into the file, so that a waiter can name it.
  void write_holder() noexcept {
    const std::string text = "pid " + std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) == 0) {
      [[maybe_unused]] const auto n = ::pwrite(fd_, text.data(), text.size(), 0);
    }
  }

  lock_holder holder() const {
    lock_holder h;
    char buf[64] = {};
    const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
    if (n > 0) {
      std::string text(buf, static_cast<std::size_t>(n));
      while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
      if (text.rfind("pid ", 0) == 0) {
        try {
          h.pid = std::stoll(text.substr(4));
        } catch (const std::exception&) {
          h.locked_by = text;
        }
      }
    }
    return h;
  }

  std::string path_;
  int fd_ = -1;
  std::atomic<bool> interrupted_{false};
};

}  // namespace

std::unique_ptr<migration_lock> make_sqlite_file_lock(const std::string& path) {
  return std::make_unique<sqlite_file_lock>(path == ":memory:" ? std::string() : path + "-migrate-lock");
}

}  // namespace migrator
