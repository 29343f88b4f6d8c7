// goose's session-level PostgreSQL advisory lock (its key by default, so goose
// and this tool exclude each other), tried in a loop bounded by a timeout.
// Holds only on a connection that keeps its server session: not through a
// transaction pooler (lease_lock.h is for that).
#pragma once

#include <atomic>
#include <cstdint>

#include "migrator/lock.h"
#include "migrator/session.h"

namespace migrator::detail {

class advisory_lock : public migration_lock {
 public:
  advisory_lock(session& s, std::int64_t key) : session_(s), key_(key) {}

  bool acquire(std::chrono::milliseconds timeout, const std::function<void(const lock_holder&)>& on_wait) override;
  void release() noexcept override;
  void interrupt() noexcept override { interrupted_.store(true); }

  // pid, application_name, client address and connection start of the session
  // holding the key in this database (pg_locks joined with pg_stat_activity).
  lock_holder holder();

 private:
  session& session_;
  std::int64_t key_;
  std::atomic<bool> interrupted_{false};
};

}  // namespace migrator::detail
