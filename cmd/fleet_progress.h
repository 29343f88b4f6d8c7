// The live progress line of a fleet run (stderr, only on a terminal) and the
// text it shows. The text is pure; the display redraws it from a ticker thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>

namespace app {

struct fleet_progress {
  std::size_t done = 0;     // finished, ok or failed
  std::size_t failed = 0;
  std::size_t running = 0;
  std::size_t total = 0;
};

// "fleet: 120/1000 done, 3 failed, 8 running, 12s elapsed, ETA 1m28s"; the ETA
// (from the mean time per finished target) is left out until one finished.
std::string progress_text(const fleet_progress& p, std::chrono::milliseconds elapsed);

// Shows progress_text on stderr's last line, redrawn every 200 ms and at each
// change (through show_status_line, so log lines stay above it); cleared when destroyed.
class progress_display {
 public:
  explicit progress_display(std::size_t total);
  ~progress_display();
  progress_display(const progress_display&) = delete;
  progress_display& operator=(const progress_display&) = delete;
  void started();
  void finished(bool ok);

 private:
  void redraw();
  std::mutex mutex_;
  std::condition_variable wake_;
  fleet_progress progress_;
  bool stop_ = false;
  std::chrono::steady_clock::time_point start_;
  std::thread ticker_;
};

}  // namespace app
