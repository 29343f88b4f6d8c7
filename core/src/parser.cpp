// The goose v3 SQL migration format. Where a rule looks odd, it is because
// pressly/goose (internal/sqlparser/parser.go) does exactly that, and a file
// must split the same way under both tools. The one intended difference: a ';'
// that ends a line inside a string, E'' string, dollar-quoted body, quoted
// identifier or block comment does not end the statement (goose splits there
// and sends broken SQL). Files that goose accepts with a UTF-8 BOM or lines
// longer than 4 MB would fail in goose; they parse here.
#include "migrator/parser.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <utility>
#include <variant>
#include <vector>

namespace migrator {
namespace {

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

// ---------------------------------------------------------------------------
// Text helpers. Go's strings.TrimSpace and bufio.ScanWords use unicode.IsSpace,
// which also counts NEL, NBSP and the Unicode space separators: so do we.

// Byte length of the whitespace character starting at p, or 0.
std::size_t space_len(const char* p, const char* end) noexcept {
  const auto c = static_cast<unsigned char>(*p);
  if (c < 0x80) return (c == ' ' || (c >= '\t' && c <= '\r')) ? 1 : 0;
  const std::size_t left = static_cast<std::size_t>(end - p);
  const auto b = [p](int i) { return static_cast<unsigned char>(p[i]); };
  if (c == 0xC2) return (left >= 2 && (b(1) == 0x85 || b(1) == 0xA0)) ? 2 : 0;
  if (left < 3) return 0;
  if (c == 0xE1) return (b(1) == 0x9A && b(2) == 0x80) ? 3 : 0;  // U+1680
  if (c == 0xE3) return (b(1) == 0x80 && b(2) == 0x80) ? 3 : 0;  // U+3000
  if (c != 0xE2) return 0;
  if (b(1) == 0x80)  // U+2000..U+200A, U+2028, U+2029, U+202F
    return ((b(2) >= 0x80 && b(2) <= 0x8A) || b(2) == 0xA8 || b(2) == 0xA9 || b(2) == 0xAF) ? 3 : 0;
  return (b(1) == 0x81 && b(2) == 0x9F) ? 3 : 0;  // U+205F
}

// Byte length of the whitespace character that ends just before `end`, or 0.
std::size_t trailing_space_len(const char* begin, const char* end) noexcept {
  for (std::size_t n = 1; n <= 3 && n <= static_cast<std::size_t>(end - begin); ++n) {
    const auto lead = static_cast<unsigned char>(end[-static_cast<std::ptrdiff_t>(n)]);
    if ((lead & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    return space_len(end - n, end) == n ? n : 0;
  }
  return 0;
}

std::string_view trim_left(std::string_view s) noexcept {
  const char* p = s.data();
  const char* const end = p + s.size();
  while (p < end) {
    const std::size_t n = space_len(p, end);
    if (n == 0) break;
    p += n;
  }
  return {p, static_cast<std::size_t>(end - p)};
}

std::string_view trim_space(std::string_view s) noexcept {
  s = trim_left(s);
  const char* end = s.data() + s.size();
  while (end > s.data()) {
    const std::size_t n = trailing_space_len(s.data(), end);
    if (n == 0) break;
    end -= n;
  }
  return {s.data(), static_cast<std::size_t>(end - s.data())};
}

bool starts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

bool is_ascii_letter(unsigned char c) noexcept { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool is_digit(unsigned char c) noexcept { return c >= '0' && c <= '9'; }

// A short, single-line excerpt for messages.
std::string excerpt(std::string_view s) {
  const std::size_t nl = s.find('\n');
  bool cut = nl != std::string_view::npos;
  if (cut) s = s.substr(0, nl);
  constexpr std::size_t max = 72;
  if (s.size() > max) {
    std::size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // whole characters
    s = s.substr(0, n);
    cut = true;
  }
  std::string r(s);
  if (cut) r += "...";
  return r;
}

// Index of the first byte that is NUL or not part of well-formed UTF-8 (as Go's
// utf8.Valid: no overlongs, no surrogates, nothing above U+10FFFF), or npos.
std::size_t find_invalid_byte(std::string_view text) noexcept {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    // Eight ASCII bytes with no NUL at a time: the common case.
    if (n - i >= 8) {
      std::uint64_t w;
      std::memcpy(&w, s + i, 8);
      constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
      if (((w | ((w - ones) & ~w)) & highs) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = s[i];
    if (c != 0 && c < 0x80) {
      ++i;
      continue;
    }
    if (c == 0) return i;
    std::size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    if (n - i < len || s[i + 1] < lo || s[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k)
      if ((s[i + k] & 0xC0) != 0x80) return i;
    i += len;
  }
  return std::string_view::npos;
}

// ---------------------------------------------------------------------------
// Annotations: goose's extractAnnotation, rule for rule.

enum class annotation { up, down, statement_begin, statement_end, no_transaction, envsub_on, envsub_off };

constexpr std::pair<std::string_view, annotation> annotations[] = {
    {"Up", annotation::up},
    {"Down", annotation::down},
    {"StatementBegin", annotation::statement_begin},
    {"StatementEnd", annotation::statement_end},
    {"NO TRANSACTION", annotation::no_transaction},
    {"ENVSUB ON", annotation::envsub_on},
    {"ENVSUB OFF", annotation::envsub_off},
};

constexpr const char* annotation_list =
    "Up, Down, StatementBegin, StatementEnd, NO TRANSACTION, ENVSUB ON, ENVSUB OFF";

// goose: a line is an annotation when, trimmed, it starts with "--" and it
// contains "+goose" anywhere (so "-- we use +goose" is a malformed annotation).
bool is_annotation_line(std::string_view line) noexcept {
  return starts_with(trim_left(line), "--") && line.find("+goose") != std::string_view::npos;
}

// Go's strings.EqualFold against an ASCII word: simple case folding, which also
// folds U+017F (long s) to 's' and U+212A (Kelvin sign) to 'k'.
bool equal_fold(std::string_view in, std::string_view ascii_word) noexcept {
  std::size_t i = 0;
  for (const char w : ascii_word) {
    const char lw = static_cast<char>(w | 0x20);
    if (i < in.size() && static_cast<unsigned char>(in[i]) < 0x80) {
      const auto c = static_cast<unsigned char>(in[i]);
      const bool same = is_ascii_letter(c) ? static_cast<char>(c | 0x20) == lw : in[i] == w;
      if (!same) return false;
      ++i;
    } else if (lw == 's' && in.substr(i, 2) == "\xC5\xBF") {
      i += 2;
    } else if (lw == 'k' && in.substr(i, 3) == "\xE2\x84\xAA") {
      i += 3;
    } else {
      return false;
    }
  }
  return i == in.size();
}

std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
  std::string r;
  std::size_t start = 0;
  for (std::size_t pos; (pos = s.find(from, start)) != std::string_view::npos; start = pos + from.size())
    r.append(s, start, pos - start).append(to);
  return r.append(s.substr(start));
}

// Returns the annotation or an error message.
std::variant<annotation, std::string> extract_annotation(std::string_view line) {
  // goose rejects only a leading space or tab; other whitespace passes.
  if (line[0] == ' ' || line[0] == '\t')
    return std::string(
        "annotation must start at the beginning of the line: remove the whitespace before \"--\"");
  std::string cmd = replace_all(line, "--", "");
  cmd.erase(cmd.find("+goose"), 6);  // present: "--" removal cannot touch "+goose"
  if (cmd.find("+goose") != std::string::npos) return std::string("two \"+goose\" annotations on one line");
  const std::string_view word = trim_space(cmd);
  if (word.empty()) return "empty annotation \"-- +goose\": expected one of " + std::string(annotation_list);
  for (const auto& [name, a] : annotations)
    if (equal_fold(word, name)) return a;
  return "unknown annotation \"" + excerpt(word) + "\": expected one of " + annotation_list;
}

// ---------------------------------------------------------------------------
// ENVSUB: mfridman/interpolate (goose's substitution), applied to one line.
//   $VAR ${VAR} ${VAR:-default} ${VAR-default} ${VAR?message} ${VAR:offset[:length]}
//   "\$" and "$$" give "$", "\\" stays "\\", "$(" stays. Any other "$" must
//   start a variable name (a letter, then letters, digits or '_').

struct envsub_failure {
  std::string message;
};

class interpolator {
 public:
  interpolator(std::string_view in, const env_lookup& env) : in_(in), env_(env) {}

  void run(std::string& out) {
    expression(false, true, &out);
    if (pos_ != in_.size()) throw envsub_failure{"internal error: substitution stopped early"};
  }

 private:
  // Parses text and expansions up to the end (or, in a brace, up to '}').
  // With eval false it only checks the syntax, like interpolate's parse of a
  // default that is not used.
  void expression(bool in_brace, bool eval, std::string* out) {
    const std::size_t n = in_.size();
    while (pos_ < n) {
      const char c = in_[pos_];
      if (in_brace && c == '}') break;
      const std::string_view rest = in_.substr(pos_);
      if (starts_with(rest, "\\\\")) {
        emit(eval, out, "\\\\");
        pos_ += 2;
      } else if (starts_with(rest, "\\$") || starts_with(rest, "$$")) {
        emit(eval, out, "$");
        pos_ += 2;
      } else if (starts_with(rest, "$(")) {
        emit(eval, out, "$(");
        pos_ += 2;
      } else if (c == '$' && pos_ < n - 1) {
        expansion(eval, out);
      } else {
        const std::size_t start = pos_;
        pos_ += rune_len(pos_);
        while (pos_ < n && in_[pos_] != '$' && in_[pos_] != '\\' && !(in_brace && in_[pos_] == '}'))
          pos_ += rune_len(pos_);
        emit(eval, out, in_.substr(start, pos_ - start));
      }
    }
  }

  void expansion(bool eval, std::string* out) {
    ++pos_;  // '$'
    if (in_[pos_] == '{') return brace(eval, out);
    const std::string name = identifier("$");
    if (eval)
      if (auto v = lookup(name)) out->append(*v);
  }

  void brace(bool eval, std::string* out) {
    ++pos_;  // '{'
    const std::string name = identifier("${");
    if (pos_ < in_.size() && in_[pos_] == '}') {
      ++pos_;
      if (eval)
        if (auto v = lookup(name)) out->append(*v);
      return;
    }
    if (pos_ >= in_.size()) throw envsub_failure{"\"${" + name + "\" is never closed (add \"}\")"};
    const std::size_t op_start = pos_;
    pos_ += rune_len(pos_);
    std::string_view op = in_.substr(op_start, pos_ - op_start);
    if (op == ":" && pos_ < in_.size() && in_[pos_] == '-') op = in_.substr(op_start, ++pos_ - op_start);

    std::optional<std::string> value;
    if (eval) value = lookup(name);
    std::string result;
    if (op == ":-") {  // default when unset or empty
      const bool use_default = !value || value->empty();
      expression(true, eval && use_default, &result);
      if (eval && !use_default) result = *value;
    } else if (op == "-") {  // default when unset
      expression(true, eval && !value, &result);
      if (eval && value) result = *value;
    } else if (op == "?") {  // required
      expression(true, eval && !value, &result);
      if (eval && !value) throw envsub_failure{"$" + name + ": " + (result.empty() ? "not set" : result)};
      if (eval) result = *value;
    } else if (op == ":") {  // substring, in bytes
      const std::int64_t offset = number(scan_until(":}"), name);
      std::optional<std::int64_t> length;
      if (!(pos_ < in_.size() && in_[pos_] == '}')) {
        if (pos_ < in_.size()) pos_ += rune_len(pos_);  // ':'
        length = number(scan_until("}"), name);
      }
      if (eval && value) result = substring(*value, offset, length);
    } else {
      throw envsub_failure{"unexpected \"" + std::string(op) + "\" after \"${" + name +
                           "\": expected \"}\", \":-\", \"-\", \"?\" or \":\""};
    }
    if (pos_ >= in_.size() || in_[pos_] != '}')
      throw envsub_failure{"\"${" + name + "\" is never closed (add \"}\")"};
    ++pos_;
    if (eval) out->append(result);
  }

  std::string identifier(const char* after) {
    if (pos_ >= in_.size() || !is_letter_at(pos_)) {
      const std::string got = pos_ >= in_.size()
                                  ? "the end of the line"
                                  : "\"" + std::string(in_.substr(pos_, rune_len(pos_))) + "\"";
      throw envsub_failure{"\"" + std::string(after) + "\" must be followed by a variable name, got " + got +
                           " (write \"\\$\" or \"$$\" for a literal \"$\", or turn ENVSUB off)"};
    }
    const std::size_t start = pos_;
    while (pos_ < in_.size() &&
           (is_letter_at(pos_) || is_digit(static_cast<unsigned char>(in_[pos_])) || in_[pos_] == '_'))
      pos_ += rune_len(pos_);
    return std::string(in_.substr(start, pos_ - start));
  }

  std::string_view scan_until(std::string_view stops) {
    const std::size_t start = pos_;
    while (pos_ < in_.size() && stops.find(in_[pos_]) == std::string_view::npos) pos_ += rune_len(pos_);
    return in_.substr(start, pos_ - start);
  }

  // Go's strconv.Atoi of the trimmed text.
  static std::int64_t number(std::string_view s, const std::string& name) {
    const std::string_view t = trim_space(s);
    std::size_t i = 0;
    const bool negative = !t.empty() && t[0] == '-';
    if (!t.empty() && (t[0] == '-' || t[0] == '+')) ++i;
    if (i == t.size()) throw envsub_failure{bad_number(s, name)};
    std::uint64_t v = 0;
    const std::uint64_t limit = negative ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1;
    for (; i < t.size(); ++i) {
      if (!is_digit(static_cast<unsigned char>(t[i]))) throw envsub_failure{bad_number(s, name)};
      const unsigned d = static_cast<unsigned>(t[i] - '0');
      if (v > (limit - d) / 10) throw envsub_failure{bad_number(s, name)};
      v = v * 10 + d;
    }
    return negative ? static_cast<std::int64_t>(0 - v) : static_cast<std::int64_t>(v);
  }

  static std::string bad_number(std::string_view s, const std::string& name) {
    return "\"${" + name + ":...}\" needs a whole number, got \"" + std::string(s) + "\"";
  }

  // interpolate's SubstringExpansion, with saturating arithmetic where Go
  // would overflow.
  static std::string substring(const std::string& v, std::int64_t offset,
                               std::optional<std::int64_t> length) {
    const auto len = static_cast<std::int64_t>(v.size());
    std::int64_t from = offset;
    if (from < 0) from += len;
    if (from < 0) from = 0;
    if (from > len) from = len;
    if (!length) return v.substr(static_cast<std::size_t>(from));
    std::int64_t to;
    if (*length >= 0) {
      to = *length > len ? len : from + *length;
    } else {
      to = *length + len;
      if (to < from) to = from;
    }
    if (to > len) to = len;
    return v.substr(static_cast<std::size_t>(from), static_cast<std::size_t>(to - from));
  }

  std::optional<std::string> lookup(const std::string& name) const {
    if (!env_) return std::nullopt;
    return env_(name);
  }

  static void emit(bool eval, std::string* out, std::string_view text) {
    if (eval) out->append(text);
  }

  std::size_t rune_len(std::size_t i) const noexcept {
    const auto c = static_cast<unsigned char>(in_[i]);
    const std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    return std::min(len, in_.size() - i);
  }

  // unicode.IsLetter, approximated: ASCII letters, and any non-ASCII character
  // but whitespace and U+FFFD (environment variable names are ASCII in practice).
  bool is_letter_at(std::size_t i) const noexcept {
    const auto c = static_cast<unsigned char>(in_[i]);
    if (c < 0x80) return is_ascii_letter(c);
    if (space_len(in_.data() + i, in_.data() + in_.size()) != 0) return false;
    return in_.substr(i, 3) != "\xEF\xBF\xBD";
  }

  std::string_view in_;
  const env_lookup& env_;
  std::size_t pos_ = 0;
};

// ---------------------------------------------------------------------------
// Where a statement ends (outside StatementBegin/End).
//
// goose ends a statement on a line whose last whitespace-separated word before
// the first word starting with "--" ends with ';'. We apply that rule to the
// same words, with PostgreSQL's lexical state tracked across lines: a word that
// starts inside a string, identifier, dollar body or block comment does not
// open a comment, and a final ';' inside one of those does not end the
// statement. A "--" in the middle of a word opens a line comment for the lexer
// (so a quote after it opens nothing) but, as in goose, does not stop the words.

enum class lexical { code, line_comment, string, escape_string, identifier, dollar, block_comment };

bool is_ident_byte(unsigned char c) noexcept {
  return is_ascii_letter(c) || is_digit(c) || c == '_' || c == '$' || c >= 0x80;
}
bool is_tag_start(unsigned char c) noexcept { return is_ascii_letter(c) || c == '_' || c >= 0x80; }
bool is_tag_byte(unsigned char c) noexcept { return is_tag_start(c) || is_digit(c); }

class statement_end_scanner {
 public:
  // Feeds the next line of the statement; true when it ends the statement.
  bool ends_statement(std::string_view line, int line_no) {
    if (state_ == lexical::line_comment) state_ = lexical::code;
    escape_pending_ = false;  // a backslash at the end of the line escaped the newline
    const char* p = line.data();
    const char* const end = p + line.size();
    bool in_word = false;
    bool ends = false;          // the last non-space byte so far is an unquoted ';'
    bool prev_ident = false;    // the previous byte continues an identifier
    bool prev_e_start = false;  // the previous byte is an 'E' that starts a token
    while (p < end) {
      if (const std::size_t n = space_len(p, end)) {
        in_word = prev_ident = prev_e_start = escape_pending_ = false;
        p += n;
        continue;
      }
      if (!in_word) {
        in_word = true;
        if (!quoted() && end - p >= 2 && p[0] == '-' && p[1] == '-') break;  // the rest is a comment
      }
      const auto c = static_cast<unsigned char>(*p);
      const std::size_t left = static_cast<std::size_t>(end - p);
      ends = false;
      switch (state_) {
        case lexical::code: {
          const bool e_start = prev_e_start;
          prev_e_start = (c == 'e' || c == 'E') && !prev_ident;
          if (c == ';') {
            ends = true;
            prev_ident = false;
            ++p;
          } else if (c == '-' && left >= 2 && p[1] == '-') {
            state_ = lexical::line_comment;
            p += 2;
          } else if (c == '/' && left >= 2 && p[1] == '*') {
            open(lexical::block_comment, line_no);
            depth_ = 1;
            p += 2;
          } else if (c == '\'') {
            open(e_start ? lexical::escape_string : lexical::string, line_no);
            ++p;
          } else if (c == '"') {
            open(lexical::identifier, line_no);
            ++p;
          } else if (c == '$' && !prev_ident && dollar_tag(p, end)) {
            open(lexical::dollar, line_no);
            p += tag_.size();
          } else {
            prev_ident = is_ident_byte(c);
            ++p;
            continue;
          }
          prev_ident = false;
          if (state_ != lexical::code) prev_e_start = false;
          break;
        }
        case lexical::line_comment:
          ends = c == ';';
          ++p;
          break;
        case lexical::string:
        case lexical::escape_string:
          if (escape_pending_) {
            escape_pending_ = false;
            ++p;
          } else if (c == '\'') {
            if (left >= 2 && p[1] == '\'') {
              p += 2;
            } else {
              state_ = lexical::code;
              ++p;
            }
          } else {
            escape_pending_ = c == '\\' && state_ == lexical::escape_string;
            ++p;
          }
          break;
        case lexical::identifier:
          if (c == '"') {
            if (left >= 2 && p[1] == '"') {
              p += 2;
            } else {
              state_ = lexical::code;
              ++p;
            }
          } else {
            ++p;
          }
          break;
        case lexical::dollar:
          if (c == '$' && left >= tag_.size() && std::memcmp(p, tag_.data(), tag_.size()) == 0) {
            state_ = lexical::code;
            p += tag_.size();
          } else {
            ++p;
          }
          break;
        case lexical::block_comment:
          if (c == '/' && left >= 2 && p[1] == '*') {
            ++depth_;
            p += 2;
          } else if (c == '*' && left >= 2 && p[1] == '/') {
            if (--depth_ == 0) state_ = lexical::code;
            p += 2;
          } else {
            ++p;
          }
          break;
      }
    }
    return ends;
  }

  void reset() noexcept {
    state_ = lexical::code;
    depth_ = 0;
    escape_pending_ = false;
  }

  // For messages: what is still open, and since which line ("" = nothing).
  std::string open_construct() const {
    switch (state_) {
      case lexical::string:
      case lexical::escape_string:
        return "a string opened on line " + std::to_string(open_line_) + " is never closed";
      case lexical::identifier:
        return "a double-quoted identifier opened on line " + std::to_string(open_line_) + " is never closed";
      case lexical::dollar:
        return "the dollar-quoted body " + tag_ + " opened on line " + std::to_string(open_line_) +
               " is never closed";
      case lexical::block_comment:
        return "a /* comment opened on line " + std::to_string(open_line_) + " is never closed";
      case lexical::code:
      case lexical::line_comment:
        break;
    }
    return "";
  }

 private:
  bool quoted() const noexcept { return state_ != lexical::code && state_ != lexical::line_comment; }

  void open(lexical s, int line_no) noexcept {
    state_ = s;
    open_line_ = line_no;
  }

  // "$tag$" or "$$" at p: remembers the delimiter.
  bool dollar_tag(const char* p, const char* end) {
    const char* q = p + 1;
    if (q < end && is_tag_start(static_cast<unsigned char>(*q)))
      while (q < end && is_tag_byte(static_cast<unsigned char>(*q))) ++q;
    if (q >= end || *q != '$') return false;
    tag_.assign(p, static_cast<std::size_t>(q + 1 - p));
    return true;
  }

  lexical state_ = lexical::code;
  int depth_ = 0;
  int open_line_ = 0;
  bool escape_pending_ = false;
  std::string tag_;
};

// ---------------------------------------------------------------------------
// The statement being collected: goose's buffer of "line\n". Kept as a view of
// the input while its lines are contiguous there (no CR dropped, no annotation
// skipped, no substitution), else copied.

class pending_statement {
 public:
  bool empty() const noexcept { return !started_; }

  void append(std::string_view line, bool from_input, int line_no) {
    if (text_line_ == 0 && !trim_left(line).empty()) text_line_ = line_no;
    if (!started_) {
      started_ = true;
      if (from_input) {
        begin_ = line.data();
        end_ = line.data() + line.size();
      } else {
        owned_.assign(line);
        is_owned_ = true;
      }
      return;
    }
    if (!is_owned_ && from_input && line.data() == end_ + 1 && *end_ == '\n') {
      end_ = line.data() + line.size();
      return;
    }
    if (!is_owned_) {
      owned_.assign(begin_, static_cast<std::size_t>(end_ - begin_));
      is_owned_ = true;
    }
    owned_ += '\n';
    owned_.append(line);
  }

  std::string_view text() const noexcept {
    if (is_owned_) return owned_;
    return {begin_, static_cast<std::size_t>(end_ - begin_)};
  }

  // The line where the statement's (trimmed) text begins; 0 while blank.
  int text_line() const noexcept { return text_line_; }

  void clear() noexcept {
    started_ = is_owned_ = false;
    begin_ = end_ = nullptr;
    owned_.clear();
    text_line_ = 0;
  }

 private:
  bool started_ = false;
  bool is_owned_ = false;
  const char* begin_ = nullptr;
  const char* end_ = nullptr;
  std::string owned_;
  int text_line_ = 0;
};

// ---------------------------------------------------------------------------

class migration_parser {
 public:
  migration_parser(std::string_view path, const env_lookup& env) : path_(path), env_(env) {}

  migration_body parse(std::string_view text) {
    if (starts_with(text, utf8_bom)) text.remove_prefix(utf8_bom.size());
    if (const std::size_t bad = find_invalid_byte(text); bad != std::string_view::npos) {
      const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + bad, '\n'));
      const std::size_t nl = bad == 0 ? std::string_view::npos : text.rfind('\n', bad - 1);
      const std::size_t column = bad - (nl == std::string_view::npos ? 0 : nl + 1) + 1;
      if (text[bad] == '\0')
        fail(line, "NUL byte at column " + std::to_string(column) + " (a migration is text)");
      fail(line, "invalid UTF-8 at column " + std::to_string(column) + " (save the file as UTF-8)");
    }

    const char* p = text.data();
    const char* const end = p + text.size();
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      const char* line_end = nl ? nl : end;
      if (line_end > p && line_end[-1] == '\r') --line_end;  // bufio.ScanLines drops one CR
      ++line_no_;
      on_line(std::string_view(p, static_cast<std::size_t>(line_end - p)));
      p = nl ? nl + 1 : end;
    }

    if (section_ == section::none)
      fail(1, "no \"-- +goose Up\" annotation: a migration starts with \"-- +goose Up\"");
    if (in_block_) fail(block_line_, "StatementBegin is never closed (add \"-- +goose StatementEnd\")");
    require_terminated("the end of the file");
    return std::move(body_);
  }

 private:
  enum class section { none, up, down };

  [[noreturn]] void fail(int line, std::string message) const {
    throw parse_error(problem{std::string(path_), line, std::move(message)});
  }

  void on_line(std::string_view line) {
    if (section_ == section::none && trim_left(line).empty()) return;
    if (is_annotation_line(line)) return on_annotation(line);
    // Comments and blank lines before a statement are dropped; once it has
    // begun (even with a whitespace-only line), everything is kept.
    if (pending_.empty() && (line.empty() || starts_with(trim_left(line), "--"))) return;
    if (section_ == section::none)
      fail(line_no_, "SQL before \"-- +goose Up\": \"" + excerpt(trim_space(line)) +
                         "\" (a migration starts with \"-- +goose Up\")");

    std::string_view sql = line;
    bool from_input = true;
    if (envsub_ && line.find('$') != std::string_view::npos) {
      expanded_.clear();
      try {
        interpolator(line, env_).run(expanded_);
      } catch (const envsub_failure& f) {
        fail(line_no_, "variable substitution failed: " + f.message);
      }
      if (find_invalid_byte(expanded_) != std::string_view::npos)
        fail(line_no_, "variable substitution produced a NUL byte or invalid UTF-8");
      sql = expanded_;
      from_input = false;
    }
    pending_.append(sql, from_input, line_no_);
    if (!in_block_ && scanner_.ends_statement(sql, line_no_)) emit();
  }

  void on_annotation(std::string_view line) {
    auto extracted = extract_annotation(line);
    if (auto* message = std::get_if<std::string>(&extracted)) fail(line_no_, std::move(*message));
    switch (std::get<annotation>(extracted)) {
      case annotation::up:
        if (section_ != section::none)
          fail(line_no_, "second \"-- +goose Up\" (the first is on line " + std::to_string(up_line_) + ")");
        section_ = section::up;
        up_line_ = line_no_;
        return;
      case annotation::down:
        if (section_ == section::none)
          fail(line_no_,
               "\"-- +goose Down\" before \"-- +goose Up\" (a migration starts with \"-- +goose Up\")");
        if (in_block_)
          fail(line_no_, "\"-- +goose Down\" inside the StatementBegin block opened on line " +
                             std::to_string(block_line_) + " (add \"-- +goose StatementEnd\" before it)");
        if (section_ == section::down)
          fail(line_no_,
               "second \"-- +goose Down\" (the first is on line " + std::to_string(down_line_) + ")");
        require_terminated("\"-- +goose Down\" on line " + std::to_string(line_no_));
        pending_.clear();
        scanner_.reset();
        section_ = section::down;
        down_line_ = line_no_;
        return;
      case annotation::statement_begin:
        if (section_ == section::none)
          fail(line_no_, "StatementBegin before \"-- +goose Up\" (a migration starts with \"-- +goose Up\")");
        if (in_block_)
          fail(line_no_, "StatementBegin inside the block opened on line " + std::to_string(block_line_) +
                             " (add \"-- +goose StatementEnd\" before it)");
        // Unterminated lines before it become part of the block, as in goose.
        in_block_ = true;
        block_line_ = line_no_;
        return;
      case annotation::statement_end:
        if (!in_block_) fail(line_no_, "StatementEnd without a StatementBegin before it");
        in_block_ = false;
        emit();
        return;
      case annotation::no_transaction:
        body_.use_transaction = false;
        return;
      case annotation::envsub_on:
        envsub_ = true;
        return;
      case annotation::envsub_off:
        envsub_ = false;
        return;
    }
  }

  // Stores the pending statement. An empty StatementBegin/End block yields no
  // statement (goose would send an empty one and drop the next line).
  void emit() {
    const std::string_view sql = trim_space(pending_.text());
    if (!sql.empty())
      (section_ == section::up ? body_.up : body_.down)
          .push_back(statement{std::string(sql), pending_.text_line()});
    pending_.clear();
    scanner_.reset();
  }

  void require_terminated(const std::string& reached) const {
    if (pending_.empty() || pending_.text_line() == 0) return;
    const std::string_view sql = trim_space(pending_.text());
    std::string message = "statement \"" + excerpt(sql) + "\" is not terminated before " + reached + ": ";
    const std::string open = scanner_.open_construct();
    if (!open.empty())
      message += open;
    else
      message += "end it with \";\" or wrap it in \"-- +goose StatementBegin\" / \"-- +goose StatementEnd\"";
    fail(pending_.text_line(), std::move(message));
  }

  std::string_view path_;
  const env_lookup& env_;
  migration_body body_;
  section section_ = section::none;
  int line_no_ = 0;
  int up_line_ = 0;
  int down_line_ = 0;
  bool in_block_ = false;
  int block_line_ = 0;
  bool envsub_ = false;
  pending_statement pending_;
  statement_end_scanner scanner_;
  std::string expanded_;
};

}  // namespace

std::optional<file_name_parts> parse_file_name(std::string_view file_name) {
  if (const std::size_t slash = file_name.rfind('/'); slash != std::string_view::npos)
    file_name.remove_prefix(slash + 1);
  constexpr std::string_view ext = ".sql";
  if (file_name.size() < ext.size() || file_name.substr(file_name.size() - ext.size()) != ext)
    return std::nullopt;
  const std::string_view stem = file_name.substr(0, file_name.size() - ext.size());

  file_name_parts parts;
  parts.name = std::string(stem);
  const std::size_t underscore = stem.find('_');
  if (underscore == 0 || underscore == std::string_view::npos) return parts;
  std::int64_t version = 0;
  for (const char c : stem.substr(0, underscore)) {
    if (!is_digit(static_cast<unsigned char>(c))) return parts;
    const int d = c - '0';
    if (version > (std::numeric_limits<std::int64_t>::max() - d) / 10) return parts;
    version = version * 10 + d;
  }
  if (version <= 0) return parts;
  parts.version = version;
  parts.name = std::string(stem.substr(underscore + 1));
  return parts;
}

migration_body parse_migration(std::string_view text, std::string_view path, const env_lookup& env) {
  return migration_parser(path, env).parse(text);
}

std::string migration_checksum(std::string_view text) {
  if (starts_with(text, utf8_bom)) text.remove_prefix(utf8_bom.size());
  // OpenSSL 3 looks the algorithm up on every EVP_DigestInit_ex(EVP_sha256()) (about
  // 8,000 instructions, more than hashing a small migration): fetch it once.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  bool ok = sha256 && ctx && EVP_DigestInit_ex(ctx.get(), sha256, nullptr) == 1;
  // Hash the text in the runs between "\r\n" pairs, leaving out each '\r'.
  std::size_t start = 0;
  while (ok) {
    const std::size_t crlf = text.find("\r\n", start);
    const std::size_t stop = crlf == std::string_view::npos ? text.size() : crlf;
    ok = EVP_DigestUpdate(ctx.get(), text.data() + start, stop - start) == 1;
    if (crlf == std::string_view::npos) break;
    start = crlf + 1;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!ok || EVP_DigestFinal_ex(ctx.get(), digest, &size) != 1)
    throw std::runtime_error("SHA-256 failed (OpenSSL)");
  static constexpr char hex[] = "0123456789abcdef";
  std::string r;
  r.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    r += hex[digest[i] >> 4];
    r += hex[digest[i] & 0xF];
  }
  return r;
}

}  // namespace migrator
