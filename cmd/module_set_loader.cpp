#include <filesystem>

#include "command.h"
#include "migrator/embedded.h"
#include "migrator/parser.h"
#include "migrator/source.h"

namespace app {

namespace {

std::unique_ptr<migrator::migration_source> chosen_source(const po::variables_map& vm) {
  if (vm.count("modules-dir"))
    return migrator::make_directory_source(std::filesystem::path(vm["modules-dir"].as<std::string>()));
  return migrator::make_embedded_source();
}

}  // namespace

migrator::assembly load_module_set(const po::variables_map& vm) {
  return migrator::assemble(chosen_source(vm)->load(), migrator::process_environment());
}

std::string module_source_name(const po::variables_map& vm) { return chosen_source(vm)->describe(); }

}  // namespace app
