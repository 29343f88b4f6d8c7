// The SQLite migration lock: flock(2) on a file beside the database. Not a
// SQLite transaction held for the run (migrations need their own BEGIN and
// COMMIT on the same connection), and not a lock row (a process killed with -9
// would leave it taken until a lease ran out): the kernel releases a flock
// when its holder dies, however it dies.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
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

  bool acquire(std::chrono::milliseconds timeout, const std::function<void()>& on_wait) override {
    if (path_.empty()) return false;  // in memory: private to this connection
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw error(error_code::io, "cannot open the migration lock file " + path_ + ": " + std::strerror(errno));
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::milliseconds(5);
    bool waited = false;
    for (;;) {
      if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return waited;
      if (errno != EWOULDBLOCK && errno != EINTR) {
        const int err = errno;
        release();
        throw error(error_code::io, "cannot lock " + path_ + ": " + std::strerror(err));
      }
      if (!waited) {
        waited = true;
        if (on_wait) on_wait();
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        release();
        throw error(error_code::lock_timeout,
                    "timed out after " + std::to_string(timeout.count()) +
                        " ms waiting for the migration lock: another runner holds " + path_ +
                        " (flock; `fuser " + path_ + "` shows its process)");
      }
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
      pause = std::min(pause * 2, std::chrono::milliseconds(200));
    }
  }

  void release() noexcept override {
    if (fd_ < 0) return;
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
    fd_ = -1;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace

std::unique_ptr<migration_lock> make_sqlite_file_lock(const std::string& path) {
  return std::make_unique<sqlite_file_lock>(path == ":memory:" ? std::string() : path + "-migrate-lock");
}

}  // namespace migrator
