// How the commands open a database and which engine options they give it:
// the settings translated once, the connection started early. The one place
// in cmd/ that constructs engines from settings.
#include <atomic>
#include <thread>

#include "command.h"
#include "migrator/dsn.h"
#include "migrator/engine.h"

namespace app {

namespace {
std::atomic<int> connects_in_flight{0};
}  // namespace

bool connections_in_flight() { return connects_in_flight.load() > 0; }

std::future<std::unique_ptr<migrator::connection>> connect_in_background(const std::string& dsn,
                                                                         const std::string& application_name) {
  std::promise<std::unique_ptr<migrator::connection>> promise;
  auto future = promise.get_future();
  if (migrator::backend_of(dsn) == migrator::backend_kind::sqlite) {
    promise.set_value(nullptr);
    return future;
  }
  // Not std::async: its future waits for the thread when destroyed, so a broken
  // module set would be reported only once the connection attempt ended (after
  // connect_timeout for an unreachable host). This future can be dropped at once;
  // the detached thread then closes whatever it opened (main() does not run the
  // libraries' exit-time destructors under it: connections_in_flight()).
  connects_in_flight.fetch_add(1);
  std::thread([dsn, application_name, promise = std::move(promise)]() mutable {
    struct counted {
      ~counted() { connects_in_flight.fetch_sub(1); }
    } done_last;
    auto result = std::move(promise);  // destroyed (closing an unclaimed connection) before done_last
    try {
      result.set_value(std::make_unique<migrator::connection>(dsn, application_name));
    } catch (...) {
      result.set_exception(std::current_exception());
    }
  }).detach();
  return future;
}

std::string application_name_for(const std::string& command) { return "app " + command + " " + APP_VERSION; }

migrator::engine open_engine(const app::settings& settings, const migrator::module_set& set,
                             std::future<std::unique_ptr<migrator::connection>>& connecting,
                             const std::string& application_name) {
  const auto options = engine_options_from(settings, application_name);
  if (migrator::backend_of(settings.dsn) == migrator::backend_kind::sqlite)
    return migrator::engine(migrator::open_backend(settings.dsn, set, options), set, options);
  return migrator::engine(connecting.get(), set, options);
}

migrator::engine_options engine_options_from(const app::settings& s, const std::string& application_name) {
  migrator::engine_options o;
  o.application_name = application_name;
  o.lock = s.lock == "table"      ? migrator::lock_mode::table
           : s.lock == "advisory" ? migrator::lock_mode::advisory
                                  : migrator::lock_mode::automatic;
  o.table = s.table;
  o.lock_timeout = s.lock_timeout;
  o.lock_lease = s.lock_lease;
  o.lock_id = s.lock_id;
  o.statement_timeout = s.statement_timeout;
  o.db_lock_timeout = s.db_lock_timeout;
  o.allow_drift = s.allow_drift;
  return o;
}

migrator::startup_options startup_options_from(const app::settings& s) {
  migrator::startup_options o;
  o.dsn = s.dsn;
  o.engine = engine_options_from(s, application_name_for("start"));
  o.wait_timeout = s.wait_timeout;
  o.migrate = s.migrate_on_start;
  o.on_unknown = s.on_unknown == "refuse" ? migrator::unknown_versions::refuse : migrator::unknown_versions::warn;
  return o;
}

}  // namespace app
