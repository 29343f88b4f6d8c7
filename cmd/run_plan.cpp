// The flow every planned command shares (up, up-by-one, up-to, down, down-to,
// redo, reset, stamp): over a fleet, or on one database with the module set
// checked first; --dry-run prints the plan and its statements instead.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <iomanip>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>

#include "command.h"
#include "exit_codes.h"
#include "interrupt_watch.h"
#include "logging.h"
#include "migrator/baseline.h"
#include "migrator/elapsed_text.h"
#include "migrator/engine.h"
#include "migrator/planner.h"
#include "process_allocator.h"
#include "process_lifetime.h"

namespace app {

namespace {

using migrator::command_kind;
using migrator::direction;

// A migration this large is sent as one request of about its size, which the
// run builds and libpq copies again: the memory for both is faulted in on the
// parse's thread while the run's first requests wait for the server (W2: about
// 2 ms less from the history tables' COMMIT to the migration's request).
// What the request adds to the statements (3 bytes a statement, BEGIN, the
// history rows, COMMIT) is left to the margin: a prefault a little short
// costs only the faults of the pages it missed.
constexpr std::size_t large_request = std::size_t{256} << 10;

void prefault_for(const migrator::migration& newest) {
  std::size_t up = 0, down = 0;
  try {
    for (const auto& s : newest.body().up) up += s.sql.size();
    for (const auto& s : newest.body().down) down += s.sql.size();
  } catch (const migrator::parse_error&) {
    return;  // the run reports it
  }
  const std::size_t request = std::max(up, down);
  if (request >= large_request) prefault_heap_reserve(2 * request + large_request);
}

// The newest migrations parsed on a thread of their own while the connection
// is made, and after it until the migration in hand is done: the run parses
// the ones it applies anyway (parse_plan), and one being parsed here it waits
// for, not parses again (migration::body() parses once for all threads). On the
// command's thread, the parse of one large file (W2: 20,000 statements, 8 ms)
// held the run back after the connection was ready; here it goes on beside
// the run's first requests (the lock, the history tables). Joined on the way
// out: the set outlives it.
class background_parse {
 public:
  explicit background_parse(const std::vector<migrator::migration>& migrations) {
    try {
      thread_ = std::thread([this, &migrations] {
        try {
          if (!migrations.empty()) prefault_for(migrations.back());
          migrator::parse_newest_while(migrations, [this] { return !stopped_.load(); });
        } catch (...) {
          // Out of memory and the like: the run parses what it needs itself.
        }
      });
    } catch (const std::system_error&) {
      // No thread to spare: the run parses what it needs itself.
    }
  }
  ~background_parse() {
    stop();
    if (thread_.joinable()) thread_.join();
  }
  background_parse(const background_parse&) = delete;
  background_parse& operator=(const background_parse&) = delete;
  // No further migration is started; the one in hand is finished.
  void stop() { stopped_.store(true); }

 private:
  std::atomic<bool> stopped_{false};
  std::thread thread_;
};

void print_dry_run(std::ostream& out, const std::vector<migrator::plan_step>& plan, const char* command,
                   const std::vector<migrator::deferred_migration>& deferred) {
  out << "-- dry run of '" << command << "': " << plan.size() << " step(s); nothing was changed\n";
  if (plan.empty()) out << "-- nothing to do\n";
  for (const auto& d : deferred) out << "-- deferred: " << d.describe() << "\n";
  for (const auto& step : plan) {
    const auto& m = *step.file;
    const bool up = step.dir == direction::up;
    if (step.record_only) {
      out << "\n-- record without running: " << m.module << " " << m.version << " " << m.name << " (" << m.path
          << ")\n";
      if (m.baseline)
        out << "-- (a baseline; the database has every version it replaces: "
            << migrator::format_versions(m.baseline->replaces) << ")\n";
      out << "BEGIN;\n-- record version " << m.version << "\nCOMMIT;\n";
      continue;
    }
    if (m.role != migrator::migration_role::versioned) {
      const bool repeatable = m.role == migrator::migration_role::repeatable;
      out << "\n-- " << (repeatable ? (up ? "repeatable up" : "repeatable down") : "callback") << ": " << m.module
          << " " << m.name << " (" << m.path << ")" << (m.body().use_transaction ? "" : " NO TRANSACTION") << "\n";
      if (m.body().use_transaction) out << "BEGIN;\n";
      for (const auto& s : up ? m.body().up : m.body().down) out << s.sql << "\n";
      if (repeatable)
        out << "-- " << (up ? "record checksum of repeatable " : "forget repeatable ") << m.module << " " << m.name
            << "\n";
      if (m.body().use_transaction) out << "COMMIT;\n";
      continue;
    }
    const bool code = m.kind == migrator::migration_kind::code;
    out << "\n-- " << (up ? "up" : "down") << ": " << m.module << " " << m.version << " " << m.name << " ("
        << m.path << ")" << (code ? " CODE" : "") << (m.body().use_transaction ? "" : " NO TRANSACTION") << "\n";
    if (m.baseline)
      out << "-- (a baseline replacing " << migrator::format_versions(m.baseline->replaces)
          << (up ? "" : "; those versions are forgotten too") << ")\n";
    if (m.body().use_transaction) out << "BEGIN;\n";
    // A code migration is listed, never run: what it sends depends on the data.
    if (code) out << "-- runs the C++ " << (up ? "up" : "down") << " function of " << m.path << "\n";
    for (const auto& s : up ? m.body().up : m.body().down) out << s.sql << "\n";
    out << "-- " << (up ? "record version " : "forget version ") << m.version << "\n";
    if (m.body().use_transaction) out << "COMMIT;\n";
  }
}

}  // namespace

void add_dry_run_option(po::options_description& options, const char* instead) {
  options.add_options()("dry-run", po::bool_switch(), instead);
}

bool dry_run(const command_context& ctx) { return ctx.vm.count("dry-run") && ctx.vm["dry-run"].as<bool>(); }

int run_plan(command_context& ctx, command_kind kind, const char* command_name) {
  const auto& settings = ctx.settings;
  if (settings.targets) {
    if (kind != command_kind::up && kind != command_kind::up_by_one && kind != command_kind::up_to)
      throw migrator::error(migrator::error_code::usage,
                            std::string(command_name) + " does not run over a fleet (--targets, APP_TARGETS or "
                            "fleet.targets is set); give --targets \"\" and --dsn for one database");
    migrator::plan_request request{kind, 0};
    if (ctx.vm.count("version")) request.target = ctx.vm["version"].as<std::int64_t>();
    return run_fleet(ctx, dry_run(ctx) ? migrator::fleet_action::plan : migrator::fleet_action::apply, request,
                     command_name);
  }
  interrupt_watch signals;  // before any thread starts, so only it receives SIGINT/SIGTERM
  const std::string name = application_name_for(std::string("migrate ") + command_name);
  // `up` first checks whether the database is up to date; a dry run and every
  // other command start by reading the history (engine.h).
  const auto first = kind == command_kind::up && !dry_run(ctx) ? migrator::history_look::up_to_date_check
                                                               : migrator::history_look::read;
  auto connecting = connect_in_background(settings, name, engine_use::writing, first);
  const auto& assembled = keep_until_exit(load_module_set(settings));
  refuse_problems(assembled);
  const migrator::module_set& set = assembled.set;
  // Until the connection is made (the server starts a process for it), the
  // newest migrations are parsed: the ones a deploy applies, parsed then
  // without anyone waiting. With nothing pending it was time spent waiting anyway.
  background_parse parsing(set.migrations);
  migrator::plan_request request{kind, 0};
  if (ctx.vm.count("version")) request.target = ctx.vm["version"].as<std::int64_t>();
  migrator::engine engine = open_engine(settings, set, connecting, name, engine_use::writing);
  parsing.stop();
  interrupt_watch::scoped_attachment attached(signals, &engine);
  if (settings.allow_drift)
    log_event(spdlog::level::warn, "allow_drift", {},
              "--allow-drift: applying even if applied migrations were modified or are dirty");
  if (dry_run(ctx)) {
    std::vector<migrator::deferred_migration> deferred;
    const auto plan = engine.plan(request, nullptr, &deferred);
    print_dry_run(ctx.out, plan, command_name, deferred);
    return exit_ok;
  }
  logging_observer observer;
  const auto start = std::chrono::steady_clock::now();
  try {
    auto report = engine.run(request, &observer);
    const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    const std::int64_t count = static_cast<std::int64_t>(report.steps.size());
    const std::int64_t elapsed_us = elapsed.count();
    if (report.steps.empty())
      log_event(spdlog::level::info, "nothing_to_do", {{"command", command_name}, {"at_version", report.current_version}},
                "nothing to do; the database is at version {}", report.current_version);
    else if (kind == command_kind::stamp)
      log_event(spdlog::level::info, "run_done",
                {{"command", command_name}, {"count", count}, {"duration_us", elapsed_us},
                 {"at_version", report.current_version}},
                "recorded {} migration(s) as applied without running them; the database is at version {}",
                report.steps.size(), report.current_version);
    else if (kind == command_kind::redo)
      // Two steps, one migration: rolled back, then applied again.
      log_event(spdlog::level::info, "run_done",
                {{"command", command_name}, {"count", std::int64_t{1}}, {"duration_us", elapsed_us},
                 {"at_version", report.current_version}},
                "redid {} {} {} (rolled back and applied again) in {}; the database is at version {}",
                report.steps.front().module, report.steps.front().version, report.steps.front().name,
                migrator::elapsed_text(elapsed), report.current_version);
    else
      log_event(spdlog::level::info, "run_done",
                {{"command", command_name}, {"count", count}, {"duration_us", elapsed_us},
                 {"at_version", report.current_version}},
                "{} {} migration(s) in {}; the database is at version {}",
                report.steps.front().dir == direction::up ? "applied" : "rolled back", report.steps.size(),
                migrator::elapsed_text(elapsed), report.current_version);
    // A post-deploy job asked to wait for the old builds: still waiting is its failure.
    if (!report.deferred.empty() && settings.wait_for_builds.count() > 0) {
      log_event(spdlog::level::err, "builds_wait_timeout",
                {{"command", command_name}, {"deferred", static_cast<std::int64_t>(report.deferred.size())}},
                "{} migration(s) still deferred after waiting {} for older builds to stop (app migrate builds "
                "lists them)",
                report.deferred.size(), migrator::elapsed_text(settings.wait_for_builds));
      return exit_deferred;
    }
    return exit_ok;
  } catch (const migrator::run_error& e) {
    if (!e.done().steps.empty())
      log_event(spdlog::level::err, "run_partial",
                {{"command", command_name}, {"count", static_cast<std::int64_t>(e.done().steps.size())}},
                "{} migration(s) of this run completed before the failure and stay as they are",
                e.done().steps.size());
    throw;
  }
}

}  // namespace app
