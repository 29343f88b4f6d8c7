#include <filesystem>

#include "command.h"
#include "migrator/embedded.h"
#include "migrator/parser.h"
#include "migrator/source.h"

namespace app {

namespace {

std::unique_ptr<migrator::migration_source> chosen_source(const app::settings& settings) {
  if (settings.modules_dir) return migrator::make_directory_source(std::filesystem::path(*settings.modules_dir));
  return migrator::make_embedded_source();
}

}  // namespace

migrator::assembly load_module_set(const app::settings& settings, migrator::parse_time when) {
  return migrator::assemble(chosen_source(settings)->load(), migrator::process_environment(), when);
}

module_sources load_module_sources(const app::settings& settings) {
  module_sources sources;
  sources.tree = chosen_source(settings)->load();
  sources.assembled = migrator::assemble(sources.tree, migrator::process_environment(), migrator::parse_time::now);
  return sources;
}

std::string module_source_name(const app::settings& settings) { return chosen_source(settings)->describe(); }

}  // namespace app
