#include "backend/postgres/lease_lock.h"

#include <algorithm>

#include "migrator/log.h"

#include <unistd.h>

#include <random>

#include "backend/lock_wait.h"
#include "migrator/error.h"
#include "support/host_name.h"

namespace migrator::detail {

namespace {

std::string default_holder(const std::string& application_name) {
  std::random_device random;
  char tag[16];
  std::snprintf(tag, sizeof tag, "%08x", static_cast<unsigned>(random()));
  return application_name + " on " + host_name() + " pid " + std::to_string(getpid()) + " #" + tag;
}

const char* const timestamp = "'YYYY-MM-DD HH24:MI:SSOF'";

}  // namespace

lease_lock::lease_lock(std::function<std::unique_ptr<session>()> connect, table_lock_options options)
    : connect_(std::move(connect)), options_(std::move(options)) {
  // A lease renewed less often than three times per lease expires after one
  // missed heartbeat: a short --lock-lease shortens the heartbeat with it.
  options_.heartbeat = std::min(options_.heartbeat, options_.lease / 3);
  if (options_.holder.empty()) options_.holder = default_holder(options_.application_name);
  interval_ = std::to_string(options_.lease.count()) + " milliseconds";
}

lease_lock::~lease_lock() { release(); }

session& lease_lock::connected() {
  if (!session_) {
    session_ = connect_();
    table_ = session_->quote_qualified(options_.table);
  }
  return *session_;
}

void lease_lock::ensure_table() {
  session& s = connected();
  if (s.exec("SELECT to_regclass(" + s.quote(table_) + ") IS NOT NULL").boolean(0, 0)) return;
  std::string sql;
  if (auto dot = options_.table.find('.'); dot != std::string::npos)
    sql += "CREATE SCHEMA IF NOT EXISTS " + s.quote_name(options_.table.substr(0, dot)) + ";\n";
  // goose's table locker's columns, so either tool reads the other's row.
  sql += "CREATE TABLE IF NOT EXISTS " + table_ +
         " (\n"
         "  lock_id bigint NOT NULL PRIMARY KEY,\n"
         "  locked boolean NOT NULL DEFAULT false,\n"
         "  locked_at timestamptz NULL,\n"
         "  locked_by text NULL,\n"
         "  lease_expires_at timestamptz NULL,\n"
         "  updated_at timestamptz NULL)";
  try {
    s.exec(sql);
  } catch (const database_error& f) {
    // Two runners creating it at once: one of them gets a unique violation on the catalog.
    if (f.connection_lost() || !s.exec("SELECT to_regclass(" + s.quote(table_) + ") IS NOT NULL").boolean(0, 0))
      throw;
  }
}

bool lease_lock::try_take() {
  session& s = connected();
  const std::string id = std::to_string(options_.lock_id);
  // The CTE reads the row as it was, to tell a takeover of an expired lease apart.
  auto r = s.exec_params(
      "WITH previous AS (SELECT locked, locked_by, to_char(lease_expires_at, " + std::string(timestamp) +
          ") AS expired_at FROM " + table_ + " WHERE lock_id = $1)\n"
          "INSERT INTO " + table_ + " AS l (lock_id, locked, locked_at, locked_by, lease_expires_at, updated_at)\n"
          "VALUES ($1, true, now(), $2, now() + $3::interval, now())\n"
          "ON CONFLICT (lock_id) DO UPDATE SET locked = true, locked_at = now(), locked_by = EXCLUDED.locked_by,\n"
          "  lease_expires_at = EXCLUDED.lease_expires_at, updated_at = now()\n"
          "WHERE NOT l.locked OR l.lease_expires_at < now()\n"
          "RETURNING (SELECT locked FROM previous), (SELECT locked_by FROM previous), "
          "(SELECT expired_at FROM previous)",
      {id, options_.holder, interval_});
  if (r.empty()) return false;
  if (r.rows[0][0] && r.boolean(0, 0)) {
    const std::string previous = r.rows[0][1].value_or("?"), expired_at = r.rows[0][2].value_or("?");
    log(log_level::warn,
        "took over the migration lock from '" + previous + "': its lease (" + options_.table + " lock id " +
            std::to_string(options_.lock_id) + ") expired at " + expired_at +
            " without being renewed, so that runner stopped or lost its connection",
        {{"event", "lock_taken_over"},
         {"previous_holder", previous},
         {"lock_id", options_.lock_id},
         {"expired_at", expired_at}});
  }
  return true;
}

lock_holder lease_lock::holder() {
  session& s = connected();
  auto r = s.exec_params("SELECT locked_by, to_char(locked_at, " + std::string(timestamp) +
                             "), to_char(lease_expires_at, " + timestamp + ") FROM " + table_ +
                             " WHERE lock_id = $1 AND locked",
                         {std::to_string(options_.lock_id)});
  lock_holder h;
  if (r.empty()) return h;
  h.locked_by = r.rows[0][0].value_or("");
  h.since = r.rows[0][1].value_or("");
  h.lease_expires_at = r.rows[0][2].value_or("");
  return h;
}

bool lease_lock::acquire(std::chrono::milliseconds timeout, const std::function<void(const lock_holder&)>& on_wait) {
  ensure_table();
  lock_attempts attempts{[&] { return try_take(); }, [&] { return holder(); },
                         "lease on lock_id " + std::to_string(options_.lock_id) + " in " + options_.table,
                         "see SELECT * FROM " + options_.table + " WHERE locked; a holder that died stops "
                         "renewing and its lease expires after " + std::to_string(options_.lease.count() / 1000) + " s"};
  const bool waited = wait_for_lock(attempts, timeout, on_wait, interrupted_);
  held_ = true;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    stopping_ = false;
    lost_reason_.clear();
  }
  lost_.store(false);
  heartbeat_ = std::thread([this] { heartbeat_loop(); });
  return waited;
}

bool lease_lock::renew() {
  session& s = connected();
  auto r = s.exec_params("UPDATE " + table_ +
                             " SET lease_expires_at = now() + $1::interval, updated_at = now() "
                             "WHERE lock_id = $2 AND locked_by = $3 AND locked RETURNING 1",
                         {interval_, std::to_string(options_.lock_id), options_.holder});
  return !r.empty();
}

void lease_lock::heartbeat_loop() {
  auto last_renewed = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> guard(mutex_);
  for (;;) {
    if (wake_.wait_for(guard, options_.heartbeat, [this] { return stopping_; })) return;
    guard.unlock();
    std::string lost;
    try {
      if (renew()) last_renewed = std::chrono::steady_clock::now();
      else lost = "another runner holds it now (the lease expired before it was renewed)";
    } catch (const error& e) {
      session_.reset();  // reconnect on the next beat
      if (std::chrono::steady_clock::now() - last_renewed >= options_.lease)
        lost = std::string("it could not be renewed for as long as the lease lasts: ") + e.what();
    }
    guard.lock();
    if (!lost.empty()) {
      lost_reason_ = lost;
      lost_.store(true);
      log(log_level::error, "lost the migration lock (" + options_.table + " lock id " +
                                std::to_string(options_.lock_id) + "): " + lost);
      return;
    }
  }
}

void lease_lock::check_held() {
  if (!lost_.load()) return;
  std::lock_guard<std::mutex> guard(mutex_);
  throw error(error_code::lock_timeout, "the migration lock's lease (" + options_.table + " lock id " +
                                            std::to_string(options_.lock_id) + ") was lost: " + lost_reason_ +
                                            "; no further migration was started");
}

void lease_lock::stop_heartbeat() noexcept {
  if (!heartbeat_.joinable()) return;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  heartbeat_.join();
}

void lease_lock::release() noexcept {
  stop_heartbeat();
  if (!held_) return;
  held_ = false;
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      session& s = connected();
      s.exec_params("UPDATE " + table_ +
                        " SET locked = false, locked_at = NULL, locked_by = NULL, lease_expires_at = NULL, "
                        "updated_at = now() WHERE lock_id = $1 AND locked_by = $2",
                    {std::to_string(options_.lock_id), options_.holder});
      return;
    } catch (...) {
      session_.reset();  // one more try on a new connection; else the lease expires
    }
  }
}

}  // namespace migrator::detail

namespace migrator {

std::unique_ptr<migration_lock> make_table_lock(std::function<std::unique_ptr<session>()> connect,
                                                table_lock_options options) {
  return std::make_unique<detail::lease_lock>(std::move(connect), std::move(options));
}

}  // namespace migrator
