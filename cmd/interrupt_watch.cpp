#include "interrupt_watch.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <ctime>

#include "exit_codes.h"
#include "logging.h"

namespace app {

namespace {

const char* signal_name(int sig) { return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "a signal"; }

}  // namespace

interrupt_watch::interrupt_watch() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGINT);
  sigaddset(&signals_, SIGTERM);
  // Threads started from here on (the background connect, the lease's
  // heartbeat) inherit the blocked mask: only watch() receives them.
  pthread_sigmask(SIG_BLOCK, &signals_, &previous_mask_);
  thread_ = std::thread([this] { watch(); });
}

interrupt_watch::~interrupt_watch() {
  stopping_.store(true);
  // Wakes the watcher now rather than at the end of its slice: every command
  // that watches (an `up` with nothing to do included) would otherwise pay up
  // to 100 ms at exit. The signal is the watcher's own (blocked everywhere,
  // taken by its sigtimedwait), and stopping_ says it is not from outside.
  pthread_kill(thread_.native_handle(), SIGTERM);
  thread_.join();
  // A signal that arrived after the last look would kill the process with the
  // default action once unblocked: the run is over, so take it as handled.
  timespec none{0, 0};
  while (sigtimedwait(&signals_, nullptr, &none) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

int interrupt_watch::wait() {
  std::unique_lock<std::mutex> guard(mutex_);
  waiting_ = true;
  received_cv_.wait(guard, [this] { return received_ != 0; });
  waiting_ = false;
  return received_;
}

void interrupt_watch::watch() {
  const timespec slice{0, 100 * 1000 * 1000};  // how soon the destructor is noticed
  while (!stopping_.load()) {
    const int sig = sigtimedwait(&signals_, nullptr, &slice);
    if (sig <= 0 || stopping_.load()) continue;
    std::unique_lock<std::mutex> guard(mutex_);
    if (received_ != 0) {
      log_event(spdlog::level::err, "signal_received", {{"signal", signal_name(sig)}, {"action", "exit_at_once"}},
                "received {} again: exiting at once (exit {}); a migration in flight may be left as it is",
                signal_name(sig), static_cast<int>(exit_interrupted));
      std::_Exit(exit_interrupted);
    }
    received_ = sig;
    if (waiting_) {
      received_cv_.notify_all();
      continue;
    }
    if (auto* fleet = fleet_.load()) {
      log_event(spdlog::level::warn, "signal_received", {{"signal", signal_name(sig)}, {"action", "stop_fleet"}},
                "received {}: stopping the fleet run (on every running target the statement in flight is "
                "cancelled and its transaction rolled back; no other target starts); a second signal exits "
                "at once",
                signal_name(sig));
      fleet->request();
      continue;
    }
    if (auto* engine = engine_.load()) {
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
