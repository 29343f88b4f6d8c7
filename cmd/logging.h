// The app's logging: spdlog to stderr only, as text (human-readable, coloured
// on a terminal) or JSON (one object per line), every message and field value
// passed through migrator::redact_secrets. Fields: migrator/log.h. The core's
// log lines reach spdlog through the log_sink that setup_logging installs.
#pragma once

#include <spdlog/sinks/sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "log_format.h"
#include "migrator/log.h"

namespace app {

// Installs the default logger, logging `level` and above (the settings parsed
// both from their text). Colours only for text on a terminal, never with
// NO_COLOR set (non-empty) or TERM=dumb.
// `dsn_for_redaction`: the DSN whose password must never be written (may be "").
// Also installs make_spdlog_bridge() as the core's sink.
// May be called again (e.g. once settings are known); the last call wins.
void setup_logging(migrator::log_level level, log_format format, const std::string& dsn_for_redaction,
                   std::ostream* out = nullptr);

// The core's sink (migrator::set_log_sink) that hands each message to spdlog's
// default logger, so the core's lines and cmd's own look the same.
std::shared_ptr<migrator::log_sink> make_spdlog_bridge();

// Logs one line of the structured-log contract (docs/configuration.md#log-events):
// `event` is its stable name, `fields` its documented fields; the message is
// for humans and may change. Fields of enclosing migrator::log_scope's apply too.
template <typename... Args>
void log_event(spdlog::level::level_enum level, const char* event, std::vector<migrator::log_field> fields,
               spdlog::format_string_t<Args...> format, Args&&... args) {
  fields.insert(fields.begin(), migrator::log_field("event", event));
  migrator::log_scope scope(std::move(fields));
  spdlog::log(level, format, std::forward<Args>(args)...);
}

// A status line kept below the log on a terminal (fleet progress): log lines
// written to stderr while it is shown clear it first and redraw it after.
// Writes to stderr; the caller decides whether stderr is a terminal.
void show_status_line(const std::string& line);
void clear_status_line();

// Whether to colour text output.
bool use_colour(bool is_terminal, const char* no_color, const char* term);

// The sink setup_logging installs, writing whole lines to `out` (not owned).
std::shared_ptr<spdlog::sinks::sink> make_log_sink(std::FILE* out, bool json, bool colour,
                                                   std::string dsn_for_redaction);
std::shared_ptr<spdlog::sinks::sink> make_log_sink(std::ostream& out, bool json, bool colour,
                                                   std::string dsn_for_redaction);

// One rendered line, without the newline (what the sink writes).
std::string format_log_line(const spdlog::details::log_msg& msg, const std::vector<migrator::log_field>& fields,
                            bool json, bool colour, std::string_view dsn_for_redaction);

}  // namespace app
