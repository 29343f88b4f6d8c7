#include <filesystem>

#include "command.h"
#include "migrator/dsn.h"
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

migrator::source_tree load_module_tree(const app::settings& settings) { return chosen_source(settings)->load(); }

migrator::assembly load_module_set(const app::settings& settings) {
  return migrator::assemble(chosen_source(settings)->load(), migrator::process_environment(),
                            migrator::backend_of(settings.dsn));
}

std::string module_source_name(const app::settings& settings) { return chosen_source(settings)->describe(); }

}  // namespace app
