#include <filesystem>

#include "command.h"
#include "migrator/embedded.h"
#include "migrator/parser.h"
#include "migrator/source.h"

namespace app {

namespace {

std::unique_ptr<migrator::migration_source> chosen_source(const migrator::settings& settings) {
  if (settings.modules_dir) return migrator::make_directory_source(std::filesystem::path(*settings.modules_dir));
  return migrator::make_embedded_source();
}

}  // namespace

migrator::assembly load_module_set(const migrator::settings& settings, migrator::parse_time when) {
  return migrator::assemble(chosen_source(settings)->load(), migrator::process_environment(), when);
}

std::string module_source_name(const migrator::settings& settings) { return chosen_source(settings)->describe(); }

}  // namespace app
