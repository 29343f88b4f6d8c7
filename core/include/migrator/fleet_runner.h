// Runs one command over many databases in parallel, each target on its own
// connection under its own lock (the engine's, in that target's database),
// through the engine's public API. Each worker thread logs inside a
// log_scope {target: NAME}, so every line the engine writes names its target.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "migrator/assembler.h"
#include "migrator/engine.h"
#include "migrator/error.h"
#include "migrator/fleet.h"
#include "migrator/planner.h"

namespace migrator {

// One target and the module set it receives. Sets are shared (read-only)
// between all the targets of one modules directory: parsed once.
struct fleet_member {
  fleet_target target;
  std::shared_ptr<const module_set> set;
};

// Stops a fleet run from another thread (app's SIGINT/SIGTERM watch): request()
// interrupts every target's running engine (engine::interrupt: the statement in
// flight is cancelled, its transaction rolled back, the target's lock released)
// and no target starts after it. Not for a signal handler: it takes a mutex.
class fleet_stop {
 public:
  void request() noexcept;
  bool requested() const noexcept { return requested_.load(); }

  // For run_fleet: `e` is interrupted by a request() until detach(e). Returns
  // false, attaching nothing, when a stop was already requested.
  bool attach(engine* e);
  void detach(engine* e) noexcept;

 private:
  std::mutex mutex_;
  std::atomic<bool> requested_{false};
  std::vector<engine*> running_;  // guarded by mutex_
};

enum class fleet_action {
  apply,   // engine::run(request)
  plan,    // engine::plan(request): --dry-run, nothing written
  status,  // engine::status()
};

struct fleet_options {
  fleet_action action = fleet_action::apply;
  plan_request request;      // for apply and plan
  engine_options engine;
  // Targets run at the same time. 1: one at a time, in order. Default: 4.
  std::size_t jobs = 4;
  // Stop starting targets after the first failure. Default: false (the others proceed).
  bool fail_fast = false;
  // The first `canaries` targets run first, alone; if any fails, no other starts. Default: 0.
  std::size_t canaries = 0;
  // libpq connect_timeout added to each DSN that sets none (seconds). Default: 5.
  int connect_timeout_seconds = 5;
  // When set, request() stops the run (see fleet_stop). Default: none.
  fleet_stop* stop = nullptr;
};

// interrupted: a fleet_stop stopped the target's run (what it applied before is
// kept; the migration in flight was rolled back, or a NO TRANSACTION one left
// dirty between statements). skipped: not started.
enum class target_outcome { ok, failed, skipped, interrupted };
const char* to_string(target_outcome outcome) noexcept;

struct target_result {
  std::string name;
  std::string group;
  target_outcome outcome = target_outcome::skipped;
  bool canary = false;
  std::int64_t from_version = 0;  // before the run (status: the current version)
  std::int64_t to_version = 0;    // after it
  std::size_t applied = 0;        // migrations applied (plan: that would be applied)
  std::size_t pending = 0;        // status: pending migrations; plan: steps planned
  bool current = true;            // status: nothing pending, modified, dirty or unknown
  std::vector<plan_step> plan;    // plan: the steps
  std::chrono::milliseconds duration{0};
  std::optional<error_code> code;  // failed: the error's code
  std::string error;               // failed, interrupted: the whole message (no DSN); skipped: why
};

struct fleet_report {
  std::vector<target_result> targets;  // in run order (canaries first)
  std::chrono::milliseconds duration{0};
  std::size_t count(target_outcome outcome) const;
  bool all_ok() const { return count(target_outcome::ok) == targets.size(); }
};

// Progress as it happens; called from worker threads (implementations synchronise).
class fleet_observer {
 public:
  virtual ~fleet_observer() = default;
  virtual void target_started(const std::string& /*name*/) {}
  virtual void target_finished(const target_result& /*result*/) {}
  // Each migration a target applied (for per-migration logs); called on that target's thread.
  virtual void step_finished(const std::string& /*target*/, const step_result& /*step*/) {}
  // Another runner holds that target's lock; called on that target's thread.
  virtual void waiting_for_lock(const std::string& /*target*/) {}
};

// Never throws for a target's failure: it is that target's result.
fleet_report run_fleet(const std::vector<fleet_member>& members, const fleet_options& options,
                       fleet_observer* observer = nullptr);

// Runs `sql` on `dsn` (the expansion queries of a fleet file); throws error(database).
query_rows run_control_query(const std::string& dsn, const std::string& sql);

}  // namespace migrator
