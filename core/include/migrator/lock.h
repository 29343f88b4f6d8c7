// Seam: how runners exclude each other. goose's session advisory lock
// (postgres.h, core/src/advisory_lock.cpp) is one implementation; a lease row
// with a heartbeat (which survives a transaction pooler) is another.
#pragma once

#include <chrono>
#include <functional>

namespace migrator {

class migration_lock {
 public:
  virtual ~migration_lock() = default;

  // Returns once the lock is held; throws error(lock_timeout) past `timeout`.
  // `on_wait` (may be empty) runs once, when the first try finds the lock taken.
  // Returns whether it had to wait.
  virtual bool acquire(std::chrono::milliseconds timeout, const std::function<void()>& on_wait) = 0;
  // Never throws: a lost connection has released a session lock already, and
  // a lease that is not released expires.
  virtual void release() noexcept = 0;
  // The engine calls this before each migration step: a lease whose heartbeat
  // failed throws (error(lock_timeout)) so no step runs unprotected. A session
  // lock is held until released, so the default does nothing.
  virtual void check_held() {}
};

// Holds a migration_lock for a scope.
class lock_guard {
 public:
  lock_guard(migration_lock& lock, std::chrono::milliseconds timeout, const std::function<void()>& on_wait)
      : lock_(lock), waited_(lock.acquire(timeout, on_wait)) {}
  ~lock_guard() { lock_.release(); }
  lock_guard(const lock_guard&) = delete;
  lock_guard& operator=(const lock_guard&) = delete;

  bool waited() const noexcept { return waited_; }

 private:
  migration_lock& lock_;
  bool waited_;
};

}  // namespace migrator
