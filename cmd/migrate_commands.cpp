// The commands that touch the database: up, up-by-one, up-to, down, down-to,
// redo, reset, status, version, repair. They resolve settings, assemble the
// module set, open the engine and print; the work itself is in the core.
#include <spdlog/spdlog.h>

#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "command.h"
#include "exit_codes.h"
#include "migrator/dsn.h"
#include "migrator/engine.h"
#include "migrator/log.h"
#include "settings_options.h"

namespace app {

namespace {

using migrator::command_kind;
using migrator::direction;

std::string format_duration(std::chrono::microseconds d) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(d.count() < 10000 ? 2 : 0) << d.count() / 1000.0 << " ms";
  return s.str();
}

// Refuses a module set with problems: nothing is written from a broken set.
migrator::module_set checked_module_set(const app::settings& settings) {
  auto assembled = load_module_set(settings);
  if (!assembled.ok()) {
    std::string msg = "the module set has problems; nothing was changed:";
    for (const auto& p : assembled.problems) msg += "\n  " + p.str();
    throw migrator::error(migrator::error_code::layout, msg);
  }
  return std::move(assembled.set);
}

void print_dry_run(std::ostream& out, const std::vector<migrator::plan_step>& plan, const char* command) {
  out << "-- dry run of '" << command << "': " << plan.size() << " step(s); nothing was changed\n";
  if (plan.empty()) out << "-- nothing to do\n";
  for (const auto& step : plan) {
    const auto& m = *step.file;
    const bool up = step.dir == direction::up;
    out << "\n-- " << (up ? "up" : "down") << ": " << m.module << " " << m.version << " " << m.name << " ("
        << m.path << ")" << (m.body.use_transaction ? "" : " NO TRANSACTION") << "\n";
    if (m.body.use_transaction) out << "BEGIN;\n";
    for (const auto& s : up ? m.body.up : m.body.down) out << s.sql << "\n";
    out << "-- " << (up ? "record version " : "forget version ") << m.version << "\n";
    if (m.body.use_transaction) out << "COMMIT;\n";
  }
}

int run_plan(command_context& ctx, command_kind kind, const char* command_name) {
  const auto& settings = ctx.settings;
  auto connecting = connect_in_background(settings.dsn);
  auto set = checked_module_set(settings);
  migrator::plan_request request{kind, 0};
  if (ctx.vm.count("version")) request.target = ctx.vm["version"].as<std::int64_t>();
  migrator::engine engine = open_engine(settings, set, connecting);
  if (settings.allow_drift) spdlog::warn("--allow-drift: applying even if applied migrations were modified or are dirty");
  if (ctx.vm.count("dry-run") && ctx.vm["dry-run"].as<bool>()) {
    print_dry_run(ctx.out, engine.plan(request), command_name);
    return exit_ok;
  }
  logging_observer observer;
  const auto start = std::chrono::steady_clock::now();
  try {
    auto report = engine.run(request, &observer);
    const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    if (report.steps.empty())
      spdlog::info("nothing to do; the database is at version {}", report.current_version);
    else
      spdlog::info("{} {} migration(s) in {}; the database is at version {}",
                   report.steps.front().dir == direction::up ? "applied" : "rolled back", report.steps.size(),
                   format_duration(elapsed), report.current_version);
    return exit_ok;
  } catch (const migrator::run_error& e) {
    if (!e.done().steps.empty())
      spdlog::error("{} migration(s) of this run completed before the failure and stay as they are",
                    e.done().steps.size());
    throw;
  }
}

void no_options(po::options_description&, po::positional_options_description&) {}

void dry_run_option(po::options_description& o, po::positional_options_description&) {
  o.add_options()("dry-run", po::bool_switch(), "print the plan and its exact statements; change nothing");
}

void version_argument(po::options_description& o, po::positional_options_description& p) {
  dry_run_option(o, p);
  o.add_options()("version", po::value<std::int64_t>()->required()->value_name("VERSION"), "target version");
  p.add("version", 1);
}


void print_status_table(std::ostream& out, const migrator::status_report& r) {
  std::size_t module_width = 6, name_width = 4;
  for (const auto& m : r.migrations) {
    module_width = std::max(module_width, m.module.size());
    name_width = std::max(name_width, m.name.size());
  }
  out << std::left << std::setw(module_width + 2) << "MODULE" << std::setw(9) << "VERSION"
      << std::setw(name_width + 2) << "NAME" << std::setw(10) << "STATE" << "APPLIED AT\n";
  for (const auto& m : r.migrations) {
    out << std::setw(module_width + 2) << m.module << std::setw(9) << m.version << std::setw(name_width + 2)
        << m.name << std::setw(10) << migrator::to_string(m.state) << (m.applied_at ? *m.applied_at : "-");
    if (m.state == migrator::migration_state::dirty)
      out << "  (stopped after statement " << m.statements_done.value_or(0) << " of "
          << m.statements_total.value_or(0) << ")";
    out << '\n';
  }
  std::map<migrator::migration_state, int> counts;
  for (const auto& m : r.migrations) ++counts[m.state];
  out << "\nversion " << r.current_version << ": ";
  bool first = true;
  for (auto state : {migrator::migration_state::applied, migrator::migration_state::pending,
                     migrator::migration_state::modified, migrator::migration_state::dirty,
                     migrator::migration_state::unknown}) {
    if (!counts[state]) continue;
    out << (first ? "" : ", ") << counts[state] << ' ' << migrator::to_string(state);
    first = false;
  }
  if (first) out << "no migrations";
  out << '\n';
  if (r.without_checksum)
    out << r.without_checksum
        << " applied migration(s) have no checksum (adopted from goose); record them with 'app migrate repair "
           "--checksums'\n";
  for (const auto& c : r.namespace_conflicts) out << "namespace conflict: " << c << '\n';
}

nlohmann::json status_json(const migrator::status_report& r) {
  nlohmann::json j;
  j["current_version"] = r.current_version;
  j["history_table_exists"] = r.history_exists;
  j["current"] = r.current() && r.namespace_conflicts.empty();
  j["migrations"] = nlohmann::json::array();
  std::map<std::string, nlohmann::json> modules;
  std::vector<std::string> module_order;
  for (const auto& m : r.migrations) {
    nlohmann::json row{{"module", m.module},
                       {"version", m.version},
                       {"name", m.name},
                       {"state", migrator::to_string(m.state)},
                       {"applied_at", m.applied_at ? nlohmann::json(*m.applied_at) : nlohmann::json(nullptr)},
                       {"path", m.path.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.path)},
                       {"checksum_recorded", m.has_checksum}};
    if (m.state == migrator::migration_state::dirty)
      row["statements_done"] = m.statements_done.value_or(0), row["statements_total"] = m.statements_total.value_or(0);
    j["migrations"].push_back(row);
    if (!modules.count(m.module)) {
      module_order.push_back(m.module);
      modules[m.module] = {{"module", m.module}, {"applied", 0}, {"pending", 0}, {"modified", 0}, {"dirty", 0}, {"unknown", 0}, {"version", 0}};
    }
    auto& summary = modules[m.module];
    summary[migrator::to_string(m.state)] = summary[migrator::to_string(m.state)].get<int>() + 1;
    if (m.state == migrator::migration_state::applied || m.state == migrator::migration_state::modified)
      summary["version"] = std::max(summary["version"].get<std::int64_t>(), m.version);
  }
  j["modules"] = nlohmann::json::array();
  for (const auto& name : module_order) j["modules"].push_back(modules[name]);
  j["without_checksum"] = r.without_checksum;
  j["namespace_conflicts"] = r.namespace_conflicts;
  return j;
}

const command up_command{
    "up", "apply every pending migration (including ones lower than the current version)",
    "app migrate up [--dry-run]", "app migrate up --dsn postgresql://app@db/app",
    dry_run_option, [](command_context& c) { return run_plan(c, command_kind::up, "up"); }};
const command up_by_one_command{
    "up-by-one", "apply the lowest pending migration", "app migrate up-by-one [--dry-run]",
    "app migrate up-by-one --dry-run", dry_run_option,
    [](command_context& c) { return run_plan(c, command_kind::up_by_one, "up-by-one"); }};
const command up_to_command{
    "up-to", "apply pending migrations up to and including VERSION", "app migrate up-to VERSION [--dry-run]",
    "app migrate up-to 3002", version_argument,
    [](command_context& c) { return run_plan(c, command_kind::up_to, "up-to"); }};
const command down_command{
    "down", "roll back the most recently applied migration", "app migrate down [--dry-run]",
    "app migrate down --dry-run", dry_run_option,
    [](command_context& c) { return run_plan(c, command_kind::down, "down"); }};
const command down_to_command{
    "down-to", "roll back every applied migration above VERSION, most recent first",
    "app migrate down-to VERSION [--dry-run]", "app migrate down-to 2001", version_argument,
    [](command_context& c) { return run_plan(c, command_kind::down_to, "down-to"); }};
const command redo_command{
    "redo", "roll back the most recently applied migration and apply it again", "app migrate redo [--dry-run]",
    "app migrate redo", dry_run_option, [](command_context& c) { return run_plan(c, command_kind::redo, "redo"); }};
const command reset_command{
    "reset", "roll back every applied migration, most recent first", "app migrate reset [--dry-run]",
    "app migrate reset --dry-run", dry_run_option,
    [](command_context& c) { return run_plan(c, command_kind::reset, "reset"); }};

const command status_command{
    "status", "show every migration and its state (applied, pending, modified, dirty, unknown)",
    "app migrate status [--json] [--exit-code]", "app migrate status --json",
    [](po::options_description& o, po::positional_options_description&) {
      o.add_options()("json", po::bool_switch(), "print one JSON object")(
          "exit-code", po::bool_switch(),
          "exit 0 only when nothing is pending, modified, dirty or unknown (6 otherwise)");
    },
    [](command_context& c) {
      const auto& settings = c.settings;
      auto connecting = connect_in_background(settings.dsn);
      auto set = load_module_set(settings);
      for (const auto& p : set.problems) spdlog::warn("{}", p.str());
      migrator::engine engine = open_engine(settings, set.set, connecting);
      auto report = engine.status();
      if (c.vm["json"].as<bool>())
        c.out << status_json(report).dump(2) << '\n';
      else
        print_status_table(c.out, report);
      if (c.vm["exit-code"].as<bool>() && !(report.current() && report.namespace_conflicts.empty()))
        return static_cast<int>(exit_not_current);
      return static_cast<int>(exit_ok);
    }};

const command version_command{
    "version", "print the database's current version (the highest applied)", "app migrate version",
    "app migrate version", no_options, [](command_context& c) {
      const auto& settings = c.settings;
      auto connecting = connect_in_background(settings.dsn);
      auto set = load_module_set(settings);
      migrator::engine engine = open_engine(settings, set.set, connecting);
      c.out << engine.status().current_version << '\n';
      return static_cast<int>(exit_ok);
    }};

const command repair_command{
    "repair", "fix the history after a human fixed the database (dirty versions, missing checksums)",
    "app migrate repair --checksums | app migrate repair VERSION (--mark-applied | --mark-rolled-back)",
    "app migrate repair 7002 --mark-rolled-back",
    [](po::options_description& o, po::positional_options_description& p) {
      o.add_options()("checksums", po::bool_switch(), "record the checksums of applied migrations that have none")(
          "mark-applied", po::bool_switch(), "record VERSION as applied (its statements all ran)")(
          "mark-rolled-back", po::bool_switch(), "record VERSION as not applied (its effects were undone)")(
          "version", po::value<std::int64_t>()->value_name("VERSION"), "the dirty version to repair");
      p.add("version", 1);
    },
    [](command_context& c) {
      const bool checksums = c.vm["checksums"].as<bool>(), applied = c.vm["mark-applied"].as<bool>(),
                 rolled_back = c.vm["mark-rolled-back"].as<bool>();
      if (checksums == (applied || rolled_back || c.vm.count("version")) || (applied && rolled_back) ||
          ((applied || rolled_back) != static_cast<bool>(c.vm.count("version"))))
        throw migrator::error(migrator::error_code::usage,
                              "repair takes either --checksums or VERSION with one of --mark-applied, "
                              "--mark-rolled-back");
      const auto& settings = c.settings;
      auto set = checked_module_set(settings);
      const auto options = engine_options_from(settings);
      migrator::engine engine(migrator::open_backend(settings.dsn, set, options), set, options);
      if (checksums) {
        auto n = engine.repair_checksums();
        spdlog::info("recorded {} checksum(s)", n);
        return static_cast<int>(exit_ok);
      }
      const auto version = c.vm["version"].as<std::int64_t>();
      auto status = engine.status();
      auto it = std::find_if(status.migrations.begin(), status.migrations.end(),
                             [&](const migrator::migration_status& m) { return m.version == version; });
      if (it == status.migrations.end() || it->state != migrator::migration_state::dirty)
        throw migrator::error(migrator::error_code::usage,
                              "version " + std::to_string(version) + " is not dirty" +
                                  (it == status.migrations.end() ? " (no such version)"
                                                                 : std::string(" (it is ") +
                                                                       migrator::to_string(it->state) + ")") +
                                  "; repair VERSION only clears a dirty version");
      if (applied) engine.repair_mark_applied(version);
      else engine.repair_mark_rolled_back(version);
      spdlog::info("version {} ({} {}) is now recorded as {}", version, it->module, it->name,
                   applied ? "applied" : "rolled back");
      return static_cast<int>(exit_ok);
    }};

}  // namespace

std::future<std::unique_ptr<migrator::connection>> connect_in_background(const std::string& dsn) {
  if (migrator::backend_of(dsn) == migrator::backend_kind::sqlite) {
    std::promise<std::unique_ptr<migrator::connection>> none;
    none.set_value(nullptr);
    return none.get_future();
  }
  return std::async(std::launch::async, [dsn] { return std::make_unique<migrator::connection>(dsn); });
}

migrator::engine open_engine(const app::settings& settings, const migrator::module_set& set,
                             std::future<std::unique_ptr<migrator::connection>>& connecting) {
  const auto options = engine_options_from(settings);
  if (migrator::backend_of(settings.dsn) == migrator::backend_kind::sqlite)
    return migrator::engine(migrator::open_backend(settings.dsn, set, options), set, options);
  return migrator::engine(connecting.get(), set, options);
}

migrator::engine_options engine_options_from(const app::settings& s) {
  migrator::engine_options o;
  o.table = s.table;
  o.lock_timeout = s.lock_timeout;
  o.statement_timeout = s.statement_timeout;
  o.db_lock_timeout = s.db_lock_timeout;
  o.allow_drift = s.allow_drift;
  return o;
}

void logging_observer::waiting_for_lock() { spdlog::info("another runner holds the migration lock; waiting"); }

void logging_observer::step_finished(const migrator::step_result& r) {
  migrator::log_scope scope({{"module", r.module}, {"version", r.version}});
  spdlog::info("{} {} {} {} ({})", r.dir == direction::up ? "applied" : "rolled back", r.module, r.version, r.name,
               format_duration(r.duration));
}

extern const command* const engine_commands[] = {&up_command,    &up_by_one_command, &up_to_command,
                                                 &down_command,  &down_to_command,   &redo_command,
                                                 &reset_command, &status_command,    &version_command,
                                                 &repair_command};
extern const std::size_t engine_command_count = sizeof engine_commands / sizeof engine_commands[0];

}  // namespace app
