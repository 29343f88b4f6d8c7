// `app migrate up|up-by-one|up-to|status|version|validate --targets FILE`: the
// same commands over a fleet of databases (docs/fleet.md). Reads the fleet file,
// picks targets, loads each distinct module set once, lets the core's runner do
// the work, then prints a table (or --json) and picks the exit code.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "command.h"
#include "exit_codes.h"
#include "fleet_progress.h"
#include "interrupt_watch.h"
#include "migrator/dsn.h"
#include "migrator/fleet.h"
#include "migrator/fleet_runner.h"
#include "migrator/log.h"
#include "settings_options.h"

namespace app {

namespace {

using migrator::target_outcome;

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// How long a target (or the whole fleet) took, in the fleet's table and its per-target
// lines: a coarser format than migrator::elapsed_text, since a target takes seconds.
// "123 ms" below 10 s, else "12.3 s".
std::string fleet_duration_text(std::chrono::milliseconds d) {
  std::ostringstream s;
  if (d.count() < 10000)
    s << d.count() << " ms";
  else
    s << std::fixed << std::setprecision(1) << d.count() / 1000.0 << " s";
  return s.str();
}

int connect_seconds(const app::settings& s) {
  return static_cast<int>(std::max<long long>(1, s.connect_timeout.count() / 1000));
}

migrator::fleet_file read_fleet_file(const app::settings& settings) {
  const std::string& path = *settings.targets;
  auto text = disk_files()(path);
  if (!text) throw migrator::error(migrator::error_code::config, "--targets: " + path + ": no such file");
  return migrator::parse_fleet_file(*text, path, migrator::process_environment(), [](const std::string& dir) {
    std::error_code ec;
    return std::filesystem::is_directory(dir, ec);
  });
}

std::vector<std::string> target_names(const po::variables_map& vm) {
  return vm.count("target") ? vm["target"].as<std::vector<std::string>>() : std::vector<std::string>{};
}

// The selected targets, canaries first; returns how many canaries lead.
std::size_t selected_targets(command_context& ctx, std::vector<migrator::fleet_target>& out) {
  const auto file = read_fleet_file(ctx.settings);
  const int seconds = connect_seconds(ctx.settings);
  auto all = migrator::expand_fleet(file, [seconds](const std::string& dsn, const std::string& sql) {
    return migrator::run_control_query(migrator::with_connect_timeout(dsn, seconds), sql);
  });
  migrator::shard_spec shard;
  if (ctx.vm.count("shard")) shard = migrator::parse_shard(ctx.vm["shard"].as<std::string>());
  out = migrator::select_targets(all, target_names(ctx.vm), shard);
  migrator::canary_spec canary;
  if (ctx.vm.count("canary")) canary = migrator::parse_canary(ctx.vm["canary"].as<std::string>());
  const std::size_t canaries = migrator::order_for_canary(out, canary);
  spdlog::info("fleet {}: {} target(s) of {}{}{}", file.path, out.size(), all.size(),
               shard.count > 1 ? fmt::format(", shard {}/{}", shard.index, shard.count) : "",
               canaries ? fmt::format(", {} canary target(s) first", canaries) : "");
  return canaries;
}

// One module set per distinct modules directory, parsed once, shared by its targets.
std::vector<migrator::fleet_member> with_module_sets(const command_context& ctx,
                                                     std::vector<migrator::fleet_target> targets, bool refuse_problems_of_sets) {
  std::map<std::string, std::shared_ptr<const migrator::module_set>> sets;
  std::vector<migrator::fleet_member> members;
  members.reserve(targets.size());
  for (auto& t : targets) {
    app::settings s = ctx.settings;
    if (t.modules_dir) s.modules_dir = t.modules_dir;
    const std::string key = s.modules_dir.value_or("");
    auto it = sets.find(key);
    if (it == sets.end()) {
      auto assembled = load_module_set(s);
      if (refuse_problems_of_sets) refuse_problems(assembled, module_source_name(s) + " (target '" + t.name + "')");
      for (const auto& p : assembled.problems) spdlog::warn("{}", p.str());
      it = sets.emplace(key, std::make_shared<const migrator::module_set>(std::move(assembled.set))).first;
    }
    members.push_back({std::move(t), it->second});
  }
  return members;
}

class fleet_logger final : public migrator::fleet_observer {
 public:
  fleet_logger(migrator::fleet_action action, progress_display* progress) : action_(action), progress_(progress) {}

  void target_started(const std::string&) override {
    if (progress_) progress_->started();
  }

  void step_finished(const std::string&, const migrator::step_result& r) override {
    migrator::log(migrator::log_level::debug, "applied", {{"module", r.module}, {"version", r.version}, {"name", r.name},
                                                    {"duration_ms", r.duration.count() / 1000}});
  }

  void waiting_for_lock(const std::string&) override {
    spdlog::info("another runner holds this database's migration lock; waiting");
  }

  void target_finished(const migrator::target_result& r) override {
    // Runs on the target's thread: its log_scope names the target.
    if (r.outcome == target_outcome::failed) {
      spdlog::error("failed after {}: {}", fleet_duration_text(r.duration), first_line(r.error));
    } else if (r.outcome == target_outcome::interrupted) {
      spdlog::warn("stopped after {}: {}", fleet_duration_text(r.duration), first_line(r.error));
    } else if (r.outcome == target_outcome::skipped) {
      spdlog::info("{}", r.error);
    } else if (action_ == migrator::fleet_action::apply) {
      if (r.applied)
        spdlog::info("applied {} migration(s) in {}; at version {}", r.applied, fleet_duration_text(r.duration), r.to_version);
      else
        spdlog::info("nothing to do; at version {}", r.to_version);
    }
    if (progress_) progress_->finished(r.outcome == target_outcome::ok);
  }

 private:
  migrator::fleet_action action_;
  progress_display* progress_;
};

const char* result_word(const migrator::target_result& r, migrator::fleet_action action) {
  if (r.outcome != target_outcome::ok) return migrator::to_string(r.outcome);
  if (action == migrator::fleet_action::status) return r.current ? "current" : "not current";
  return "ok";
}

// The engine's message starts "interrupted: ", which the RESULT column already says.
std::string without_interrupted_prefix(const migrator::target_result& r) {
  const std::string prefix = "interrupted: ";
  if (r.outcome == target_outcome::interrupted && r.error.compare(0, prefix.size(), prefix) == 0)
    return r.error.substr(prefix.size());
  return r.error;
}

void print_table(std::ostream& out, const migrator::fleet_report& report, migrator::fleet_action action,
                 const std::string& command) {
  std::size_t width = 6;
  for (const auto& r : report.targets) width = std::max(width, r.name.size());
  const bool status = action == migrator::fleet_action::status;
  const char* count_header = status ? "PENDING" : action == migrator::fleet_action::plan ? "PLANNED" : "APPLIED";
  out << std::left << std::setw(static_cast<int>(width) + 2) << "TARGET" << std::right << std::setw(10)
      << (status ? "VERSION" : "FROM") << std::setw(10) << (status ? "" : "TO") << std::setw(9) << count_header
      << std::setw(11) << "DURATION" << "  RESULT\n";
  for (const auto& r : report.targets) {
    const bool ran = r.outcome != target_outcome::skipped;
    out << std::left << std::setw(static_cast<int>(width) + 2) << r.name << std::right << std::setw(10)
        << (ran ? std::to_string(r.from_version) : "-") << std::setw(10)
        << (status ? "" : ran ? std::to_string(r.to_version) : "-") << std::setw(9)
        << (ran ? std::to_string(status ? r.pending : r.applied) : "-") << std::setw(11)
        << (ran ? fleet_duration_text(r.duration) : "-") << "  " << result_word(r, action);
    if (r.outcome != target_outcome::ok) out << ": " << first_line(without_interrupted_prefix(r));
    out << '\n';
  }
  out << '\n'
      << command << ": " << report.targets.size() << " target(s): " << report.count(target_outcome::ok) << " ok, "
      << report.count(target_outcome::failed) << " failed, " << report.count(target_outcome::skipped) << " skipped";
  if (const auto stopped = report.count(target_outcome::interrupted)) out << ", " << stopped << " interrupted";
  out << ", in " << fleet_duration_text(report.duration) << '\n';
}

nlohmann::ordered_json report_json(const migrator::fleet_report& report, migrator::fleet_action action,
                           const std::string& command) {
  nlohmann::ordered_json targets = nlohmann::ordered_json::array();
  for (const auto& r : report.targets) {
    nlohmann::ordered_json t{{"target", r.name},
                     {"group", r.group.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.group)},
                     {"canary", r.canary},
                     {"result", migrator::to_string(r.outcome)},
                     {"from_version", r.from_version},
                     {"to_version", r.to_version},
                     {"applied", r.applied},
                     {"duration_ms", r.duration.count()},
                     {"error", r.outcome == target_outcome::ok ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.error)}};
    if (r.code) t["error_code"] = migrator::to_string(*r.code);
    if (action == migrator::fleet_action::status) {
      t["version"] = r.from_version;
      t["pending"] = r.pending;
      t["current"] = r.current;
      t.erase("applied");
    }
    if (action == migrator::fleet_action::plan) {
      t["applied"] = 0;
      t["planned"] = nlohmann::ordered_json::array();
      for (const auto& s : r.plan) {
        if (s.is_callback()) continue;  // runs around the steps, applies nothing
        nlohmann::ordered_json step{{"version", s.version}, {"module", s.file->module}, {"name", s.file->name}};
        if (s.file->role == migrator::migration_role::repeatable) step["repeatable"] = true;
        t["planned"].push_back(std::move(step));
      }
    }
    targets.push_back(std::move(t));
  }
  return {{"command", command},
          {"targets", std::move(targets)},
          {"total", report.targets.size()},
          {"ok", report.count(target_outcome::ok)},
          {"failed", report.count(target_outcome::failed)},
          {"skipped", report.count(target_outcome::skipped)},
          {"interrupted", report.count(target_outcome::interrupted)},
          {"duration_ms", report.duration.count()}};
}

bool stderr_is_terminal(const command_context& ctx) { return &ctx.err == &std::cerr && isatty(STDERR_FILENO); }

}  // namespace

namespace {
// Begins the help of every fleet-only option, and tells them apart (is_fleet_only).
constexpr std::string_view fleet_only_help = "with --targets: ";
}  // namespace

bool is_fleet_only(const po::option_description& option) {
  return option.description().compare(0, fleet_only_help.size(), fleet_only_help) == 0;
}

void add_fleet_options(po::options_description& o, bool with_json) {
  const std::string only(fleet_only_help);
  o.add_options()("target", po::value<std::vector<std::string>>()->value_name("NAME"),
                  (only + "only this target, or every target of this entry (repeatable)").c_str())(
      "shard", po::value<std::string>()->value_name("I/N"),
      (only + "only the targets of shard I of N (0 <= I < N), stable by target name").c_str())(
      "canary", po::value<std::string>()->value_name("K|GROUP"),
      (only + "run the first K targets (or those of group GROUP) alone first; stop if one fails").c_str())(
      "fail-fast", po::bool_switch(), (only + "start no other target after one failed").c_str());
  if (with_json) o.add_options()("json", po::bool_switch(), (only + "print the result as one JSON document").c_str());
}

int run_fleet(command_context& ctx, migrator::fleet_action action, migrator::plan_request request,
              const std::string& command) {
  // Before any thread starts, so only it receives SIGINT/SIGTERM. Until the
  // stop is attached (reading the file, expansion queries, module sets:
  // nothing to undo) a signal exits 8 at once, as a single run's does.
  interrupt_watch signals;
  std::vector<migrator::fleet_target> targets;
  const std::size_t canaries = selected_targets(ctx, targets);
  const auto members = with_module_sets(ctx, std::move(targets), action != migrator::fleet_action::status);

  migrator::fleet_options options;
  options.action = action;
  options.request = request;
  options.engine = engine_options_from(ctx.settings, application_name_for("migrate fleet"));
  options.jobs = ctx.settings.jobs;
  options.fail_fast = ctx.vm.count("fail-fast") && ctx.vm["fail-fast"].as<bool>();
  options.canaries = canaries;
  options.connect_timeout_seconds = connect_seconds(ctx.settings);

  migrator::fleet_stop stop;
  options.stop = &stop;
  migrator::fleet_report report;
  {
    interrupt_watch::scoped_attachment attached(signals, &stop);
    std::unique_ptr<progress_display> progress;
    if (stderr_is_terminal(ctx) && !members.empty()) progress = std::make_unique<progress_display>(members.size());
    fleet_logger logger(action, progress.get());
    report = migrator::run_fleet(members, options, &logger);
  }
  if (ctx.vm.count("json") && ctx.vm["json"].as<bool>())
    ctx.out << report_json(report, action, command).dump(2) << '\n';
  else
    print_table(ctx.out, report, action, command);
  // Like a single run's: the signal's code, whatever else failed meanwhile.
  if (stop.requested()) return exit_interrupted;
  if (!report.all_ok()) return exit_partial;
  if (action == migrator::fleet_action::status && ctx.vm.count("exit-code") && ctx.vm["exit-code"].as<bool>() &&
      std::any_of(report.targets.begin(), report.targets.end(), [](const auto& r) { return !r.current; }))
    return exit_not_current;
  return exit_ok;
}

int validate_fleet(command_context& ctx) {
  const auto file = read_fleet_file(ctx.settings);
  std::map<std::string, std::vector<std::string>> users;  // modules dir ("" = default) -> entries
  std::vector<std::string> order;
  for (const auto& e : file.entries) {
    const std::string key = e.modules_dir ? *e.modules_dir : ctx.settings.modules_dir.value_or("");
    if (!users.count(key)) order.push_back(key);
    users[key].push_back(e.name);
  }
  bool ok = true;
  for (const auto& key : order) {
    app::settings s = ctx.settings;
    s.modules_dir = key.empty() ? std::nullopt : std::optional<std::string>(key);
    const auto assembled = load_module_set(s, migrator::parse_time::now);  // validate: every file
    std::string entries;
    for (const auto& n : users[key]) entries += (entries.empty() ? "" : ", ") + n;
    for (const auto& p : assembled.problems) ctx.err << p.str() << '\n';
    if (!assembled.ok()) {
      ok = false;
      ctx.err << "validate: " << assembled.problems.size() << " problem(s) in " << module_source_name(s)
              << " (targets " << entries << ")\n";
      continue;
    }
    ctx.out << "ok: " << assembled.set.modules.size() << " modules, " << assembled.set.migrations.size()
            << " migrations (" << module_source_name(s) << "; targets " << entries << ")\n";
  }
  ctx.out << "fleet " << file.path << ": " << file.entries.size() << " entr" << (file.entries.size() == 1 ? "y" : "ies")
          << " (expansion queries are not run by validate)\n";
  return ok ? exit_ok : exit_failed;
}

}  // namespace app
