#include "duration.h"

#include <cctype>
#include <climits>
#include <utility>

namespace app {

using std::chrono::milliseconds;

std::optional<milliseconds> parse_duration(std::string_view text) {
  if (text == "0") return milliseconds(0);
  if (text.empty()) return std::nullopt;
  constexpr long long max_ms = INT_MAX;  // PostgreSQL's timeouts are int milliseconds
  long long total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t digits = i;
    long long n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      n = n * 10 + (text[i++] - '0');
      if (n > max_ms) return std::nullopt;
    }
    if (i == digits) return std::nullopt;
    long long unit;
    if (text.substr(i, 2) == "ms") {
      unit = 1, i += 2;
    } else if (i < text.size() && text[i] == 's') {
      unit = 1000, ++i;
    } else if (i < text.size() && text[i] == 'm') {
      unit = 60'000, ++i;
    } else if (i < text.size() && text[i] == 'h') {
      unit = 3'600'000, ++i;
    } else {
      return std::nullopt;
    }
    total += n * unit;
    if (total > max_ms) return std::nullopt;
  }
  return milliseconds(total);
}

std::string format_duration(milliseconds d) {
  long long ms = d.count();
  if (ms <= 0) return "0";
  std::string out;
  for (auto [unit, name] : {std::pair<long long, const char*>{3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}}) {
    if (ms >= unit) out += std::to_string(ms / unit) + name, ms %= unit;
  }
  return out;
}

}  // namespace app
