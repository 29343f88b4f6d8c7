// The waiting part every migration_lock shares: try, pause, tell who holds the
// lock every few seconds, give up at the timeout (naming the holder) or when
// interrupted.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "migrator/lock.h"

namespace migrator::detail {

struct lock_attempts {
  std::function<bool()> try_once;            // true: the lock is now held
  std::function<lock_holder()> look_up_holder;  // best effort; may return an empty holder
  std::string lock_name;                     // "advisory lock 4097083626", "lease on lock_id 4097083626 in goose_lock"
  std::string hint;                          // how to see the holder by hand, for the timeout error
};

// How often a waiting runner says who holds the lock.
inline constexpr std::chrono::seconds holder_report_interval{5};

// Returns whether it had to wait. Throws error(lock_timeout) or error(interrupted).
bool wait_for_lock(const lock_attempts& attempts, std::chrono::milliseconds timeout,
                   const std::function<void(const lock_holder&)>& on_wait, const std::atomic<bool>& interrupted);

}  // namespace migrator::detail
