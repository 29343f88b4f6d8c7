// SIGINT and SIGTERM while a command works with the database. While an
// interrupt_watch lives, both signals are blocked in every thread the command
// starts and a thread of its own waits for them, so nothing runs in a signal
// handler:
//  - with an engine attached, the first signal calls engine::interrupt() (the
//    run cancels the statement in flight, rolls back, releases the lock and
//    fails with error_code::interrupted: exit 8); a second exits at once (8);
//  - with none attached (connecting, loading modules: nothing to undo), the
//    first signal exits at once (8), unless wait() is waiting for it.
#pragma once

#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "migrator/engine.h"

namespace app {

class interrupt_watch {
 public:
  interrupt_watch();
  ~interrupt_watch();
  interrupt_watch(const interrupt_watch&) = delete;
  interrupt_watch& operator=(const interrupt_watch&) = delete;

  // The engine to interrupt (nullptr: none). It must outlive the attachment.
  void attach(migrator::engine* engine) noexcept { engine_.store(engine); }
  // Blocks until a signal arrives (the application serving until stopped);
  // returns it. While wait() runs, the first signal does not exit.
  int wait();

 private:
  void watch();

  sigset_t signals_{};
  sigset_t previous_mask_{};
  std::atomic<migrator::engine*> engine_{nullptr};
  std::mutex mutex_;
  std::condition_variable received_cv_;
  bool waiting_ = false;  // guarded by mutex_
  int received_ = 0;      // guarded by mutex_: the first signal, 0 = none yet
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace app
