// cmd/duration.cpp: the duration syntax every setting uses.
#include "duration.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace {

using namespace std::chrono_literals;

TEST(Durations, Parse) {
  const std::pair<const char*, long long> good[] = {
      {"0", 0},         {"0s", 0},           {"1ms", 1},      {"500ms", 500},           {"30s", 30'000},
      {"5m", 300'000},  {"1h", 3'600'000},   {"1m30s", 90'000}, {"1h30m", 5'400'000}, {"2s500ms", 2'500},
      {"596h", 2'145'600'000},
  };
  for (const auto& [text, ms] : good) {
    auto d = app::parse_duration(text);
    ASSERT_TRUE(d) << text;
    EXPECT_EQ(d->count(), ms) << text;
  }
  for (const char* bad : {"", "30", "5x", "m", "1.5s", "-1s", "+1s", " 1s", "1s ", "1 s", "1S", "1sec", "597h",
                          "99999999999999999999ms", "1d"})
    EXPECT_FALSE(app::parse_duration(bad)) << bad;
}

TEST(Durations, FormatReadsBack) {
  const std::pair<long long, const char*> cases[] = {
      {0, "0"}, {1, "1ms"}, {250, "250ms"}, {1000, "1s"}, {90'000, "1m30s"}, {300'000, "5m"},
      {3'600'000, "1h"}, {3'723'004, "1h2m3s4ms"},
  };
  for (const auto& [ms, text] : cases) {
    EXPECT_EQ(app::format_duration(std::chrono::milliseconds(ms)), text);
    EXPECT_EQ(app::parse_duration(text)->count(), ms);
  }
}

}  // namespace
