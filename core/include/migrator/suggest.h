// "Did you mean ...?" for mistyped commands and configuration keys.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace migrator {

// The candidate closest to `word` (case-insensitive edit distance) when it is
// near enough to be a typo (at most max(2, length/3) edits, or `word` is a
// prefix of it); nullopt otherwise.
std::optional<std::string> closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace migrator
