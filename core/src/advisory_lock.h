// goose's session-level PostgreSQL advisory lock (its key by default, so goose
// and this tool exclude each other), tried in a loop bounded by a timeout.
#pragma once

#include <cstdint>

#include "migrator/lock.h"
#include "migrator/session.h"

namespace migrator::detail {

class advisory_lock : public migration_lock {
 public:
  advisory_lock(session& s, std::int64_t key) : session_(s), key_(key) {}

  bool acquire(std::chrono::milliseconds timeout, const std::function<void()>& on_wait) override;
  void release() noexcept override;

 private:
  session& session_;
  std::int64_t key_;
};

}  // namespace migrator::detail
