#include "logging.h"

#include <spdlog/sinks/base_sink.h>
#include <unistd.h>

#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>

#include "migrator/dsn.h"

namespace app {

namespace {

using json = nlohmann::ordered_json;  // keeps time, level, message first

std::string iso8601_utc(spdlog::log_clock::time_point t) {
  auto since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(since_epoch / 1000);
  int millis = static_cast<int>(since_epoch % 1000);
  if (millis < 0) millis += 1000, seconds -= 1;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[40];
  std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", millis);
  return text;
}

const char* level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "critical";
    default: return "off";
  }
}

const char* level_colour(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return "\033[2m";
    case spdlog::level::info: return "\033[32m";
    case spdlog::level::warn: return "\033[33m";
    case spdlog::level::err: return "\033[31m";
    default: return "\033[1;31m";
  }
}

// Never throws on invalid UTF-8 (a server message may hold any bytes).
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// The last value of each key, in the order keys first appeared.
std::vector<std::pair<std::string, const migrator::log_value*>> merged(const std::vector<migrator::log_field>& fields) {
  std::vector<std::pair<std::string, const migrator::log_value*>> out;
  for (const migrator::log_field& f : fields) {
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& kv) { return kv.first == f.key; });
    if (it != out.end()) {
      it->second = &f.value;
    } else {
      out.emplace_back(f.key, &f.value);
    }
  }
  return out;
}

std::string without_trailing_newlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

json json_value(const migrator::log_value& value, std::string_view dsn) {
  if (auto s = std::get_if<std::string>(&value)) return migrator::redact_secrets(*s, dsn);
  if (auto i = std::get_if<std::int64_t>(&value)) return *i;
  return std::get<bool>(value);
}

std::string text_value(const migrator::log_value& value, std::string_view dsn) {
  if (auto i = std::get_if<std::int64_t>(&value)) return std::to_string(*i);
  if (auto b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  std::string s = migrator::redact_secrets(std::get<std::string>(value), dsn);
  bool plain = !s.empty() && std::none_of(s.begin(), s.end(), [](unsigned char c) {
    return c <= ' ' || c == '"' || c == '=' || c == 0x7f;
  });
  return plain ? s : dump(json(s));
}

std::mutex terminal_mutex;
std::string status_line;  // shown on stderr; empty: none

class redacting_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  redacting_sink(std::FILE* out, bool json, bool colour, std::string dsn)
      : file_(out), json_(json), colour_(colour), dsn_(std::move(dsn)) {}
  redacting_sink(std::ostream& out, bool json, bool colour, std::string dsn)
      : stream_(&out), json_(json), colour_(colour), dsn_(std::move(dsn)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string line = format_log_line(msg, migrator::current_log_fields(), json_, colour_, dsn_);
    line += '\n';
    if (stream_) {
      stream_->write(line.data(), static_cast<std::streamsize>(line.size()));
      return;
    }
    std::lock_guard<std::mutex> lock(terminal_mutex);
    if (!status_line.empty() && file_ == stderr) line = "\r\033[K" + line + status_line;
    std::fwrite(line.data(), 1, line.size(), file_);
  }
  void flush_() override {
    if (stream_)
      stream_->flush();
    else
      std::fflush(file_);
  }

 private:
  std::FILE* file_ = nullptr;
  std::ostream* stream_ = nullptr;  // set when logging into a caller's stream (app::run in tests)
  bool json_;
  bool colour_;
  std::string dsn_;
};

spdlog::level::level_enum spdlog_level(migrator::log_level level) {
  switch (level) {
    case migrator::log_level::trace: return spdlog::level::trace;
    case migrator::log_level::debug: return spdlog::level::debug;
    case migrator::log_level::info: return spdlog::level::info;
    case migrator::log_level::warn: return spdlog::level::warn;
    case migrator::log_level::error: return spdlog::level::err;
    case migrator::log_level::critical: return spdlog::level::critical;
    case migrator::log_level::off: break;
  }
  return spdlog::level::off;
}

// The fields are already in force on this thread (migrator::log scoped them),
// where redacting_sink reads them: the core's lines render like cmd's own.
class spdlog_bridge final : public migrator::log_sink {
 public:
  bool enabled(migrator::log_level level) const override {
    spdlog::logger* logger = spdlog::default_logger_raw();
    return logger && logger->should_log(spdlog_level(level));
  }
  void write(migrator::log_level level, std::string_view message, const std::vector<migrator::log_field>&) override {
    spdlog::logger* logger = spdlog::default_logger_raw();
    if (logger) logger->log(spdlog_level(level), spdlog::string_view_t(message.data(), message.size()));
  }
};

}  // namespace

std::shared_ptr<migrator::log_sink> make_spdlog_bridge() { return std::make_shared<spdlog_bridge>(); }

std::string format_log_line(const spdlog::details::log_msg& msg, const std::vector<migrator::log_field>& fields,
                            bool as_json, bool colour, std::string_view dsn) {
  const std::string message =
      without_trailing_newlines(migrator::redact_secrets(std::string_view(msg.payload.data(), msg.payload.size()), dsn));
  if (as_json) {
    json line;
    line["time"] = iso8601_utc(msg.time);
    line["level"] = level_name(msg.level);
    // The contract's key (docs/configuration.md#log-events) comes before the
    // human message, so a reader sees what kind of line it is first.
    const auto all = merged(fields);
    for (const auto& [key, value] : all)
      if (key == "event") line["event"] = json_value(*value, dsn);
    line["message"] = message;
    for (const auto& [key, value] : all) {
      if (key == "event") continue;
      bool reserved = key == "time" || key == "level" || key == "message";
      line[reserved ? "field." + key : key] = json_value(*value, dsn);
    }
    return dump(line);
  }
  std::string level = level_name(msg.level);
  std::string line = iso8601_utc(msg.time) + ' ';
  line += colour ? level_colour(msg.level) + level + "\033[0m" : level;
  line += std::string(level.size() < 5 ? 6 - level.size() : 1, ' ');
  line += message;
  // The event and its own fields (those given after it: log_event and the core
  // put `event` first) are for programs and repeat what the message says; a human
  // reads the message and the fields of the enclosing scopes (module, version, target).
  std::size_t shown = fields.size();
  for (std::size_t i = 0; i < fields.size(); ++i)
    if (fields[i].key == "event") shown = i;
  const std::vector<migrator::log_field> scope_fields(fields.begin(), fields.begin() + static_cast<std::ptrdiff_t>(shown));
  for (const auto& [key, value] : merged(scope_fields)) line += ' ' + key + '=' + text_value(*value, dsn);
  return line;
}

void show_status_line(const std::string& line) {
  std::lock_guard<std::mutex> lock(terminal_mutex);
  status_line = line;
  const std::string text = "\r\033[K" + line;
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

void clear_status_line() {
  std::lock_guard<std::mutex> lock(terminal_mutex);
  if (status_line.empty()) return;
  status_line.clear();
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
}

bool use_colour(bool is_terminal, const char* no_color, const char* term) {
  if (!is_terminal) return false;
  if (no_color && *no_color) return false;  // https://no-color.org: set and not empty
  return !(term && std::string_view(term) == "dumb");
}

std::shared_ptr<spdlog::sinks::sink> make_log_sink(std::FILE* out, bool json, bool colour, std::string dsn) {
  return std::make_shared<redacting_sink>(out, json, colour, std::move(dsn));
}

std::shared_ptr<spdlog::sinks::sink> make_log_sink(std::ostream& out, bool json, bool colour, std::string dsn) {
  return std::make_shared<redacting_sink>(out, json, colour, std::move(dsn));
}

void setup_logging(migrator::log_level level, log_format format, const std::string& dsn_for_redaction,
                   std::ostream* out) {
  const bool json = format == log_format::json;
  const bool colour =
      !json && !out && use_colour(isatty(STDERR_FILENO), std::getenv("NO_COLOR"), std::getenv("TERM"));
  auto logger = std::make_shared<spdlog::logger>(
      "app", out ? make_log_sink(*out, json, false, dsn_for_redaction) : make_log_sink(stderr, json, colour, dsn_for_redaction));
  logger->set_level(spdlog_level(level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
  migrator::set_log_sink(make_spdlog_bridge());
}

}  // namespace app
