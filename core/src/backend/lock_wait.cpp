#include "backend/lock_wait.h"

#include <algorithm>
#include <thread>

#include "migrator/error.h"

namespace migrator {

std::string lock_holder::describe() const {
  std::string d;
  auto add = [&d](const std::string& part) {
    if (part.empty()) return;
    d += (d.empty() ? "" : ", ") + part;
  };
  if (!locked_by.empty()) d = "'" + locked_by + "'";
  if (pid) add("pid " + std::to_string(*pid));
  if (!application_name.empty()) add("application_name '" + application_name + "'");
  if (!client_address.empty()) add("client " + client_address);
  if (!since.empty()) add((locked_by.empty() ? "connected since " : "holding it since ") + since);
  if (!lease_expires_at.empty()) add("lease expires at " + lease_expires_at + " unless renewed");
  return d.empty() ? "unknown" : d;
}

}  // namespace migrator

namespace migrator::detail {

namespace {

error interrupted_error(const lock_attempts& a) {
  return error(error_code::interrupted, "interrupted while waiting for the migration lock (" + a.lock_name + ")");
}

}  // namespace

bool wait_for_lock(const lock_attempts& a, std::chrono::milliseconds timeout,
                   const std::function<void(const lock_holder&)>& on_wait, const std::atomic<bool>& interrupted) {
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + timeout;
  // Short first pauses so replicas queued behind a quick migration go on at once;
  // longer ones later so a long migration is not polled hard.
  auto pause = std::chrono::milliseconds(10);
  bool waited = false;
  auto next_report = start;
  for (;;) {
    if (interrupted.load()) throw interrupted_error(a);
    if (a.try_once()) return waited;
    waited = true;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      lock_holder holder;
      try {
        holder = a.look_up_holder();
      } catch (const error&) {
        // The holder is for the message only.
      }
      throw error(error_code::lock_timeout, "timed out after " + std::to_string(timeout.count()) +
                                                " ms waiting for the migration lock (" + a.lock_name +
                                                "), held by " + holder.describe() + "; " + a.hint);
    }
    if (on_wait && now >= next_report) {
      lock_holder holder;
      try {
        holder = a.look_up_holder();
      } catch (const error&) {
      }
      on_wait(holder);
      next_report = now + holder_report_interval;
    }
    // Sleep in slices so interrupt() is seen within half a second.
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::milliseconds(500));
  }
}

}  // namespace migrator::detail
