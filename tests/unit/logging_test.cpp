// cmd/logging.cpp and migrator/log.h: formats, fields, redaction, colours, the core's sink.
#include "logging.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "migrator/log.h"
#include "settings.h"
#include "test_support.h"

using testing_support::scoped_env;

namespace {

const std::string dsn = "postgresql://app:s3cr%40t@db.internal:5432/app";  // the password is "s3cr@t"

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A default logger writing through the app's sink into a temporary file.
class captured_log {
 public:
  captured_log(bool json, bool colour = false) : file_(std::tmpfile()) {
    auto logger = std::make_shared<spdlog::logger>("test", app::make_log_sink(file_, json, colour, dsn));
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
    migrator::set_log_sink(app::make_spdlog_bridge());
  }
  ~captured_log() {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("none"));
    std::fclose(file_);
  }
  std::vector<std::string> lines() {
    spdlog::default_logger()->flush();
    std::rewind(file_);
    std::string text;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, file_)) > 0;) text.append(buf, n);
    return lines_of(text);
  }

 private:
  std::FILE* file_;
};

// fd 2 redirected to a file (setup_logging writes to stderr only).
class captured_stderr {
 public:
  captured_stderr() : file_(std::tmpfile()), saved_(dup(STDERR_FILENO)) {
    std::fflush(stderr);
    dup2(fileno(file_), STDERR_FILENO);
  }
  ~captured_stderr() {
    restore();
    std::fclose(file_);
  }
  std::string text() {
    restore();
    std::rewind(file_);
    std::string text;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, file_)) > 0;) text.append(buf, n);
    return text;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    saved_ = -1;
  }
  std::FILE* file_;
  int saved_;
};


const std::regex iso_time(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");

TEST(LoggingJson, OneObjectPerLineWithTimeLevelMessageAndFields) {
  captured_log log(true);
  {
    migrator::log_scope scope({{"module", "billing"}, {"version", 4001}});
    migrator::log(migrator::log_level::info, "applied", {{"duration_ms", 35}, {"in_transaction", true}});
  }
  migrator::log(migrator::log_level::warn, "no fields");
  auto lines = log.lines();
  ASSERT_EQ(lines.size(), 2u);
  auto first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(lines[0].rfind("{\"time\":", 0), 0u) << lines[0];
  EXPECT_TRUE(std::regex_match(first["time"].get<std::string>(), iso_time)) << first["time"];
  EXPECT_EQ(first["level"], "info");
  EXPECT_EQ(first["message"], "applied");
  EXPECT_EQ(first["module"], "billing");
  EXPECT_EQ(first["version"], 4001);
  EXPECT_EQ(first["duration_ms"], 35);
  EXPECT_EQ(first["in_transaction"], true);
  auto second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(second["level"], "warn");
  EXPECT_EQ(second.size(), 3u) << lines[1];  // the scope ended
}

TEST(LoggingJson, EscapingIsJsonsOwn) {
  captured_log log(true);
  migrator::log(migrator::log_level::error, "line one\nline \"two\"\t\\ \x01", {{"sql", "SELECT '\n'"}});
  migrator::log(migrator::log_level::info, "bad utf-8: \xff\xfe", {{"bytes", "\xc3"}});
  auto lines = log.lines();
  ASSERT_EQ(lines.size(), 2u);
  auto first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["message"], "line one\nline \"two\"\t\\ \x01");
  EXPECT_EQ(first["sql"], "SELECT '\n'");
  EXPECT_EQ(first["level"], "error");
  EXPECT_NO_THROW(nlohmann::json::parse(lines[1]));
}

TEST(LoggingJson, ReservedKeysAndNestedScopes) {
  captured_log log(true);
  migrator::log_scope outer({{"module", "billing"}, {"version", 4001}});
  {
    migrator::log_scope inner({{"version", 4002}, {"statement", 3}});
    migrator::log(migrator::log_level::info, "x", {{"message", "y"}, {"level", 1}});
  }
  spdlog::info("formatted {} + {}", 1, 2);  // plain spdlog calls carry the scope too
  auto lines = log.lines();
  ASSERT_EQ(lines.size(), 2u);
  auto first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["message"], "x");
  EXPECT_EQ(first["field.message"], "y");
  EXPECT_EQ(first["field.level"], 1);
  EXPECT_EQ(first["version"], 4002);
  EXPECT_EQ(first["statement"], 3);
  auto second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(second["message"], "formatted 1 + 2");
  EXPECT_EQ(second["version"], 4001);
  EXPECT_FALSE(second.contains("statement"));
}

TEST(LoggingText, HumanReadableLine) {
  captured_log log(false);
  migrator::log(migrator::log_level::info, "applied\n", {{"module", "billing"}, {"version", 4001}, {"file", "04001 x.sql"}});
  migrator::log(migrator::log_level::error, "failed", {{"empty", ""}, {"ok", false}});
  auto lines = log.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(std::regex_match(lines[0], std::regex(R"(\S+Z info  applied module=billing version=4001 file="04001 x.sql")")))
      << lines[0];
  EXPECT_TRUE(std::regex_match(lines[1], std::regex(R"(\S+Z error failed empty="" ok=false)"))) << lines[1];
  EXPECT_TRUE(std::regex_match(lines[0].substr(0, 24), iso_time)) << lines[0];
  EXPECT_EQ(lines[0].find('\033'), std::string::npos);
}

TEST(LoggingText, ColourOnlyOnTheLevel) {
  captured_log log(false, true);
  migrator::log(migrator::log_level::warn, "careful");
  auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("\033[33mwarn\033[0m  careful"), std::string::npos) << lines[0];
}

TEST(LoggingRedaction, PasswordNeverWrittenInAnyForm) {
  for (bool json : {true, false}) {
    captured_log log(json);
    migrator::log_scope scope({{"dsn", dsn}});
    migrator::log(migrator::log_level::error, "connection to " + dsn + " failed: password s3cr@t rejected",
                  {{"detail", "tried s3cr%40t"}});
    spdlog::error("libpq said: {}", "host=db.internal password=s3cr@t");
    spdlog::info("a second DSN: postgresql://x:zq9x@h/db");
    for (const std::string& line : log.lines()) {
      EXPECT_EQ(line.find("s3cr"), std::string::npos) << line;
      EXPECT_EQ(line.find("zq9x"), std::string::npos) << line;
    }
  }
}

TEST(SetupLogging, WritesJsonToStderrAtTheChosenLevel) {
  captured_stderr err;
  app::setup_logging(migrator::log_level::warn, app::log_format::json, dsn);
  spdlog::info("hidden");
  migrator::log(migrator::log_level::warn, "shown s3cr@t", {{"module", "auth"}});
  spdlog::error("also shown");
  auto lines = lines_of(err.text());
  ASSERT_EQ(lines.size(), 2u);
  auto first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["message"], "shown ***");
  EXPECT_EQ(first["module"], "auth");
  EXPECT_EQ(nlohmann::json::parse(lines[1])["level"], "error");
}

TEST(SetupLogging, OffWritesNothing) {
  captured_stderr err;
  app::setup_logging(migrator::log_level::off, app::log_format::text, "");
  spdlog::critical("nothing");
  EXPECT_EQ(err.text(), "");
}

// Unknown words never get here: the settings refuse them (settings_test's SettingsErrors).
TEST(SetupLogging, EachLevelTheSettingsSpellIsSpdlogsLevelOfThatName) {
  for (const auto& [text, level] : app::log_level_spellings) {
    app::setup_logging(level, app::log_format::text, "");
    EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::from_str(std::string(text))) << text;
  }
}

TEST(Colour, Decision) {
  EXPECT_TRUE(app::use_colour(true, nullptr, "xterm-256color"));
  EXPECT_TRUE(app::use_colour(true, nullptr, nullptr));
  EXPECT_TRUE(app::use_colour(true, "", "xterm"));  // NO_COLOR= (empty) does not count
  EXPECT_FALSE(app::use_colour(true, "1", "xterm"));
  EXPECT_FALSE(app::use_colour(true, "0", "xterm"));  // any non-empty value
  EXPECT_FALSE(app::use_colour(true, nullptr, "dumb"));
  EXPECT_FALSE(app::use_colour(false, nullptr, "xterm"));
}

// stderr on a real terminal (a pseudo-terminal), with and without NO_COLOR.
std::string log_on_terminal(const char* no_color) {
  scoped_env env("NO_COLOR", no_color);
  scoped_env term("TERM", "xterm");
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) return "no pty";
  int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
  if (slave < 0) return "no pty";
  std::fflush(stderr);
  int saved = dup(STDERR_FILENO);
  dup2(slave, STDERR_FILENO);
  app::setup_logging(migrator::log_level::info, app::log_format::text, "");
  spdlog::warn("on a terminal");
  std::fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("none"));
  std::string out;
  pollfd p{master, POLLIN, 0};
  char buf[1024];
  while (poll(&p, 1, 200) > 0) {
    ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.find("terminal") != std::string::npos) break;
  }
  close(slave);
  close(master);
  return out;
}

TEST(Colour, OnATerminalUnlessNoColor) {
  std::string coloured = log_on_terminal(nullptr);
  // Pseudo-terminals are part of every supported environment (CI included): none is a failure, not a skip.
  ASSERT_NE(coloured, "no pty") << "could not open a pseudo-terminal (posix_openpt/grantpt/unlockpt/open)";
  EXPECT_NE(coloured.find("\033[33mwarn\033[0m"), std::string::npos) << coloured;
  std::string plain = log_on_terminal("1");
  EXPECT_NE(plain.find("warn  on a terminal"), std::string::npos) << plain;
  EXPECT_EQ(plain.find('\033'), std::string::npos) << plain;
}

TEST(Colour, NeverInJsonOrWhenNotATerminal) {
  captured_stderr err;
  scoped_env env("NO_COLOR", nullptr);
  app::setup_logging(migrator::log_level::info, app::log_format::text, "");
  spdlog::warn("to a file");
  EXPECT_EQ(err.text().find('\033'), std::string::npos);
}

}  // namespace

// The time of a line is UTC to the millisecond, the same in both formats,
// whatever the process's time zone (TZ is not read for it).
TEST(LoggingTime, IsUtcToTheMillisecondInEveryTimeZone) {
  const char* before = std::getenv("TZ");
  const std::string saved = before ? before : "";
  setenv("TZ", "Asia/Kathmandu", 1);  // +05:45: an hour or a minute off shows
  tzset();
  spdlog::details::log_msg msg(spdlog::source_loc{}, "app", spdlog::level::info, "started");
  // 2026-02-03 04:05:06.007 UTC
  msg.time = spdlog::log_clock::time_point(std::chrono::milliseconds(1770091506007LL));
  const std::string text = app::format_log_line(msg, {}, false, false, "");
  const std::string json = app::format_log_line(msg, {}, true, false, "");
  if (before) setenv("TZ", saved.c_str(), 1); else unsetenv("TZ");
  tzset();
  EXPECT_EQ(text.rfind("2026-02-03T04:05:06.007Z info", 0), 0u) << text;
  EXPECT_EQ(nlohmann::json::parse(json)["time"], "2026-02-03T04:05:06.007Z") << json;
}
