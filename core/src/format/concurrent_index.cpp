#include "format/concurrent_index.h"

#include <cstddef>

namespace migrator::parsing {

namespace {

constexpr std::size_t max_name_bytes = 63;  // NAMEDATALEN - 1

// At most `limit` bytes of `s`, never ending inside a UTF-8 character (as the
// server's pg_mbcliplen cuts identifiers).
std::string clipped(const std::string& s, std::size_t limit) {
  if (s.size() <= limit) return s;
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

struct token {
  enum kind_t { word, quoted, symbol, end, unreadable } kind = end;
  std::string text;  // word: folded to lower case; quoted: as written, "" unescaped; symbol: the character
};

bool word_start(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80; }
bool word_part(unsigned char c) { return word_start(c) || (c >= '0' && c <= '9') || c == '$'; }

// Just enough of PostgreSQL's lexer for the head of a statement: words, quoted
// identifiers, single-character symbols; comments and white space skipped.
class tokens {
 public:
  explicit tokens(std::string_view sql) : sql_(sql) {}

  token next() {
    skip_space_and_comments();
    if (at_ >= sql_.size()) return {};
    const unsigned char c = static_cast<unsigned char>(sql_[at_]);
    // U&"..." would need its escapes decoded: not followed.
    if ((c == 'u' || c == 'U') && at_ + 1 < sql_.size() && sql_[at_ + 1] == '&') return {token::unreadable, ""};
    if (word_start(c)) {
      std::string w;
      while (at_ < sql_.size() && word_part(static_cast<unsigned char>(sql_[at_]))) {
        char ch = sql_[at_++];
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        w += ch;
      }
      return {token::word, clipped(w, max_name_bytes)};
    }
    if (c == '"') {
      std::string q;
      for (++at_; at_ < sql_.size(); ++at_) {
        if (sql_[at_] != '"') {
          q += sql_[at_];
        } else if (at_ + 1 < sql_.size() && sql_[at_ + 1] == '"') {
          q += '"';
          ++at_;
        } else {
          ++at_;
          if (q.empty()) return {token::unreadable, ""};  // "" is no identifier
          return {token::quoted, clipped(q, max_name_bytes)};
        }
      }
      return {token::unreadable, ""};  // unterminated
    }
    ++at_;
    return {token::symbol, std::string(1, static_cast<char>(c))};
  }

 private:
  void skip_space_and_comments() {
    while (at_ < sql_.size()) {
      const char c = sql_[at_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        ++at_;
      } else if (sql_.compare(at_, 2, "--") == 0) {
        while (at_ < sql_.size() && sql_[at_] != '\n') ++at_;
      } else if (sql_.compare(at_, 2, "/*") == 0) {
        // Block comments nest in PostgreSQL.
        int depth = 0;
        do {
          if (sql_.compare(at_, 2, "/*") == 0) {
            ++depth;
            at_ += 2;
          } else if (sql_.compare(at_, 2, "*/") == 0) {
            --depth;
            at_ += 2;
          } else {
            ++at_;
          }
        } while (depth > 0 && at_ < sql_.size());
      } else {
        return;
      }
    }
  }

  std::string_view sql_;
  std::size_t at_ = 0;
};

class reader {
 public:
  explicit reader(std::string_view sql) : tokens_(sql) { advance(); }

  const token& peek() const { return current_; }
  bool keyword(const char* w) const { return current_.kind == token::word && current_.text == w; }
  bool symbol(char c) const { return current_.kind == token::symbol && current_.text.size() == 1 && current_.text[0] == c; }
  bool accept_keyword(const char* w) {
    if (!keyword(w)) return false;
    advance();
    return true;
  }
  bool accept_symbol(char c) {
    if (!symbol(c)) return false;
    advance();
    return true;
  }
  bool identifier() const { return current_.kind == token::word || current_.kind == token::quoted; }
  void advance() { current_ = tokens_.next(); }

  // name [. name [. name]]: the last part is the object, the one before it the
  // schema (a leading database name is the current one's, or an error).
  std::optional<qualified_name> name() {
    std::vector<std::string> parts;
    if (!identifier()) return std::nullopt;
    parts.push_back(current_.text);
    advance();
    while (accept_symbol('.')) {
      if (!identifier() || parts.size() == 3) return std::nullopt;
      parts.push_back(current_.text);
      advance();
    }
    qualified_name n;
    n.name = parts.back();
    if (parts.size() >= 2) n.schema = parts[parts.size() - 2];
    return n;
  }

 private:
  tokens tokens_;
  token current_;
};

std::optional<concurrent_index_statement> create_index(reader& r) {
  r.accept_keyword("unique");
  if (!r.accept_keyword("index") || !r.accept_keyword("concurrently")) return std::nullopt;
  concurrent_index_statement s;
  s.kind = concurrent_index_kind::create_index;
  if (r.keyword("if")) {
    r.advance();
    if (!r.accept_keyword("not") || !r.accept_keyword("exists")) return std::nullopt;
    if (r.keyword("on")) return std::nullopt;  // the grammar wants a name here
  }
  // "ON" unquoted is the keyword: the index is unnamed. A quoted "on" is a name.
  if (!r.keyword("on")) {
    if (!r.identifier()) return std::nullopt;
    s.index = qualified_name{std::nullopt, r.peek().text};
    r.advance();
  }
  if (!r.accept_keyword("on")) return std::nullopt;
  r.accept_keyword("only");
  s.table = r.name();
  if (!s.table) return std::nullopt;
  return s;
}

bool false_value(const token& t) {
  return (t.kind == token::word && (t.text == "false" || t.text == "off")) || (t.kind == token::symbol && t.text == "0");
}

std::optional<concurrent_index_statement> reindex(reader& r) {
  bool concurrently = false;
  if (r.accept_symbol('(')) {
    // ( option [value] [, ...] ): CONCURRENTLY may be one of them (PostgreSQL 14+).
    while (!r.accept_symbol(')')) {
      if (r.peek().kind == token::end || r.peek().kind == token::unreadable) return std::nullopt;
      if (r.keyword("concurrently")) {
        r.advance();
        concurrently = !false_value(r.peek());
        if (!r.symbol(',') && !r.symbol(')')) r.advance();
        continue;
      }
      r.advance();
    }
  }
  concurrent_index_kind kind;
  if (r.accept_keyword("index")) kind = concurrent_index_kind::reindex_index;
  else if (r.accept_keyword("table")) kind = concurrent_index_kind::reindex_table;
  else if (r.accept_keyword("schema") || r.accept_keyword("database") || r.accept_keyword("system"))
    kind = concurrent_index_kind::reindex_other;
  else
    return std::nullopt;
  if (r.accept_keyword("concurrently")) concurrently = true;
  if (!concurrently) return std::nullopt;
  concurrent_index_statement s;
  s.kind = kind;
  if (kind == concurrent_index_kind::reindex_other) return s;
  auto n = r.name();
  if (!n) return std::nullopt;
  (kind == concurrent_index_kind::reindex_index ? s.index : s.table) = std::move(n);
  return s;
}

}  // namespace

std::optional<concurrent_index_statement> concurrent_index_of(std::string_view sql) {
  reader r(sql);
  if (r.accept_keyword("create")) return create_index(r);
  if (r.accept_keyword("reindex")) return reindex(r);
  return std::nullopt;
}

std::vector<std::string> reindex_leftover_names(const std::string& index, int numbered) {
  std::vector<std::string> names;
  for (const char* base : {"ccnew", "ccold"})
    for (int n = 0; n <= numbered; ++n) {
      // ChooseRelationName appends the number to the label, which is never cut;
      // the index name gives way (makeObjectName).
      const std::string label = std::string(base) + (n == 0 ? "" : std::to_string(n));
      names.push_back(clipped(index, max_name_bytes - 1 - label.size()) + "_" + label);
    }
  return names;
}

}  // namespace migrator::parsing
