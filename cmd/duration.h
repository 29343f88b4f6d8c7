// Durations as every setting writes them: "500ms", "30s", "5m", "1h30m", "0".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace app {

// "500ms", "30s", "5m", "1h", and sums such as "1h30m" or "1m30s"; "0" alone.
// nullopt for anything else (a number without a unit, fractions, signs, spaces)
// and for more than 596h (PostgreSQL's limit for timeouts, 2^31-1 ms).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The shortest text parse_duration reads back as `d`: "5m", "1m30s", "250ms", "0".
// For settings only; a time something took is migrator::elapsed_text's (migrator/elapsed_text.h).
std::string format_duration(std::chrono::milliseconds d);

}  // namespace app
