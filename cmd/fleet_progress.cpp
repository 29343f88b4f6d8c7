#include "fleet_progress.h"

#include "logging.h"

namespace app {

namespace {

std::string short_duration(std::chrono::milliseconds d) {
  long long s = d.count() / 1000;
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m" + (s % 60 ? std::to_string(s % 60) + "s" : "");
  return std::to_string(s / 3600) + "h" + (s % 3600 / 60 ? std::to_string(s % 3600 / 60) + "m" : "");
}

}  // namespace

std::string progress_text(const fleet_progress& p, std::chrono::milliseconds elapsed) {
  std::string text = "fleet: " + std::to_string(p.done) + "/" + std::to_string(p.total) + " done, " +
                     std::to_string(p.failed) + " failed, " + std::to_string(p.running) + " running, " +
                     short_duration(elapsed) + " elapsed";
  if (p.done > 0 && p.done < p.total) {
    // Targets run side by side: the rate so far covers that.
    const auto left = elapsed * static_cast<long long>(p.total - p.done) / static_cast<long long>(p.done);
    text += ", ETA " + short_duration(left);
  }
  return text;
}

progress_display::progress_display(std::size_t total) : start_(std::chrono::steady_clock::now()) {
  progress_.total = total;
  redraw();
  ticker_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
      wake_.wait_for(lock, std::chrono::milliseconds(200));
      if (stop_) break;
      const fleet_progress now = progress_;
      lock.unlock();
      show_status_line(progress_text(now, std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::steady_clock::now() - start_)));
      lock.lock();
    }
  });
}

progress_display::~progress_display() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  ticker_.join();
  clear_status_line();
}

void progress_display::started() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++progress_.running;
  }
  wake_.notify_all();
}

void progress_display::finished(bool ok) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --progress_.running;
    ++progress_.done;
    if (!ok) ++progress_.failed;
  }
  wake_.notify_all();
}

void progress_display::redraw() {
  fleet_progress now;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    now = progress_;
  }
  show_status_line(progress_text(
      now, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start_)));
}

}  // namespace app
