// What a command keeps until the process ends: a loaded module set is freed by
// the end of the process, not by its destructors. main() ends with std::_Exit
// (main.cpp), so what is kept here is never destroyed; freeing a set of 1,000
// migrations, parsed while the connection was being made, was 1.6M of the 30M
// instructions of an `up` with nothing to do (callgrind). Under
// AddressSanitizer the process ends through exit(), which destroys the store
// below, so LeakSanitizer sees nothing left behind. A process that calls run()
// again and again (the tests, in process) frees them after each run
// (release_kept_values, cli.h).
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace app {

std::vector<std::shared_ptr<void>>& kept_values();

template <typename T>
T& keep_until_exit(T&& value) {
  auto held = std::make_shared<std::decay_t<T>>(std::forward<T>(value));
  kept_values().push_back(held);
  return *held;
}

}  // namespace app
