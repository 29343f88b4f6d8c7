// goose's table lock: a lease on one row of goose_lock, renewed by a heartbeat
// on a connection and thread of its own. Unlike a session advisory lock it
// needs no server session to survive between transactions, so it holds
// through a transaction pooler. A lease not renewed (the holder crashed or lost
// its network) expires; the next runner takes it over and logs so.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "migrator/lock.h"
#include "migrator/postgres.h"
#include "migrator/session.h"

namespace migrator::detail {

class lease_lock : public migration_lock {
 public:
  lease_lock(std::function<std::unique_ptr<session>()> connect, table_lock_options options);
  ~lease_lock() override;
  lease_lock(const lease_lock&) = delete;
  lease_lock& operator=(const lease_lock&) = delete;

  bool acquire(std::chrono::milliseconds timeout, const std::function<void(const lock_holder&)>& on_wait) override;
  void release() noexcept override;
  // Throws error(lock_timeout) once the heartbeat found the lease lost.
  void check_held() override;
  void interrupt() noexcept override { interrupted_.store(true); }

  lock_holder holder();

 private:
  session& connected();
  void ensure_table();
  bool try_take();
  void heartbeat_loop();
  bool renew();  // false: the lease is no longer ours
  void stop_heartbeat() noexcept;

  std::function<std::unique_ptr<session>()> connect_;
  table_lock_options options_;
  std::string interval_;  // the lease as a PostgreSQL interval literal
  // The lock's own connection: the caller's thread uses it in acquire() and
  // release(), the heartbeat thread in between, never both at once.
  std::unique_ptr<session> session_;
  std::string table_;  // quoted
  bool held_ = false;

  std::thread heartbeat_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;           // guarded by mutex_
  std::string lost_reason_;         // guarded by mutex_
  std::atomic<bool> lost_{false};
  std::atomic<bool> interrupted_{false};
};

}  // namespace migrator::detail
