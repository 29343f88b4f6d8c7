// How long to wait before trying again a migration that failed on a lock
// timeout: exponential, capped, with jitter. Pure: the random draw is the
// caller's, so a seeded source gives a repeatable schedule.
//
// Why jitter: runners of several services (or a fleet's targets) that failed
// behind the same long transaction would otherwise all come back at the same
// instant and queue traffic together; why a floor of half the step: the holder
// needs some time to finish, and a retry at once only fails again.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

namespace migrator::detail {

struct backoff_policy {
  std::chrono::milliseconds base{200};    // the first retry's step
  std::chrono::milliseconds cap{10'000};  // no step grows past this
};

// The wait before retry `retry` (1 = the first): the step base * 2^(retry - 1),
// at most cap, then a point in [step / 2, step] chosen by `unit` (in [0, 1)).
std::chrono::milliseconds backoff_delay(int retry, double unit, const backoff_policy& policy = {});

// The waits before retries 1..count, drawn from `random`.
std::vector<std::chrono::milliseconds> backoff_schedule(int count, std::mt19937_64& random,
                                                        const backoff_policy& policy = {});

// A uniform draw in [0, 1) from `random`.
double unit_draw(std::mt19937_64& random);

}  // namespace migrator::detail
