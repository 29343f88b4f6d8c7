// Finding migrations by version in a vector sorted by version (the
// assembler's contract) when the versions are asked mostly in ascending order
// (goose's rows in id order, the side rows by version): the file after the
// last one found is looked at first, and the binary search, a cache miss a
// step on a large set, runs only when it is not the one. Used by the status
// report (plan/status.cpp) and by the side rows' proof (backend/side_digest.cpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "migrator/migration.h"

namespace migrator::detail {

class ascending_files {
 public:
  // `sorted` must outlive this and stay sorted by version.
  explicit ascending_files(const std::vector<migration>& sorted) : files_(sorted) {}

  // The migration of `version`, or nullptr when the vector has none.
  const migration* find(std::int64_t version) {
    if (next_ < files_.size() && files_[next_].version == version) return &files_[next_++];
    const auto it = std::lower_bound(files_.begin(), files_.end(), version,
                                     [](const migration& m, std::int64_t v) { return m.version < v; });
    if (it == files_.end() || it->version != version) return nullptr;
    next_ = static_cast<std::size_t>(it - files_.begin()) + 1;
    return &*it;
  }

 private:
  const std::vector<migration>& files_;
  std::size_t next_ = 0;  // the file after the last one found
};

}  // namespace migrator::detail
