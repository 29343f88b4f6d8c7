// The lexical pieces of a DSN that both normalisation (dsn_normalize.cpp)
// and redaction (dsn_redact.cpp) need: ASCII whitespace and case, and telling
// a URI from a keyword/value string. Pure.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace migrator::dsn_syntax {

inline bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

inline char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

inline std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return lower(x) == lower(y);
         });
}

inline bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// The text before "://" when `s` starts like a URI ("postgresql+asyncpg",
// "jdbc:postgresql"); empty for keyword/value strings, whose first token always
// holds '=' before any "://".
inline std::string_view uri_prefix(std::string_view s) {
  std::size_t sep = s.find("://");
  if (sep == std::string_view::npos || sep == 0 || !std::isalpha(static_cast<unsigned char>(s[0])))
    return {};
  for (std::size_t i = 0; i < sep; ++i) {
    char c = s[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.' && c != ':')
      return {};
  }
  return s.substr(0, sep);
}

}  // namespace migrator::dsn_syntax
