#include "support/unicode_text.h"

#include <cstdint>
#include <cstring>

namespace migrator::parsing {

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

}  // namespace migrator::parsing
