// Seam: how runners exclude each other. goose's session advisory lock
// (postgres.h, core/src/backend/postgres/advisory_lock.cpp) is one implementation; goose's
// table lease with a heartbeat (core/src/backend/postgres/lease_lock.cpp), which survives a
// transaction pooler, is another.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace migrator {

// goose's lock id since v3.26 (lock.DefaultLockID, the CRC-32/IEEE of "goose"):
// the key of its session advisory lock and the lock_id of its table locker's
// goose_lock row. Both locks of this tool use it by default, so goose v3.26+
// and this tool exclude each other with either lock.
inline constexpr std::int64_t goose_lock_id = 4097083626;
// goose's lock.DefaultLockID before v3.26 (the CRC-64/ECMA of "goose"): the key
// of its session advisory lock then. goose had no table locker before v3.26.
// Set it as the lock id (--lock-id) while a database is still migrated by such a goose.
inline constexpr std::int64_t goose_lock_id_before_v3_26 = 5887940537704921958;
// goose's table locker's defaults (lock/postgres.go, NewPostgresTableLocker):
// a lease of 30 s, renewed by a heartbeat every 5 s.
inline constexpr std::chrono::seconds goose_lease{30};
inline constexpr std::chrono::seconds goose_heartbeat{5};

// Who holds the lock, as far as the database tells. Every field may be empty.
struct lock_holder {
  std::optional<std::int64_t> pid;  // the holder's server process (advisory lock)
  std::string application_name;     // as the holder set it (advisory lock)
  std::string client_address;       // "127.0.0.1", "local socket" (advisory lock)
  std::string since;                // advisory: when the holder connected; lease: when it took the lease
  std::string locked_by;            // lease: the holder's own description (goose_lock.locked_by)
  std::string lease_expires_at;     // lease: when it expires unless the holder renews it

  // One line for logs and errors: "pid 4242 (application_name 'app start 1.4.0',
  // client 10.0.0.7, connected since 2026-11-28 20:31:07+00)"; "unknown" when empty.
  std::string describe() const;
};

class migration_lock {
 public:
  virtual ~migration_lock() = default;

  // Returns once the lock is held; throws error(lock_timeout) past `timeout`,
  // naming the holder. `on_wait` (may be empty) runs when the first try finds
  // the lock taken and then every few seconds while waiting, with who holds it.
  // Throws error(interrupted) soon after interrupt(). Returns whether it had to wait.
  virtual bool acquire(std::chrono::milliseconds timeout,
                       const std::function<void(const lock_holder& holder)>& on_wait) = 0;
  // Never throws: a lost connection has released a session lock already, and
  // a lease that is not released expires.
  virtual void release() noexcept = 0;
  // The engine calls this before each migration step: a lease whose heartbeat
  // failed throws (error(lock_timeout)) so no step runs unprotected. A session
  // lock is held until released, so the default does nothing.
  virtual void check_held() {}
  // Makes a waiting acquire() give up with error(interrupted) within about half
  // a second. Async-signal-safe (sets an atomic flag).
  virtual void interrupt() noexcept {}
};

// Holds a migration_lock for a scope.
class lock_guard {
 public:
  lock_guard(migration_lock& lock, std::chrono::milliseconds timeout,
             const std::function<void(const lock_holder&)>& on_wait)
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
