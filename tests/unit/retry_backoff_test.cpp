// The backoff before a migration is tried again after a lock timeout: each
// step doubles up to the cap, the jitter keeps every wait within [step/2, step],
// and a seeded source gives the same schedule every time.
#include "support/retry_backoff.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <vector>

namespace {

using migrator::detail::backoff_delay;
using migrator::detail::backoff_policy;
using migrator::detail::backoff_schedule;
using std::chrono::milliseconds;

TEST(RetryBackoff, StepsDoubleFromTheBaseUpToTheCap) {
  const backoff_policy policy{milliseconds(200), milliseconds(3000)};
  struct row {
    int retry;
    double unit;
    milliseconds expected;
  };
  const std::vector<row> rows = {
      {1, 0.0, milliseconds(100)},  {1, 0.999999, milliseconds(199)}, {2, 0.0, milliseconds(200)},
      {2, 0.5, milliseconds(300)},  {3, 0.0, milliseconds(400)},      {4, 0.0, milliseconds(800)},
      {5, 0.0, milliseconds(1500)}, {5, 1.0, milliseconds(3000)},     {50, 0.0, milliseconds(1500)},
      {1000000, 1.0, milliseconds(3000)},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE("retry " + std::to_string(r.retry) + " unit " + std::to_string(r.unit));
    EXPECT_EQ(backoff_delay(r.retry, r.unit, policy), r.expected);
  }
}

TEST(RetryBackoff, ASeededScheduleIsRepeatableAndWithinItsBounds) {
  std::mt19937_64 first(42), second(42);
  const auto a = backoff_schedule(12, first);
  const auto b = backoff_schedule(12, second);
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.size(), 12u);
  const backoff_policy defaults;
  milliseconds step = defaults.base;
  for (const auto& wait : a) {
    EXPECT_GE(wait, step / 2);
    EXPECT_LE(wait, step);
    step = std::min(step * 2, defaults.cap);
  }
  EXPECT_LE(a.back(), defaults.cap);
  EXPECT_GE(a.back(), defaults.cap / 2);
}

TEST(RetryBackoff, DifferentSeedsSpreadTheSameRetry) {
  // Runners that failed behind the same transaction do not come back together.
  std::vector<milliseconds> thirds;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    std::mt19937_64 random(seed);
    thirds.push_back(backoff_schedule(3, random)[2]);
  }
  std::sort(thirds.begin(), thirds.end());
  EXPECT_LT(thirds.front(), thirds.back());
}

TEST(RetryBackoff, ADegeneratePolicyStillWaitsAtLeastAMillisecondStep) {
  EXPECT_EQ(backoff_delay(1, 1.0, {milliseconds(0), milliseconds(0)}), milliseconds(1));
  EXPECT_EQ(backoff_delay(3, 1.0, {milliseconds(500), milliseconds(300)}), milliseconds(300));
}

}  // namespace
