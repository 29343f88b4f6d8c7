// core/src/support/elapsed_text.cpp: how long something took, as the core's
// startup lines and the app's run summary both write it.
#include "migrator/elapsed_text.h"

#include <gtest/gtest.h>

#include <chrono>

namespace {

using namespace std::chrono_literals;

// Hundredths below 10 ms, whole milliseconds from there, rounded to nearest.
TEST(ElapsedText, HundredthsBelowTenMillisecondsThenWholeMilliseconds) {
  const std::pair<std::chrono::microseconds, const char*> cases[] = {
      {0us, "0.00 ms"},     {4us, "0.00 ms"},      {2290us, "2.29 ms"},     {9994us, "9.99 ms"},
      {9999us, "10.00 ms"}, {10000us, "10 ms"},    {10499us, "10 ms"},      {10501us, "11 ms"},
      {1234567us, "1235 ms"}, {3600000000us, "3600000 ms"},
  };
  for (const auto& [elapsed, text] : cases) EXPECT_EQ(migrator::elapsed_text(elapsed), text) << elapsed.count();
}

}  // namespace
