// `app migrate validate`: the build-time checks of tools/embed_migrations, on
// demand and on any directory, so an author sees every problem before a build.
#include <algorithm>

#include "command.h"
#include "migrator/dsn.h"
#include "migrator/environment.h"
#include "migrator/lint.h"
#include "exit_codes.h"

namespace app {

namespace {

void add_options(po::options_description& o, po::positional_options_description&) {
  o.add_options()("lint", po::bool_switch(), "also run `app migrate lint` on the set");
}

// Both backends' sets when the modules keep SQLite migrations (or the DSN is
// SQLite): each must assemble, and they must hold the same versions and names.
int run(command_context& ctx) {
  if (ctx.settings.targets) return validate_fleet(ctx);
  module_sources sources;
  sources.tree = load_module_tree(ctx.settings);
  const std::string source = module_source_name(ctx.settings);
  const auto env = migrator::process_environment();
  sources.assembled = migrator::assemble(sources.tree, env, migrator::parse_time::now, migrator::backend_kind::postgres);
  const auto& postgres = sources.assembled;
  std::vector<migrator::problem> problems = postgres.problems;
  // A migration that names a schema of a module its own does not depend on
  // (or of a later one) works only on a database that already has that schema.
  // The SQLite counterparts are not parsed: lint reads PostgreSQL's grammar.
  for (auto& p : migrator::undeclared_dependencies(postgres.set, sources.tree)) problems.push_back(std::move(p));
  const bool both = migrator::has_sqlite_migrations(sources.tree) ||
                    migrator::backend_of(ctx.settings.dsn) == migrator::backend_kind::sqlite;
  if (both) {
    const auto sqlite = migrator::assemble(sources.tree, env, migrator::parse_time::now, migrator::backend_kind::sqlite);
    // Manifest problems are the same for both: list each once.
    for (const auto& p : sqlite.problems)
      if (std::none_of(problems.begin(), problems.end(), [&](const migrator::problem& q) { return q.str() == p.str(); }))
        problems.push_back(p);
    for (auto& p : migrator::compare_backend_sets(postgres.set, sqlite.set)) problems.push_back(std::move(p));
    // What `up` on SQLite would refuse before creating the file: more module
    // schemas than SQLite attaches to one database.
    const std::string sqlite_dsn = migrator::backend_of(ctx.settings.dsn) == migrator::backend_kind::sqlite
                                       ? ctx.settings.dsn
                                       : "sqlite::memory:";
    try {
      migrator::check_backend(sqlite_dsn, sqlite.set, engine_options_from(ctx.settings, "app migrate validate"));
    } catch (const migrator::error& e) {
      problems.push_back({source, 0, std::string("on SQLite: ") + e.what()});
    }
  }
  for (const auto& p : problems) ctx.err << p.str() << '\n';
  if (!problems.empty()) {
    ctx.err << "validate: " << problems.size() << " problem(s) in " << source << '\n';
    return exit_failed;
  }
  const auto code = std::count_if(postgres.set.migrations.begin(), postgres.set.migrations.end(),
                                  [](const migrator::migration& m) { return m.kind == migrator::migration_kind::code; });
  ctx.out << "ok: " << postgres.set.modules.size() << " modules, " << postgres.set.migrations.size()
          << " migrations";
  if (code) ctx.out << ", " << code << " of them code";
  if (!postgres.set.repeatables.empty()) ctx.out << ", " << postgres.set.repeatables.size() << " repeatable";
  if (!postgres.set.callbacks.empty()) ctx.out << ", " << postgres.set.callbacks.size() << " callback(s)";
  if (both) ctx.out << (code ? "," : "") << " for each of PostgreSQL and SQLite";
  ctx.out << " (" << source << ")\n";
  if (ctx.vm["lint"].as<bool>()) return lint_and_print(ctx, sources, false);
  return exit_ok;
}

}  // namespace

extern const command validate_command{
    "validate",
    "check the module set (manifest, namespaces, every file) without a database",
    "app migrate validate [--lint] [--modules-dir DIR]",
    "app migrate validate --modules-dir modules",
    add_options,
    run,
};

}  // namespace app
