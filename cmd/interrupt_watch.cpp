#include "interrupt_watch.h"

#include <pthread.h>
#include <unistd.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <ctime>
#include <thread>

#include "exit_codes.h"
#include "logging.h"

namespace app {

namespace {

const char* signal_name(int sig) { return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "a signal"; }

}  // namespace

interrupt_watch::interrupt_watch() : watched_(std::make_shared<watched>()) {
  sigemptyset(&watched_->signals);
  sigaddset(&watched_->signals, SIGINT);
  sigaddset(&watched_->signals, SIGTERM);
  // Threads started from here on (the background connect, the lease's
  // heartbeat) inherit the blocked mask: only watch() receives them.
  pthread_sigmask(SIG_BLOCK, &watched_->signals, &previous_mask_);
  std::thread([w = watched_] { watch(*w); }).detach();
}

interrupt_watch::~interrupt_watch() {
  // The watcher stops at its next look and takes no signal from now on: the
  // run is over, so one that arrives is taken as handled (until now it would
  // have stopped the run). Once unblocked below, a signal reaches this thread
  // with its default action.
  watched_->stopping.store(true);
  timespec none{0, 0};
  while (sigtimedwait(&watched_->signals, nullptr, &none) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

int interrupt_watch::wait() {
  std::unique_lock<std::mutex> guard(watched_->mutex);
  watched_->waiting = true;
  watched_->received_cv.wait(guard, [this] { return watched_->received != 0; });
  watched_->waiting = false;
  return watched_->received;
}

void interrupt_watch::watch(watched& w) {
  const timespec slice{0, 100 * 1000 * 1000};  // how soon the end of the watch is noticed
  while (!w.stopping.load()) {
    const int sig = sigtimedwait(&w.signals, nullptr, &slice);
    if (sig <= 0) continue;
    if (w.stopping.load()) {
      // The watch ended while this thread waited: the signal is no longer the
      // watch's to take. Sent again, it reaches a thread that does not block
      // it (its default action) or stays pending for one that will.
      ::kill(::getpid(), sig);
      return;
    }
    std::unique_lock<std::mutex> guard(w.mutex);
    if (w.received != 0) {
      log_event(spdlog::level::err, "signal_received", {{"signal", signal_name(sig)}, {"action", "exit_at_once"}},
                "received {} again: exiting at once (exit {}); a migration in flight may be left as it is",
                signal_name(sig), static_cast<int>(exit_interrupted));
      std::_Exit(exit_interrupted);
    }
    w.received = sig;
    if (w.waiting) {
      w.received_cv.notify_all();
      continue;
    }
    if (auto* fleet = w.fleet.load()) {
      log_event(spdlog::level::warn, "signal_received", {{"signal", signal_name(sig)}, {"action", "stop_fleet"}},
                "received {}: stopping the fleet run (on every running target the statement in flight is "
                "cancelled and its transaction rolled back; no other target starts); a second signal exits "
                "at once",
                signal_name(sig));
      fleet->request();
      continue;
    }
    if (auto* engine = w.engine.load()) {
      log_event(spdlog::level::warn, "signal_received", {{"signal", signal_name(sig)}, {"action", "stop_run"}},
                "received {}: stopping the migration run (the statement in flight is cancelled and its "
                "transaction rolled back); a second signal exits at once",
                signal_name(sig));
      engine->interrupt();
      continue;
    }
    log_event(spdlog::level::warn, "signal_received", {{"signal", signal_name(sig)}, {"action", "exit"}},
              "received {} before any migration started: exiting (exit {})", signal_name(sig),
              static_cast<int>(exit_interrupted));
    std::_Exit(exit_interrupted);
  }
}

}  // namespace app
