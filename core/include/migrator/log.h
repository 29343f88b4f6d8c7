// Logging with structured fields. The core logs through spdlog's default
// logger; cmd/logging.cpp installs the sink that renders a line (text or one
// JSON object) from the message plus the fields in force on the logging thread.
//
//   migrator::log_scope scope({{"module", "billing"}, {"version", 4001}});
//   migrator::log(spdlog::level::info, "applied", {{"duration_ms", 35}});
//   -> {"time":"...","level":"info","message":"applied","module":"billing","version":4001,"duration_ms":35}
//   -> 2024-05-01T12:00:00.123Z info  applied module=billing version=4001 duration_ms=35
//
// Plain spdlog::info(...) calls work too and carry the scope's fields. Keys
// "time", "level" and "message" are reserved (a field named so is written as
// "field.time" etc.). Fields live in thread-local storage, so sinks must be
// synchronous (spdlog's async loggers would lose them).
#pragma once

#include <spdlog/spdlog.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace migrator {

// Text, integer or boolean: a JSON string, number or true/false.
using log_value = std::variant<std::string, std::int64_t, bool>;

struct log_field {
  std::string key;
  log_value value;

  log_field(std::string k, std::string v) : key(std::move(k)), value(std::move(v)) {}
  log_field(std::string k, std::string_view v) : key(std::move(k)), value(std::string(v)) {}
  log_field(std::string k, const char* v) : key(std::move(k)), value(std::string(v)) {}
  log_field(std::string k, bool v) : key(std::move(k)), value(v) {}
  template <typename Int, std::enable_if_t<std::is_integral_v<Int> && !std::is_same_v<Int, bool>, int> = 0>
  log_field(std::string k, Int v) : key(std::move(k)), value(static_cast<std::int64_t>(v)) {}
};

// Adds fields to every message this thread logs while the scope lives; scopes
// nest (an inner field with the same key wins).
class log_scope {
 public:
  explicit log_scope(std::vector<log_field> fields);
  ~log_scope();
  log_scope(const log_scope&) = delete;
  log_scope& operator=(const log_scope&) = delete;

 private:
  std::size_t outer_size_;
};

// Logs `message` (not a format string) through spdlog's default logger, with
// `fields` added to this one message.
void log(spdlog::level::level_enum level, std::string_view message, std::vector<log_field> fields = {});

// For sinks: the fields in force on this thread, outermost first.
const std::vector<log_field>& current_log_fields();

}  // namespace migrator
