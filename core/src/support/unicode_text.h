// UTF-8 text helpers with Go's semantics, for a parser that must split a file
// exactly as goose does: Go's strings.TrimSpace and bufio.ScanWords use
// unicode.IsSpace, which also counts NEL, NBSP and the Unicode space
// separators; strings.EqualFold folds a few non-ASCII letters; utf8.Valid
// rejects overlongs and surrogates. Pure. The small ones are inline: the
// parser calls them for every byte.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace migrator::parsing {

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

// Byte length of the whitespace character starting at p, or 0.
inline std::size_t space_len(const char* p, const char* end) noexcept {
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
inline std::size_t trailing_space_len(const char* begin, const char* end) noexcept {
  for (std::size_t n = 1; n <= 3 && n <= static_cast<std::size_t>(end - begin); ++n) {
    const auto lead = static_cast<unsigned char>(end[-static_cast<std::ptrdiff_t>(n)]);
    if ((lead & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    return space_len(end - n, end) == n ? n : 0;
  }
  return 0;
}

inline std::string_view trim_left(std::string_view s) noexcept {
  const char* p = s.data();
  const char* const end = p + s.size();
  while (p < end) {
    const std::size_t n = space_len(p, end);
    if (n == 0) break;
    p += n;
  }
  return {p, static_cast<std::size_t>(end - p)};
}

inline std::string_view trim_space(std::string_view s) noexcept {
  s = trim_left(s);
  const char* end = s.data() + s.size();
  while (end > s.data()) {
    const std::size_t n = trailing_space_len(s.data(), end);
    if (n == 0) break;
    end -= n;
  }
  return {s.data(), static_cast<std::size_t>(end - s.data())};
}

inline bool starts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

inline bool is_ascii_letter(unsigned char c) noexcept { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
inline bool is_digit(unsigned char c) noexcept { return c >= '0' && c <= '9'; }

// Go's strings.EqualFold against an ASCII word: simple case folding, which also
// folds U+017F (long s) to 's' and U+212A (Kelvin sign) to 'k'.
bool equal_fold(std::string_view in, std::string_view ascii_word) noexcept;

// Index of the first byte that is NUL or not part of well-formed UTF-8 (as Go's
// utf8.Valid: no overlongs, no surrogates, nothing above U+10FFFF), or npos.
std::size_t find_invalid_byte(std::string_view text) noexcept;

// A short, single-line excerpt for messages: the first line, at most 72 bytes
// cut at a whole character, with "..." when anything was left out.
std::string excerpt(std::string_view s);

}  // namespace migrator::parsing
