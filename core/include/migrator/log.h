// Logging with structured fields, through a sink the program installs. The
// core names no logging library: a program (cmd/logging.cpp does it with
// spdlog; a consumer with whatever it uses) implements migrator::log_sink and
// installs it with set_log_sink. Without a sink the core logs nothing.
//
//   migrator::log_scope scope({{"module", "billing"}, {"version", 4001}});
//   migrator::log(migrator::log_level::info, "applied", {{"duration_ms", 35}});
//   -> the sink's write(info, "applied", {module=billing, version=4001, duration_ms=35})
//
// Keys "time", "level" and "message" are best avoided (cmd's JSON writes a
// field named so as "field.time" etc.). Fields live in thread-local storage, so
// a sink that wants the fields must take them in write(), on the logging thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace migrator {

enum class log_level { trace, debug, info, warn, error, critical, off };

// "trace", "debug", "info", "warn", "error", "critical", "off".
const char* to_string(log_level level) noexcept;

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

// Where the core's log lines go. write() is called on the logging thread and
// must be safe to call from several threads at once.
class log_sink {
 public:
  virtual ~log_sink() = default;
  // Whether messages of `level` are wanted at all (skips building them).
  virtual bool enabled(log_level level) const = 0;
  // `fields`: every field in force for this message (the scopes' outermost
  // first, then the message's own); a later field with the same key wins.
  virtual void write(log_level level, std::string_view message, const std::vector<log_field>& fields) = 0;
};

// Installs the sink for the whole process (nullptr: log nothing). Returns the previous one.
std::shared_ptr<log_sink> set_log_sink(std::shared_ptr<log_sink> sink);

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

// Logs `message` (not a format string) through the installed sink, with
// `fields` added to this one message.
void log(log_level level, std::string_view message, std::vector<log_field> fields = {});

// The fields in force on this thread, outermost first (for sinks that log
// messages of their own program with the core's scopes, as cmd/ does).
const std::vector<log_field>& current_log_fields();

}  // namespace migrator
