// libFuzzer target for parse_migration: any input either parses or throws
// migrator::parse_error ("fuzz.sql:N: ..."); nothing else, never a crash. What
// it returns must be consistent with the input (see the checks below).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "migrator/parser.h"

namespace {

void require(bool ok) {
  if (!ok) __builtin_trap();
}

// A fixed environment, with values that could confuse a splitter.
std::optional<std::string> fuzz_env(const std::string& name) {
  if (name == "UNSET" || name == "U") return std::nullopt;
  if (name == "EMPTY" || name == "E") return std::string();
  if (name == "SEMI") return std::string("x;");
  if (name == "QUOTE") return std::string("'");
  return std::string("v$1");
}

bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

int count_lines(std::string_view text) {
  int lines = 1;
  for (char c : text) lines += c == '\n';
  return lines;
}

void check_statements(const std::vector<migrator::statement>& statements, std::string_view text) {
  const bool may_substitute = text.find('$') != std::string_view::npos;
  const int lines = count_lines(text);
  int previous_line = 0;
  for (const auto& s : statements) {
    require(!s.sql.empty());
    require(!is_space(s.sql.front()) && !is_space(s.sql.back()));
    require(s.sql.find('\0') == std::string::npos);
    require(s.line >= 1 && s.line <= lines);
    require(s.line > previous_line);  // statements start on distinct, increasing lines
    previous_line = s.line;
    if (may_substitute) continue;
    // Without substitution every line of a statement is a line (part) of the input.
    std::size_t start = 0;
    while (start <= s.sql.size()) {
      std::size_t nl = s.sql.find('\n', start);
      if (nl == std::string::npos) nl = s.sql.size();
      require(text.find(std::string_view(s.sql).substr(start, nl - start)) != std::string_view::npos);
      start = nl + 1;
    }
  }
}

std::string crlf_to_lf(std::string_view text) {
  std::string r;
  r.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i)
    if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) r += text[i];
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const migrator::env_lookup env = fuzz_env;
  std::optional<migrator::migration_body> body;
  std::string error;
  try {
    body = migrator::parse_migration(text, "fuzz.sql", env);
  } catch (const migrator::parse_error& e) {
    error = e.what();
    require(error.rfind("fuzz.sql:", 0) == 0);
    require(e.where().line >= 1 && e.where().line <= count_lines(text));
    require(!e.where().message.empty());
  }
  if (body) {
    check_statements(body->up, text);
    check_statements(body->down, text);
  }

  // A CRLF file parses like its LF twin (when every CR is part of a CRLF) and
  // has the same checksum.
  const std::string lf = crlf_to_lf(text);
  require(migrator::migration_checksum(text).size() == 64);
  if (lf.find("\r\n") == std::string::npos)  // "\r\r\n" turns into a CRLF: not a fixed point
    require(migrator::migration_checksum(text) == migrator::migration_checksum(lf));
  if (lf.size() != text.size() && lf.find('\r') == std::string::npos) {
    try {
      const auto twin = migrator::parse_migration(lf, "fuzz.sql", env);
      require(body.has_value());
      require(twin.use_transaction == body->use_transaction);
      require(twin.up.size() == body->up.size() && twin.down.size() == body->down.size());
      for (std::size_t i = 0; i < twin.up.size(); ++i)
        require(twin.up[i].sql == body->up[i].sql && twin.up[i].line == body->up[i].line);
      for (std::size_t i = 0; i < twin.down.size(); ++i)
        require(twin.down[i].sql == body->down[i].sql && twin.down[i].line == body->down[i].line);
    } catch (const migrator::parse_error& e) {
      require(!body.has_value());
      require(error == e.what());
    }
  }
  return 0;
}
