#include "migrator/log.h"

#include <mutex>

namespace migrator {

namespace {

thread_local std::vector<log_field> fields_in_force;

// A shared_ptr guarded by a mutex: std::atomic<std::shared_ptr> is C++20.
std::mutex sink_mutex;
std::shared_ptr<log_sink> installed_sink;

std::shared_ptr<log_sink> current_sink() {
  std::lock_guard<std::mutex> hold(sink_mutex);
  return installed_sink;
}

}  // namespace

const char* to_string(log_level level) noexcept {
  switch (level) {
    case log_level::trace: return "trace";
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warn: return "warn";
    case log_level::error: return "error";
    case log_level::critical: return "critical";
    case log_level::off: return "off";
  }
  return "off";
}

std::shared_ptr<log_sink> set_log_sink(std::shared_ptr<log_sink> sink) {
  std::lock_guard<std::mutex> hold(sink_mutex);
  installed_sink.swap(sink);
  return sink;
}

log_scope::log_scope(std::vector<log_field> fields) : outer_size_(fields_in_force.size()) {
  for (log_field& f : fields) fields_in_force.push_back(std::move(f));
}

log_scope::~log_scope() { fields_in_force.erase(fields_in_force.begin() + outer_size_, fields_in_force.end()); }

void log(log_level level, std::string_view message, std::vector<log_field> fields) {
  std::shared_ptr<log_sink> sink = current_sink();
  if (!sink || level == log_level::off || !sink->enabled(level)) return;
  log_scope scope(std::move(fields));
  sink->write(level, message, fields_in_force);
}

const std::vector<log_field>& current_log_fields() { return fields_in_force; }

}  // namespace migrator
