#include "advisory_lock.h"

#include <algorithm>
#include <memory>
#include <string>
#include <thread>

#include "migrator/error.h"
#include "migrator/postgres.h"

namespace migrator::detail {

bool advisory_lock::acquire(std::chrono::milliseconds timeout, const std::function<void()>& on_wait) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::string try_lock = "SELECT pg_try_advisory_lock(" + std::to_string(key_) + ")";
  // Short first pauses so replicas queued behind a quick migration go on at once;
  // longer ones later so a long migration is not polled hard.
  auto pause = std::chrono::milliseconds(10);
  bool waited = false;
  for (;;) {
    if (session_.exec(try_lock).boolean(0, 0)) return waited;
    if (!waited) {
      waited = true;
      if (on_wait) on_wait();
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline)
      throw error(error_code::lock_timeout,
                  "timed out after " + std::to_string(timeout.count()) +
                      " ms waiting for the migration lock (advisory lock " + std::to_string(key_) +
                      "): another runner holds it; see pg_locks WHERE locktype = 'advisory'");
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::milliseconds(500));
  }
}

void advisory_lock::release() noexcept {
  try {
    session_.exec("SELECT pg_advisory_unlock(" + std::to_string(key_) + ")");
  } catch (...) {
    // A lost connection has released the session lock already.
  }
}

}  // namespace migrator::detail

namespace migrator {

std::unique_ptr<migration_lock> make_advisory_lock(session& s, std::int64_t key) {
  return std::make_unique<detail::advisory_lock>(s, key);
}

}  // namespace migrator
