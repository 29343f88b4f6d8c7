// SIGINT and SIGTERM while a command works with the database. While an
// interrupt_watch lives, both signals are blocked in every thread the command
// starts and a thread of its own waits for them, so nothing runs in a signal
// handler:
//  - with an engine attached, the first signal calls engine::interrupt() (the
//    run cancels the statement in flight, rolls back, releases the lock and
//    fails with error_code::interrupted: exit 8); a second exits at once (8);
//  - with a fleet_stop attached (a fleet run), the first signal requests the
//    stop: every target's running engine is interrupted as above and no target
//    starts after it; run_fleet then exits 8; a second exits at once (8);
//  - with none attached (connecting, loading modules: nothing to undo), the
//    first signal exits at once (8), unless wait() is waiting for it.
#pragma once

#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "migrator/engine.h"
#include "migrator/fleet_runner.h"

namespace app {

class interrupt_watch {
 public:
  interrupt_watch();
  ~interrupt_watch();
  interrupt_watch(const interrupt_watch&) = delete;
  interrupt_watch& operator=(const interrupt_watch&) = delete;

  // The engine to interrupt (nullptr: none). It must outlive the attachment.
  void attach(migrator::engine* engine) noexcept { watched_->engine.store(engine); }
  // The fleet run to stop (nullptr: none). It must outlive the attachment.
  void attach_fleet(migrator::fleet_stop* fleet) noexcept { watched_->fleet.store(fleet); }

  // attach() or attach_fleet() for a scope: detached again when it ends, so a
  // signal after the run (printing, exiting) no longer reaches a dead object.
  class scoped_attachment {
   public:
    scoped_attachment(interrupt_watch& watch, migrator::engine* engine) noexcept : watch_(watch) {
      watch_.attach(engine);
    }
    scoped_attachment(interrupt_watch& watch, migrator::fleet_stop* fleet) noexcept : watch_(watch), fleet_(true) {
      watch_.attach_fleet(fleet);
    }
    ~scoped_attachment() {
      if (fleet_) watch_.attach_fleet(nullptr);
      else watch_.attach(nullptr);
    }
    scoped_attachment(const scoped_attachment&) = delete;
    scoped_attachment& operator=(const scoped_attachment&) = delete;

   private:
    interrupt_watch& watch_;
    bool fleet_ = false;
  };
  // Blocks until a signal arrives (the application serving until stopped);
  // returns it. While wait() runs, the first signal does not exit.
  int wait();

 private:
  // What the watcher thread reads, shared with it: the destructor does not wait
  // for the thread (waking a sleeping thread on another CPU and joining it cost
  // an `up` with nothing to do 0.5 to 2 ms here), which ends at its next look
  // (at most one slice later) and holds this until then.
  struct watched {
    sigset_t signals{};
    std::atomic<migrator::engine*> engine{nullptr};
    std::atomic<migrator::fleet_stop*> fleet{nullptr};
    std::mutex mutex;
    std::condition_variable received_cv;
    bool waiting = false;  // guarded by mutex
    int received = 0;      // guarded by mutex: the first signal, 0 = none yet
    std::atomic<bool> stopping{false};
  };
  static void watch(watched& w);

  std::shared_ptr<watched> watched_;
  sigset_t previous_mask_{};
};

}  // namespace app
