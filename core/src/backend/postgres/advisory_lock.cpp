#include "backend/postgres/advisory_lock.h"

#include <memory>
#include <string>

#include "backend/lock_wait.h"
#include "migrator/error.h"
#include "migrator/postgres.h"

namespace migrator::detail {

lock_holder advisory_lock::holder() {
  // A bigint key shows in pg_locks as classid (high 32 bits), objid (low 32 bits), objsubid 1.
  const std::string key = std::to_string(key_);
  auto r = session_.exec(
      "SELECT a.pid, a.application_name, coalesce(host(a.client_addr), 'local socket'), "
      "to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SSOF') FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
      "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
      "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
      "AND ((l.classid::bigint << 32) | l.objid::bigint) = " + key + " LIMIT 1");
  lock_holder h;
  if (r.empty()) return h;
  h.pid = r.integer(0, 0);
  h.application_name = r.rows[0][1].value_or("");
  h.client_address = r.rows[0][2].value_or("");
  h.since = r.rows[0][3].value_or("");
  return h;
}

bool advisory_lock::acquire(std::chrono::milliseconds timeout, const std::function<void(const lock_holder&)>& on_wait) {
  const std::string try_lock = "SELECT pg_try_advisory_lock(" + std::to_string(key_) + ")";
  lock_attempts attempts{[&] { return session_.exec(try_lock).boolean(0, 0); }, [&] { return holder(); },
                         "advisory lock " + std::to_string(key_),
                         "see pg_locks WHERE locktype = 'advisory' joined with pg_stat_activity"};
  return wait_for_lock(attempts, timeout, on_wait, interrupted_);
}

void advisory_lock::release() noexcept {
  try {
    session_.exec("SELECT pg_advisory_unlock(" + std::to_string(key_) + ")");
  } catch (...) {
    // A lost connection has released the session lock already.
  }
}

}  // namespace migrator::detail

namespace migrator {

std::unique_ptr<migration_lock> make_advisory_lock(session& s, std::int64_t key) {
  return std::make_unique<detail::advisory_lock>(s, key);
}

}  // namespace migrator
