#include "format/sql_lexer.h"

#include <cstring>

#include "support/unicode_text.h"

namespace migrator::parsing {
namespace {

bool is_ident_byte(unsigned char c) noexcept {
  return is_ascii_letter(c) || is_digit(c) || c == '_' || c == '$' || c >= 0x80;
}
bool is_tag_start(unsigned char c) noexcept { return is_ascii_letter(c) || c == '_' || c >= 0x80; }
bool is_tag_byte(unsigned char c) noexcept { return is_tag_start(c) || is_digit(c); }
// Printable ASCII but ; - / ' " $: in code, a run of them changes nothing but
// the identifier flags (those six may end a statement or open a comment,
// string, identifier or dollar body; spaces end a word; bytes >= 0x80 may be
// spaces). Punctuation such as "(", "," and "." is most of what lies between
// a migration's words.
bool is_inert_in_code(unsigned char c) noexcept {
  return c > ' ' && c < 0x80 && c != ';' && c != '-' && c != '/' && c != '\'' && c != '"' && c != '$';
}

}  // namespace

// A byte the quoted construct `state` passes over without a change (outside an
// escape): not a space, not a byte that may close or nest it.
bool statement_end_scanner::passes_over(unsigned char c) const noexcept {
  if (c <= ' ' || c >= 0x80) return false;
  switch (state_) {
    case lexical::string: return c != '\'';
    case lexical::escape_string: return c != '\'' && c != '\\';
    case lexical::identifier: return c != '"';
    case lexical::dollar: return c != '$';
    case lexical::block_comment: return c != '/' && c != '*';
    case lexical::code:
    case lexical::line_comment: break;
  }
  return false;
}

bool statement_end_scanner::ends_statement(std::string_view line, int line_no) {
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
    ends = false;
    // Runs that the switch below would take byte by byte with the same result:
    // most of a migration's bytes (the parser's hot loop).
    if (state_ == lexical::code && is_inert_in_code(c)) {
      const char* q = p + 1;
      while (q < end && is_inert_in_code(static_cast<unsigned char>(*q))) ++q;
      // The flags as the byte-by-byte path leaves them after the run's last byte.
      const auto last = static_cast<unsigned char>(q[-1]);
      const bool ident_before_last = q - p == 1 ? prev_ident : is_ident_byte(static_cast<unsigned char>(q[-2]));
      prev_e_start = (last == 'e' || last == 'E') && !ident_before_last;
      prev_ident = is_ident_byte(last);
      p = q;
      continue;
    }
    if (!escape_pending_ && passes_over(c)) {
      const char* q = p + 1;
      while (q < end && passes_over(static_cast<unsigned char>(*q))) ++q;
      p = q;
      continue;
    }
    const std::size_t left = static_cast<std::size_t>(end - p);
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

std::string statement_end_scanner::open_construct() const {
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

bool statement_end_scanner::dollar_tag(const char* p, const char* end) {
  const char* q = p + 1;
  if (q < end && is_tag_start(static_cast<unsigned char>(*q)))
    while (q < end && is_tag_byte(static_cast<unsigned char>(*q))) ++q;
  if (q >= end || *q != '$') return false;
  tag_.assign(p, static_cast<std::size_t>(q + 1 - p));
  return true;
}

}  // namespace migrator::parsing
