#include "migrator/suggest.h"

#include <algorithm>
#include <cctype>

namespace migrator {

namespace {

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::optional<std::string> closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  const std::string w = lowercase(word);
  std::optional<std::string> best;
  std::size_t best_distance = std::max<std::size_t>(2, w.size() / 3) + 1;
  for (const std::string& c : candidates) {
    const std::size_t d = edit_distance(w, lowercase(c));
    const bool prefix = !w.empty() && lowercase(c).rfind(w, 0) == 0;
    if ((d < best_distance && d < c.size()) || (prefix && !best)) {
      best_distance = std::min(d, best_distance);
      best = c;
    }
  }
  return best;
}

}  // namespace migrator
