// Lock-timeout retries: a migration step that failed because a table lock was
// not granted within the server's lock_timeout (--db-lock-timeout, SQLSTATE
// 55P03) gave way to the traffic behind it; it is tried again after a backoff
// instead of failing the deploy, and each retry names the sessions that held
// locks. Only on PostgreSQL: the lock_timeout is its, and so are the catalog
// views read here (through the session, as schema/ reads pg_catalog).
#include <thread>

#include "engine/engine_state.h"
#include "migrator/log.h"
#include "support/retry_backoff.h"

namespace migrator {

namespace {

constexpr const char* lock_not_available = "55P03";

// How often the backoff looks at engine::interrupt(): a stop waits at most this long.
constexpr auto interrupt_poll = std::chrono::milliseconds(25);

// Sessions holding granted locks on relations of this database whose
// transaction began before the failed attempt: the lock it waited for was held
// by one of them, or queued behind one of them. (Which one exactly is known only
// while waiting, from pg_blocking_pids(); the wait ended with the error.)
// Relations below FirstNormalObjectId (16384) are the system catalogs, which
// every query locks briefly: left out. $1: the attempt's age in milliseconds.
constexpr const char* blockers_sql =
    "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.state, ''), "
    "(extract(epoch FROM clock_timestamp() - a.xact_start) * 1000)::bigint, "
    "coalesce(to_char(a.query_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), ''), "
    "string_agg(DISTINCT l.mode || ' on ' || l.relation::regclass::text, ', ') "
    "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'relation' AND l.granted AND l.relation >= 16384 "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND l.pid <> pg_backend_pid() "
    "AND a.xact_start <= clock_timestamp() - make_interval(secs => $1::double precision / 1000) "
    "GROUP BY a.pid, a.application_name, a.state, a.xact_start, a.query_start "
    "ORDER BY a.xact_start LIMIT 5";

}  // namespace

engine::impl::retry_decision engine::impl::retry_after_lock_timeout(const migration& m, const database_error& f,
                                                                    lock_retry& state,
                                                                    std::chrono::steady_clock::time_point attempt_started) {
  using std::chrono::milliseconds;
  using clock = std::chrono::steady_clock;
  const postgres_options& pg = options.postgres;
  if (f.connection_lost() || f.details().sqlstate != lock_not_available) return retry_decision::fail;
  if (server_version == 0 || !pg.server_lock_timeout || pg.lock_retries <= 0) return retry_decision::fail;
  const auto now = clock::now();
  if (!state.first_failure) state.first_failure = now;
  const auto deadline = *state.first_failure + pg.lock_retry_for;
  const auto spent = std::chrono::duration_cast<milliseconds>(now - *state.first_failure);
  if (state.retried >= pg.lock_retries || now >= deadline) {
    log(log_level::warn, detail::lock_retries_exhausted(m, state.retried, spent),
        {{"event", "lock_retry_exhausted"},
         {"module", m.module},
         {"version", m.version},
         {"retried", state.retried},
         {"spent_ms", static_cast<std::int64_t>(spent.count())}});
    return retry_decision::fail;
  }
  ++state.retried;
  auto delay = detail::backoff_delay(state.retried, detail::unit_draw(retry_random));
  delay = std::min(delay, std::chrono::duration_cast<milliseconds>(deadline - now));

  std::string blockers, pids;
  try {
    const auto age = std::chrono::duration_cast<milliseconds>(now - attempt_started);
    const auto rows = db.exec_params(blockers_sql, {std::to_string(age.count())});
    for (std::size_t i = 0; i < rows.size(); ++i) {
      blockers += (i ? "; " : "") + detail::lock_blocker(rows.integer(i, 0), rows.text(i, 1), rows.text(i, 2),
                                                         rows.integer(i, 3), rows.text(i, 4), rows.text(i, 5));
      pids += (i ? "," : "") + rows.text(i, 0);
    }
  } catch (const error& e) {
    // The report is a courtesy: without it the retry still runs.
    blockers = "(not known: " + std::string(e.what()) + ")";
  }
  log(log_level::warn, detail::lock_retry_notice(m, f, state.retried, pg.lock_retries, delay, blockers),
      {{"event", "lock_retry"},
       {"module", m.module},
       {"version", m.version},
       {"retry", state.retried},
       {"retries", pg.lock_retries},
       {"delay_ms", static_cast<std::int64_t>(delay.count())},
       {"sqlstate", f.details().sqlstate},
       {"blocker_pids", pids},
       {"blockers", blockers}});

  const auto wake = clock::now() + delay;
  while (clock::now() < wake) {
    if (interrupted.load()) return retry_decision::interrupted;
    std::this_thread::sleep_for(std::min<clock::duration>(interrupt_poll, wake - clock::now()));
  }
  return interrupted.load() ? retry_decision::interrupted : retry_decision::retry;
}

}  // namespace migrator
