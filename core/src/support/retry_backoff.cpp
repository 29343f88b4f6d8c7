#include "support/retry_backoff.h"

#include <algorithm>

namespace migrator::detail {

std::chrono::milliseconds backoff_delay(int retry, double unit, const backoff_policy& policy) {
  using std::chrono::milliseconds;
  const milliseconds cap = std::max(policy.cap, milliseconds(1));
  milliseconds step = std::clamp(policy.base, milliseconds(1), cap);
  // Doubling stops at the cap (and long before the count could overflow).
  for (int i = 1; i < retry && step < cap; ++i) step = std::min(step * 2, cap);
  const double u = std::clamp(unit, 0.0, 1.0);
  const auto half = step.count() / 2;
  return milliseconds(half + static_cast<std::int64_t>(u * static_cast<double>(step.count() - half)));
}

double unit_draw(std::mt19937_64& random) { return std::uniform_real_distribution<double>(0.0, 1.0)(random); }

std::vector<std::chrono::milliseconds> backoff_schedule(int count, std::mt19937_64& random,
                                                        const backoff_policy& policy) {
  std::vector<std::chrono::milliseconds> waits;
  for (int retry = 1; retry <= count; ++retry) waits.push_back(backoff_delay(retry, unit_draw(random), policy));
  return waits;
}

}  // namespace migrator::detail
