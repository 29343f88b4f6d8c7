// `app migrate equivalence --sqlite-dsn sqlite:FILE`: applies every pending
// migration to the PostgreSQL database (--dsn) and to the SQLite one, then
// compares their logical schemas (migrator/schema_equivalence.h) and prints
// every difference. Exit 0 when there is none, 1 otherwise.
#include <spdlog/spdlog.h>

#include "command.h"
#include "exit_codes.h"
#include "migrator/dsn.h"
#include "migrator/environment.h"
#include "migrator/schema_equivalence.h"

namespace app {

namespace {

void add_options(po::options_description& o, po::positional_options_description&) {
  o.add_options()("sqlite-dsn", po::value<std::string>()->required()->value_name("sqlite:FILE"),
                  "the SQLite database to compare with the PostgreSQL one (--dsn)");
}

migrator::module_set assembled(const migrator::source_tree& tree, migrator::backend_kind backend) {
  auto a = migrator::assemble(tree, migrator::process_environment(), migrator::parse_time::now, backend);
  refuse_problems(a, std::string("for ") + migrator::to_string(backend));
  return std::move(a.set);
}

// Brings one database up to date the way every command migrates it (the
// engine on open_backend's seams) and reads its schema on the same session.
migrator::logical_schema migrated_schema(const std::string& dsn, const migrator::module_set& set,
                                         const migrator::engine_options& options) {
  std::vector<std::string> schemas;
  for (const auto& m : set.modules) schemas.push_back(m.schema);
  logging_observer observer;
  auto report_of = [](migrator::backend_kind kind, const migrator::run_report& report) {
    spdlog::info("{}: {} migration(s) applied; at version {}", migrator::to_string(kind), report.steps.size(),
                 report.current_version);
  };
  const auto kind = migrator::backend_of(dsn);
  auto seams = migrator::open_backend(dsn, set, options);
  migrator::session& db = *seams.db;
  migrator::engine engine(std::move(seams), set, options);
  report_of(kind, engine.run({migrator::command_kind::up, 0}, &observer));
  return kind == migrator::backend_kind::sqlite ? migrator::read_sqlite_schema(db, schemas, options.table)
                                                : migrator::read_postgres_schema(db, schemas, options.table);
}

int run(command_context& ctx) {
  const std::string sqlite_dsn = ctx.vm["sqlite-dsn"].as<std::string>();
  if (migrator::backend_of(sqlite_dsn) != migrator::backend_kind::sqlite)
    throw migrator::error(migrator::error_code::usage, "--sqlite-dsn takes a SQLite DSN (sqlite:FILE)");
  if (migrator::backend_of(ctx.settings.dsn) != migrator::backend_kind::postgres)
    throw migrator::error(migrator::error_code::usage, "--dsn must name the PostgreSQL database to compare");
  const auto tree = load_module_tree(ctx.settings);
  const auto postgres_set = assembled(tree, migrator::backend_kind::postgres);
  const auto sqlite_set = assembled(tree, migrator::backend_kind::sqlite);
  const auto options = engine_options_from(ctx.settings, application_name_for("migrate equivalence"));
  const auto postgres = migrated_schema(ctx.settings.dsn, postgres_set, options);
  const auto sqlite = migrated_schema(sqlite_dsn, sqlite_set, options);
  const auto result = migrator::compare_schemas(postgres, sqlite);

  for (const auto& d : result.differences) ctx.out << "difference: " << d << '\n';
  for (const auto& f : result.cross_module_foreign_keys)
    ctx.out << "not on SQLite (crosses modules): " << f << '\n';
  ctx.out << (result.equivalent() ? "equivalent" : "NOT equivalent") << ": " << postgres.tables.size()
          << " tables on PostgreSQL, " << sqlite.tables.size() << " on SQLite; " << result.differences.size()
          << " difference(s); " << result.cross_module_foreign_keys.size()
          << " cross-module foreign key(s) SQLite cannot declare\n";
  return result.equivalent() ? exit_ok : exit_failed;
}

}  // namespace

extern const command equivalence_command{
    "equivalence",
    "apply both backends' migrations and compare their schemas (tables, columns, keys, indexes)",
    "app migrate equivalence --dsn POSTGRES_DSN --sqlite-dsn sqlite:FILE",
    "app migrate equivalence --dsn postgresql://app@db/scratch --sqlite-dsn sqlite:/tmp/scratch.db",
    add_options,
    run,
};

}  // namespace app
