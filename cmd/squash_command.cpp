// `app migrate squash MODULE --through VERSION`: writes the module's baseline
// after checking, on two scratch databases, that it builds the same catalog as
// the history it replaces (core: squash.h). The replaced files stay for the
// author to delete.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "command.h"
#include "exit_codes.h"
#include "migrator/baseline.h"
#include "migrator/dsn.h"
#include "migrator/schema_dump.h"
#include "migrator/source.h"
#include "migrator/squash.h"
#include "migrator/verify.h"

namespace app {

namespace {

void add_options(po::options_description& o, po::positional_options_description& p) {
  o.add_options()("module", po::value<std::string>()->required()->value_name("MODULE"), "the module to squash")(
      "through", po::value<std::int64_t>()->required()->value_name("VERSION"),
      "the module's last migration to replace; the baseline takes VERSION+1")(
      "scratch-dsn", po::value<std::string>()->value_name("DSN"),
      "build the history on this empty database (default: a temporary one on the server of --dsn); the "
      "baseline's database is always temporary, on the same server")(
      "dry-run", po::bool_switch(), "check parity and print the baseline; write nothing")(
      "pg-dump", po::value<std::string>()->default_value("pg_dump")->value_name("PATH"),
      "the pg_dump program (of the server's major version or newer)");
  p.add("module", 1);
}

int run(command_context& ctx) {
  const auto& settings = ctx.settings;
  if (!settings.modules_dir)
    throw migrator::error(migrator::error_code::usage,
                          "squash writes a file into the module set: give it with --modules-dir DIR");
  const std::string module = ctx.vm["module"].as<std::string>();
  const std::int64_t through = ctx.vm["through"].as<std::int64_t>();
  const auto tree = migrator::make_directory_source(std::filesystem::path(*settings.modules_dir))->load();
  const auto env = migrator::process_environment();
  const auto plan = migrator::plan_squash(tree, env, module, through);
  const std::string pg_dump = ctx.vm["pg-dump"].as<std::string>();
  migrator::require_pg_dump_for_server(settings.dsn, pg_dump);

  std::optional<migrator::scratch_database> history_db;
  std::string history_dsn;
  if (ctx.vm.count("scratch-dsn")) {
    history_dsn = migrator::normalize_dsn(ctx.vm["scratch-dsn"].as<std::string>());
  } else {
    history_db.emplace(settings.dsn);
    history_dsn = history_db->dsn();
  }
  migrator::scratch_database baseline_db(history_dsn);
  spdlog::info("squash {} through {}: building the history and the baseline on scratch databases", module, through);
  const auto result = migrator::squash(plan, env, history_dsn, baseline_db.dsn(), engine_options_from(settings, application_name_for("migrate squash")), pg_dump);
  if (!result.parity()) {
    ctx.err << "squash " << module << " --through " << through
            << ": the baseline does not build the same catalog as the history it replaces; nothing was written. "
               "What differs (history -> baseline):\n";
    for (const auto& d : result.differences) ctx.err << "  " << d.str() << '\n';
    ctx.err << "Objects outside schema " << plan.module.schema
            << " (extensions, other schemas) are not in its dump: add them to the baseline by hand.\n";
    return exit_failed;
  }
  spdlog::info("parity: the catalogs built from the history and from the baseline have equal fingerprints ({} "
               "objects)",
               result.from_history.objects.size());
  if (ctx.vm["dry-run"].as<bool>()) {
    ctx.out << result.text;
    return exit_ok;
  }
  {
    std::ofstream file(plan.path, std::ios::binary | std::ios::trunc);
    file << result.text;
    if (!file.flush())
      throw migrator::error(migrator::error_code::io, "cannot write " + plan.path);
  }
  ctx.out << "wrote " << plan.path << " (baseline " << plan.baseline_version << ", replaces "
          << migrator::format_versions(plan.replaces) << ")\n"
          << "delete the files it replaces in the same commit:\n";
  for (const auto& path : plan.replaced_paths) ctx.out << "  git rm " << path << '\n';
  return exit_ok;
}

}  // namespace

extern const command squash_command{
    "squash",
    "write a module's baseline (its whole schema as of VERSION) after checking it builds the same catalog",
    "app migrate squash MODULE --through VERSION [--scratch-dsn DSN] [--dry-run] [--pg-dump PATH]",
    "app migrate squash identity --through 2002 --modules-dir modules",
    add_options,
    run,
};

}  // namespace app
