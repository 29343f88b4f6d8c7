// The one place that chooses a backend from a DSN (backend.h).
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <openssl/crypto.h>

#include "backend/postgres/build_registry.h"
#include "backend/postgres/postgres_backend.h"
#include "backend/sqlite/sqlite_backend.h"
#include "migrator/backend.h"
#include "migrator/builds.h"
#include "migrator/error.h"
#include "migrator/dsn.h"

namespace migrator {

namespace {

// Abandoned connection attempts still running (backend_opener's destructor).
std::atomic<int> attempts_running{0};

}  // namespace

backend open_backend(const std::string& dsn, const module_set& set, const backend_options& options) {
  if (backend_of(dsn) == backend_kind::sqlite) return detail::open_sqlite(dsn, set, options);
  return detail::open_postgres(detail::connect_for_migration(dsn, options.application_name), dsn, options);
}

std::vector<live_build> list_builds(const std::string& dsn, const std::string& table,
                                    const std::string& application_name) {
  if (backend_of(dsn) == backend_kind::sqlite)
    throw error(error_code::usage, "the build registry is PostgreSQL's: a SQLite database has no rolling deploys");
  auto db = detail::connect_for_migration(dsn, application_name);
  try {
    return detail::read_live_builds(*db, table);
  } catch (const database_error& f) {
    throw error(error_code::database, std::string("reading the build registry failed: ") + f.what(), f.details());
  }
}

void check_backend(const std::string& dsn, const module_set& set, const backend_options& options) {
  if (backend_of(dsn) == backend_kind::sqlite) return detail::check_sqlite(dsn, set, options);
  check_dsn(dsn);
}

struct backend_opener::state {
  std::future<std::unique_ptr<session>> connected;
};

backend_opener::backend_opener(std::string dsn, backend_options options, history_look first)
    : dsn_(std::move(dsn)), application_name_(options.application_name), state_(std::make_shared<state>()) {
  if (backend_of(dsn_) == backend_kind::sqlite) return;  // the file is opened with the set's schemas
  // Not std::async: its future waits for the thread when destroyed, so a broken
  // module set would be reported only once the connection attempt ended (after
  // connect_timeout for an unreachable host). This future can be dropped at
  // once; the thread then closes whatever it opened.
  std::promise<std::unique_ptr<session>> promise;
  state_->connected = promise.get_future();
  attempts_running.fetch_add(1);
  std::thread([dsn = dsn_, options, first, promise = std::move(promise)]() mutable {
    struct counted {
      ~counted() { attempts_running.fetch_sub(1); }
    } done_last;
    auto result = std::move(promise);  // destroyed (closing an unclaimed session) before done_last
    std::unique_ptr<session> connected;
    std::exception_ptr failed;
    try {
      connected = detail::connect_for_migration(dsn, options.application_name);
      detail::read_ahead(*connected, options, first);
    } catch (...) {
      failed = std::current_exception();
    }
    // A TLS handshake leaves OpenSSL's error queue in this thread's state, which
    // OpenSSL frees only when the thread exits: after the caller, woken by the
    // promise, may already have ended the process (LeakSanitizer then reports it).
    // Freed here, before the caller is woken. The connection itself is unaffected.
    OPENSSL_thread_stop();
    if (failed)
      result.set_exception(failed);
    else
      result.set_value(std::move(connected));
  }).detach();
  // The caller goes on at once with CPU work (loading the module set). On two
  // cores the new thread was often queued behind it on the same CPU: 1.1 ms
  // from clone3 to PQconnectStartParams (perf probes, median of 40 `status`
  // runs), while psql connects at once. Yielding lets it start its connection
  // first (0.15 ms), and the connection is what a short command waits for.
  std::this_thread::yield();
}

backend_opener::~backend_opener() = default;

backend backend_opener::open(const module_set& set, const backend_options& options) {
  backend_options named = options;
  named.application_name = application_name_;
  if (!state_->connected.valid()) return open_backend(dsn_, set, named);
  return detail::open_postgres(state_->connected.get(), dsn_, named);
}

bool backend_opener::ready() const {
  return !state_->connected.valid() ||
         state_->connected.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

bool backend_opener::attempts_in_flight() { return attempts_running.load() > 0; }

}  // namespace migrator
