// `app migrate validate`: the build-time checks of tools/embed_migrations, on
// demand and on any directory, so an author sees every problem before a build.
#include "command.h"
#include "exit_codes.h"

namespace app {

namespace {

void add_options(po::options_description& o, po::positional_options_description&) {
  o.add_options()("lint", po::bool_switch(), "also run `app migrate lint` on the set");
}

int run(command_context& ctx) {
  if (ctx.settings.targets) return validate_fleet(ctx);
  const auto sources = load_module_sources(ctx.settings);
  const auto& assembled = sources.assembled;
  const std::string source = module_source_name(ctx.settings);
  for (const auto& p : assembled.problems) ctx.err << p.str() << '\n';
  if (!assembled.ok()) {
    ctx.err << "validate: " << assembled.problems.size() << " problem(s) in " << source << '\n';
    return exit_failed;
  }
  ctx.out << "ok: " << assembled.set.modules.size() << " modules, " << assembled.set.migrations.size()
          << " migrations (" << source << ")\n";
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
