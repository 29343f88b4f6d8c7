// The signal watch of the app's commands (cmd/interrupt_watch.cpp) once it has
// ended: a signal then belongs to the process again, not to the watch's thread.
#include <gtest/gtest.h>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "interrupt_watch.h"

namespace {

using namespace std::chrono_literals;

// SIGTERM blocked in this thread for the test's length (as a caller's mask may
// have it), so that a signal the watch does not take stays pending, where the
// test can see it, instead of ending the test process.
class sigterm_blocked {
 public:
  sigterm_blocked() {
    sigemptyset(&term_);
    sigaddset(&term_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &term_, &previous_);
  }
  ~sigterm_blocked() {
    const timespec none{0, 0};
    while (sigtimedwait(&term_, nullptr, &none) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  bool pending() const {
    sigset_t pending;
    sigpending(&pending);
    return sigismember(&pending, SIGTERM) == 1;
  }

 private:
  sigset_t term_{}, previous_{};
};

TEST(interrupt_watch, a_signal_after_the_watch_ended_is_left_to_the_process) {
  sigterm_blocked blocked;
  {
    app::interrupt_watch watch;
    std::this_thread::sleep_for(20ms);  // its thread is waiting for signals now
  }
  ASSERT_FALSE(blocked.pending());
  kill(getpid(), SIGTERM);
  // Longer than the watch thread's wait (100 ms): by then it has either taken
  // the signal or stopped waiting.
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(blocked.pending()) << "the ended watch took SIGTERM and dropped it";
}

}  // namespace
