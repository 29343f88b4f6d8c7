// `app migrate repair`: fixes the history after a person fixed the database:
// a dirty version recorded as applied or rolled back, missing checksums recorded.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "command.h"
#include "exit_codes.h"
#include "logging.h"
#include "migrator/engine.h"

namespace app {

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

}  // namespace

extern const command repair_command{
    "repair", "fix the history after a human fixed the database (dirty versions, missing checksums)",
    "app migrate repair --checksums | app migrate repair VERSION (--mark-applied | --mark-rolled-back) "
    "[--dry-run]",
    "app migrate repair 7002 --mark-rolled-back",
    [](po::options_description& o, po::positional_options_description& p) {
      add_dry_run_option(o, "print what would be recorded; change nothing");
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
      const auto assembled = load_module_set(settings);
      refuse_problems(assembled);
      const migrator::module_set& set = assembled.set;
      const std::string name = application_name_for("migrate repair");
      auto connecting = connect_in_background(settings, name, engine_use::writing, migrator::history_look::none);
      migrator::engine engine = open_engine(settings, set, connecting, name, engine_use::writing);
      const bool dry = dry_run(c);
      if (checksums && dry) {
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
      if (dry) {
        const auto status = engine.status();
        const auto* it = &migrator::dirty_for_repair(status, version);  // refuses as the repair would
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

}  // namespace app
