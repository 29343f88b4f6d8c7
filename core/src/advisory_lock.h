// Seam: how runners exclude each other. A session-level PostgreSQL advisory
// lock (goose's key by default, so goose and this tool exclude each other),
// tried in a loop bounded by a timeout and released on every path.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "pg_session.h"

namespace migrator::detail {

class advisory_lock {
 public:
  // Returns once the lock is held; throws migrator::error(lock_timeout) past `timeout`.
  // `on_wait` runs once, when the first try finds the lock taken.
  advisory_lock(pg_session& session, std::int64_t key, std::chrono::milliseconds timeout,
                const std::function<void()>& on_wait);
  ~advisory_lock();
  advisory_lock(const advisory_lock&) = delete;
  advisory_lock& operator=(const advisory_lock&) = delete;

  bool waited() const { return waited_; }

 private:
  pg_session& session_;
  std::int64_t key_;
  bool waited_ = false;
};

}  // namespace migrator::detail
