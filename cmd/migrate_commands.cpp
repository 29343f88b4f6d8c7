// The commands that touch the database: up, up-by-one, up-to, down, down-to,
// redo, reset, status, version, repair. They resolve settings, assemble the
// module set, open the engine and print; the work itself is in the core.
#include <spdlog/spdlog.h>

#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <atomic>
#include <string_view>
#include <thread>

#include "cli.h"
#include "command.h"
#include "exit_codes.h"
#include "migrator/baseline.h"
#include "interrupt_watch.h"
#include "logging.h"
#include "migrator/dsn.h"
#include "migrator/engine.h"
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
    if (step.record_only) {
      out << "\n-- record without running: " << m.module << " " << m.version << " " << m.name << " (" << m.path
          << ")\n";
      if (m.baseline)
        out << "-- (a baseline; the database has every version it replaces: "
            << migrator::format_versions(m.baseline->replaces) << ")\n";
      out << "BEGIN;\n-- record version " << m.version << "\nCOMMIT;\n";
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

bool dry_run(const command_context& ctx) { return ctx.vm.count("dry-run") && ctx.vm["dry-run"].as<bool>(); }

}  // namespace

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
  auto connecting = connect_in_background(settings.dsn, name);
  auto set = checked_module_set(settings);
  migrator::plan_request request{kind, 0};
  if (ctx.vm.count("version")) request.target = ctx.vm["version"].as<std::int64_t>();
  migrator::engine engine = open_engine(settings, set, connecting, name);
  interrupt_watch::scoped_attachment attached(signals, &engine);
  if (settings.allow_drift)
    log_event(spdlog::level::warn, "allow_drift", {},
              "--allow-drift: applying even if applied migrations were modified or are dirty");
  if (dry_run(ctx)) {
    print_dry_run(ctx.out, engine.plan(request), command_name);
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
                format_duration(elapsed), report.current_version);
    else
      log_event(spdlog::level::info, "run_done",
                {{"command", command_name}, {"count", count}, {"duration_us", elapsed_us},
                 {"at_version", report.current_version}},
                "{} {} migration(s) in {}; the database is at version {}",
                report.steps.front().dir == direction::up ? "applied" : "rolled back", report.steps.size(),
                format_duration(elapsed), report.current_version);
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

namespace {

// What `repair --checksums` would record. Refuses as the real repair would when
// the module order changed (a checksum must not be recorded for another module's file).
void print_checksums_dry_run(std::ostream& out, const migrator::status_report& status) {
  if (!status.namespace_conflicts.empty()) {
    std::string msg = "repair --checksums would refuse: the module order changed since these migrations were "
                      "applied:";
    for (const auto& conflict : status.namespace_conflicts) msg += "\n  " + conflict;
    throw migrator::error(migrator::error_code::refused, msg);
  }
  std::vector<const migrator::migration_status*> missing;
  for (const auto& m : status.migrations)
    if (m.state == migrator::migration_state::applied && !m.has_checksum) missing.push_back(&m);
  out << "-- dry run of 'repair --checksums': " << missing.size()
      << " checksum(s) would be recorded; nothing was changed\n";
  for (const auto* m : missing)
    out << "-- record the checksum of " << m->module << " " << m->version << " " << m->name << " (" << m->path
        << ")\n";
}

void dry_run_option(po::options_description& o, po::positional_options_description&) {
  o.add_options()("dry-run", po::bool_switch(), "print the plan and its exact statements; change nothing");
}

void version_argument(po::options_description& o, po::positional_options_description& p) {
  dry_run_option(o, p);
  o.add_options()("version", po::value<std::int64_t>()->required()->value_name("VERSION"), "target version");
  p.add("version", 1);
}

void fleet_dry_run_option(po::options_description& o, po::positional_options_description& p) {
  dry_run_option(o, p);
  add_fleet_options(o, true);
}

void fleet_version_argument(po::options_description& o, po::positional_options_description& p) {
  version_argument(o, p);
  add_fleet_options(o, true);
}


// Left-aligned in `width` columns, as std::setw with std::left: longer text is not cut.
void append_padded(std::string& line, std::string_view text, std::size_t width) {
  line += text;
  if (text.size() < width) line.append(width - text.size(), ' ');
}

void print_status_table(std::ostream& out, const migrator::status_report& r) {
  std::size_t module_width = 6, name_width = 4;
  for (const auto& m : r.migrations) {
    module_width = std::max(module_width, m.module.size());
    name_width = std::max(name_width, m.name.size());
  }
  // One buffer, one write: with 10,000 migrations, formatting field by field through
  // the stream cost more than reading the history.
  std::string table;
  table.reserve((module_width + name_width + 50) * (r.migrations.size() + 1));
  append_padded(table, "MODULE", module_width + 2);
  append_padded(table, "VERSION", 9);
  append_padded(table, "NAME", name_width + 2);
  append_padded(table, "STATE", 10);
  table += "APPLIED AT\n";
  for (const auto& m : r.migrations) {
    append_padded(table, m.module, module_width + 2);
    append_padded(table, std::to_string(m.version), 9);
    append_padded(table, m.name, name_width + 2);
    append_padded(table, migrator::to_string(m.state), 10);
    table += m.applied_at ? *m.applied_at : "-";
    if (m.state == migrator::migration_state::dirty)
      table += std::string(m.kind == migrator::migration_kind::code ? "  (stopped after step " : "  (stopped after statement ") +
               std::to_string(m.statements_done.value_or(0)) + " of " +
               std::to_string(m.statements_total.value_or(0)) + ")";
    if (m.baseline) {
      switch (m.baseline->kind) {
        case migrator::baseline_history::fresh: table += "  (baseline: up runs it)"; break;
        case migrator::baseline_history::complete:
          table += "  (baseline: up records it without running it; the database has " +
                   migrator::format_versions(m.baseline->present) + ")";
          break;
        case migrator::baseline_history::partial:
          table += "  (baseline: refused, " + migrator::format_versions(m.baseline->missing) + " missing)";
          break;
      }
    }
    table += '\n';
  }
  out << table;
  std::map<migrator::migration_state, int> counts;
  for (const auto& m : r.migrations) ++counts[m.state];
  out << "\nversion " << r.current_version << ": ";
  bool first = true;
  for (auto state : {migrator::migration_state::applied, migrator::migration_state::pending,
                     migrator::migration_state::modified, migrator::migration_state::dirty,
                     migrator::migration_state::unknown, migrator::migration_state::replaced}) {
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
  for (const auto& refusal : r.baseline_refusals) out << "refused: " << refusal << '\n';
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
                       {"kind", m.kind == migrator::migration_kind::code ? "code" : "sql"},
                       {"applied_at", m.applied_at ? nlohmann::json(*m.applied_at) : nlohmann::json(nullptr)},
                       {"path", m.path.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.path)},
                       {"checksum_recorded", m.has_checksum}};
    if (m.state == migrator::migration_state::dirty)
      row["statements_done"] = m.statements_done.value_or(0), row["statements_total"] = m.statements_total.value_or(0);
    if (m.baseline)
      row["baseline"] = {{"history", migrator::to_string(m.baseline->kind)},
                         {"present", m.baseline->present},
                         {"missing", m.baseline->missing}};
    j["migrations"].push_back(row);
    if (!modules.count(m.module)) {
      module_order.push_back(m.module);
      modules[m.module] = {{"module", m.module}, {"applied", 0}, {"pending", 0}, {"modified", 0}, {"dirty", 0}, {"unknown", 0}, {"replaced", 0}, {"version", 0}, {"code", 0}};
    }
    auto& summary = modules[m.module];
    if (m.kind == migrator::migration_kind::code) summary["code"] = summary["code"].get<int>() + 1;
    summary[migrator::to_string(m.state)] = summary[migrator::to_string(m.state)].get<int>() + 1;
    if (m.state == migrator::migration_state::applied || m.state == migrator::migration_state::modified)
      summary["version"] = std::max(summary["version"].get<std::int64_t>(), m.version);
  }
  j["modules"] = nlohmann::json::array();
  for (const auto& name : module_order) j["modules"].push_back(modules[name]);
  j["without_checksum"] = r.without_checksum;
  j["namespace_conflicts"] = r.namespace_conflicts;
  j["baseline_refusals"] = r.baseline_refusals;
  return j;
}

const command up_command{
    "up", "apply every pending migration (including ones lower than the current version)",
    "app migrate up [--dry-run] [--targets FILE [--target NAME]... [--jobs N] [--shard I/N] [--canary K] "
    "[--fail-fast] [--json]]",
    "app migrate up --dsn postgresql://app@db/app", fleet_dry_run_option, [](command_context& c) { return run_plan(c, command_kind::up, "up"); }};
const command up_by_one_command{
    "up-by-one", "apply the lowest pending migration", "app migrate up-by-one [--dry-run] [--targets FILE ...]",
    "app migrate up-by-one --dry-run", fleet_dry_run_option,
    [](command_context& c) { return run_plan(c, command_kind::up_by_one, "up-by-one"); }};
const command up_to_command{
    "up-to", "apply pending migrations up to and including VERSION",
    "app migrate up-to VERSION [--dry-run] [--targets FILE ...]", "app migrate up-to 3002", fleet_version_argument,
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
    "status", "show every migration and its state (applied, pending, modified, dirty, unknown, replaced)",
    "app migrate status [--json] [--exit-code] [--targets FILE ...]", "app migrate status --json",
    [](po::options_description& o, po::positional_options_description&) {
      o.add_options()("json", po::bool_switch(), "print one JSON object")(
          "exit-code", po::bool_switch(),
          "exit 0 only when nothing is pending, modified, dirty or unknown (6 otherwise)");
      add_fleet_options(o, false);
    },
    [](command_context& c) {
      const auto& settings = c.settings;
      if (settings.targets) return run_fleet(c, migrator::fleet_action::status, {}, "status");
      const std::string name = application_name_for("migrate status");
      auto connecting = connect_in_background(settings.dsn, name);
      auto set = load_module_set(settings);
      for (const auto& p : set.problems) log_event(spdlog::level::warn, "module_problem", {}, "{}", p.str());
      migrator::engine engine = open_engine(settings, set.set, connecting, name);
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
    "version", "print the database's current version (the highest applied)",
    "app migrate version [--targets FILE ...]", "app migrate version",
    [](po::options_description& o, po::positional_options_description&) { add_fleet_options(o, true); },
    [](command_context& c) {
      const auto& settings = c.settings;
      if (settings.targets) return run_fleet(c, migrator::fleet_action::status, {}, "version");
      const std::string name = application_name_for("migrate version");
      auto connecting = connect_in_background(settings.dsn, name);
      auto set = load_module_set(settings);
      migrator::engine engine = open_engine(settings, set.set, connecting, name);
      c.out << engine.status().current_version << '\n';
      return static_cast<int>(exit_ok);
    }};

const command repair_command{
    "repair", "fix the history after a human fixed the database (dirty versions, missing checksums)",
    "app migrate repair --checksums | app migrate repair VERSION (--mark-applied | --mark-rolled-back) "
    "[--dry-run]",
    "app migrate repair 7002 --mark-rolled-back",
    [](po::options_description& o, po::positional_options_description& p) {
      o.add_options()("dry-run", po::bool_switch(), "print what would be recorded; change nothing")("checksums", po::bool_switch(), "record the checksums of applied migrations that have none")(
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
      const std::string name = application_name_for("migrate repair");
      auto connecting = connect_in_background(settings.dsn, name);
      migrator::engine engine = open_engine(settings, set, connecting, name);
      const bool dry_run = c.vm["dry-run"].as<bool>();
      if (checksums && dry_run) {
        print_checksums_dry_run(c.out, engine.status());
        return static_cast<int>(exit_ok);
      }
      if (checksums) {
        auto n = engine.repair_checksums();
        log_event(spdlog::level::info, "checksums_recorded", {{"count", static_cast<std::int64_t>(n)}},
                  "recorded {} checksum(s)", n);
        return static_cast<int>(exit_ok);
      }
      const auto version = c.vm["version"].as<std::int64_t>();
      if (dry_run) {
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
        c.out << "-- dry run of 'repair " << version << (applied ? " --mark-applied" : " --mark-rolled-back")
              << "': nothing was changed\n-- " << it->module << " " << version << " " << it->name << " ("
              << it->path << ") is dirty after statement " << it->statements_done.value_or(0) << " of "
              << it->statements_total.value_or(0) << "\n-- would record version " << version << " as "
              << (applied ? "applied" : "rolled back") << "\n";
        return static_cast<int>(exit_ok);
      }
      // The engine checks that the version is dirty, under the lock.
      const auto before = applied ? engine.repair_mark_applied(version) : engine.repair_mark_rolled_back(version);
      log_event(spdlog::level::info, "repaired",
                {{"module", before.module}, {"version", version}, {"name", before.name},
                 {"state", applied ? "applied" : "rolled_back"}},
                "version {} ({} {}) is now recorded as {}", version, before.module, before.name,
                applied ? "applied" : "rolled back");
      return static_cast<int>(exit_ok);
    }};

}  // namespace

extern const command* const engine_commands[] = {&up_command,    &up_by_one_command, &up_to_command,
                                                 &down_command,  &down_to_command,   &redo_command,
                                                 &reset_command, &status_command,    &version_command,
                                                 &repair_command};
extern const std::size_t engine_command_count = sizeof engine_commands / sizeof engine_commands[0];

}  // namespace app
