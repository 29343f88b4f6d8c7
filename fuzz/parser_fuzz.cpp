// libFuzzer target for parse_migration: any input either parses or throws
// migrator::parse_error ("fuzz.sql:N: ..."); nothing else, never a crash. What
// it returns must be consistent with the input (see the checks below), and on
// inputs without quoting characters it must equal what goose's algorithm
// gives (a plain re-statement of internal/sqlparser's ParseSQLMigration below).
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// ---- goose's algorithm, written out plainly, for the differential check -------

bool go_space(std::string_view s, std::size_t i, std::size_t* len) {
  const auto c = static_cast<unsigned char>(s[i]);
  const auto at = [&](std::size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0; };
  std::size_t n = 0;
  if (c == ' ' || (c >= '\t' && c <= '\r'))
    n = 1;
  else if (c == 0xC2 && (at(1) == 0x85 || at(1) == 0xA0))
    n = 2;
  else if (c == 0xE1 && at(1) == 0x9A && at(2) == 0x80)
    n = 3;
  else if (c == 0xE3 && at(1) == 0x80 && at(2) == 0x80)
    n = 3;
  else if (c == 0xE2 && at(1) == 0x80 &&
           ((at(2) >= 0x80 && at(2) <= 0x8A) || at(2) == 0xA8 || at(2) == 0xA9 || at(2) == 0xAF))
    n = 3;
  else if (c == 0xE2 && at(1) == 0x81 && at(2) == 0x9F)
    n = 3;
  if (len) *len = n;
  return n != 0;
}

std::string_view go_trim(std::string_view s) {
  std::size_t n;
  while (!s.empty() && go_space(s, 0, &n)) s.remove_prefix(n);
  for (bool again = true; again && !s.empty();) {
    again = false;
    for (std::size_t k = 1; k <= 3 && k <= s.size(); ++k) {
      if (go_space(s, s.size() - k, &n) && n == k) {
        s.remove_suffix(k);
        again = true;
        break;
      }
    }
  }
  return s;
}

bool go_ends_with_semicolon(std::string_view line) {
  std::string prev, word;
  std::size_t i = 0, n;
  while (i <= line.size()) {
    if (i == line.size() || go_space(line, i, &n)) {
      if (!word.empty()) {
        if (word.rfind("--", 0) == 0) break;
        prev = word;
        word.clear();
      }
      i += i == line.size() ? 1 : n;
    } else {
      word += line[i++];
    }
  }
  return !prev.empty() && prev.back() == ';';
}

// The annotation's canonical name, or "" when goose's extractAnnotation fails.
std::string go_annotation(std::string_view line) {
  if (line[0] == ' ' || line[0] == '\t') return "";
  std::string cmd;
  for (std::size_t i = 0; i < line.size();) {
    if (line.compare(i, 2, "--") == 0) {
      i += 2;
    } else {
      cmd += line[i++];
    }
  }
  cmd.erase(cmd.find("+goose"), 6);
  if (cmd.find("+goose") != std::string::npos) return "";
  std::string word(go_trim(cmd));
  // Go's EqualFold also folds U+017F to 's' and U+212A to 'k'.
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"\xC5\xBF", "s"}, {"\xE2\x84\xAA", "k"}})
    for (std::size_t at; (at = word.find(from)) != std::string::npos;) word.replace(at, from.size(), to);
  for (const char* name :
       {"Up", "Down", "StatementBegin", "StatementEnd", "NO TRANSACTION", "ENVSUB ON", "ENVSUB OFF"}) {
    const std::string_view n(name);
    if (n.size() != word.size()) continue;
    bool same = true;
    for (std::size_t k = 0; k < n.size() && same; ++k)
      same = std::tolower(n[k]) == std::tolower(static_cast<unsigned char>(word[k]));
    if (same) return name;
  }
  return "";
}

struct goose_result {
  bool ok = true;
  bool use_tx = true;
  std::vector<std::string> statements;
};

goose_result goose_parse(std::string_view text, bool up) {
  enum { start, g_up, begin_up, end_up, g_down, begin_down, end_down } state = start;
  goose_result r;
  std::string buf;
  const auto fail = [&r] {
    r.ok = false;
    return r;
  };
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    if (state == start && go_trim(line).empty()) continue;
    if (go_trim(line).rfind("--", 0) == 0 && line.find("+goose") != std::string_view::npos) {
      const std::string a = go_annotation(line);
      if (a.empty()) return fail();
      if (a == "Up") {
        if (state != start) return fail();
        state = g_up;
        continue;
      }
      if (a == "Down") {
        if (state != g_up && state != end_up) return fail();
        if (!go_trim(buf).empty()) return fail();
        state = g_down;
        continue;
      }
      if (a == "StatementBegin") {
        if (state == g_up || state == end_up)
          state = begin_up;
        else if (state == g_down || state == end_down)
          state = begin_down;
        else
          return fail();
        continue;
      }
      if (a == "StatementEnd") {
        if (state == begin_up)
          state = end_up;
        else if (state == begin_down)
          state = end_down;
        else
          return fail();
      } else {
        if (a == "NO TRANSACTION") r.use_tx = false;
        continue;
      }
    }
    if (buf.empty() && (go_trim(line).rfind("--", 0) == 0 || line.empty())) continue;
    if (state != end_up && state != end_down) buf.append(line).append("\n");
    if (state == g_up || state == begin_up || state == end_up) {
      if (!up) {
        buf.clear();
        continue;
      }
    } else if (state == g_down || state == begin_down || state == end_down) {
      if (up) {
        buf.clear();
        continue;
      }
    } else {
      return fail();
    }
    if (state == g_up || state == g_down) {
      if (go_ends_with_semicolon(line)) {
        r.statements.emplace_back(go_trim(buf));
        buf.clear();
      }
    } else if (state == end_up || state == end_down) {
      r.statements.emplace_back(go_trim(buf));
      buf.clear();
      state = state == end_up ? g_up : g_down;
    }
  }
  if (state == start || state == begin_up || state == begin_down) return fail();
  if (!go_trim(buf).empty()) return fail();
  return r;
}

// Inputs where PostgreSQL quoting cannot matter: ours must agree with goose.
bool without_quoting(std::string_view text) {
  return text.find_first_of("'\"$") == std::string_view::npos && text.find("/*") == std::string_view::npos &&
         text.rfind("\xEF\xBB\xBF", 0) != 0 && text.find('\0') == std::string_view::npos;
}

void compare_with_goose(std::string_view text, const std::optional<migrator::migration_body>& body,
                        const std::string& error) {
  if (!without_quoting(text) || error.find("invalid UTF-8") != std::string::npos) return;
  // "-- +migrator" lines are our own annotations (baselines): goose reads them as
  // comments, we check where they stand. An intended difference.
  if (text.find("+migrator") != std::string_view::npos) return;
  const goose_result up = goose_parse(text, true), down = goose_parse(text, false);
  if (!up.ok || !down.ok) {
    require(!body.has_value());
    return;
  }
  for (const auto* r : {&up, &down})
    for (const auto& s : r->statements)
      if (s.empty()) return;  // goose's empty-block quirk: we intentionally differ
  require(body.has_value());
  require(body->use_transaction == up.use_tx);
  require(body->up.size() == up.statements.size() && body->down.size() == down.statements.size());
  for (std::size_t i = 0; i < up.statements.size(); ++i) require(body->up[i].sql == up.statements[i]);
  for (std::size_t i = 0; i < down.statements.size(); ++i) require(body->down[i].sql == down.statements[i]);
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
  compare_with_goose(text, body, error);

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
