// INTERIM (replaced by branch `config`).
#include "settings_options.h"

#include <cstdlib>
#include <fstream>

namespace app {

namespace po = boost::program_options;

void add_settings_options(po::options_description& options) {
  options.add_options()
      ("dsn", po::value<std::string>()->value_name("DSN"), "database to migrate")
      ("modules-dir", po::value<std::string>()->value_name("DIR"), "use the modules in DIR")
      ("table", po::value<std::string>()->value_name("NAME"), "version table (default goose_db_version)")
      ("lock-timeout", po::value<long>()->value_name("MS"), "lock wait")
      ("allow-drift", po::bool_switch(), "apply despite drift");
}

migrator::settings settings_from(const po::variables_map& vm) {
  migrator::settings s;
  if (vm.count("dsn")) s.dsn = vm["dsn"].as<std::string>();
  else if (const char* e = std::getenv("MIGRATE_DSN")) s.dsn = e;
  else if (const char* e = std::getenv("DATABASE_URL")) s.dsn = e;
  else if (std::ifstream f(".local/db/dsn"); f) std::getline(f, s.dsn);
  if (vm.count("modules-dir")) s.modules_dir = vm["modules-dir"].as<std::string>();
  if (vm.count("table")) s.table = vm["table"].as<std::string>();
  if (vm.count("lock-timeout")) s.lock_timeout = std::chrono::milliseconds(vm["lock-timeout"].as<long>());
  s.allow_drift = vm.count("allow-drift") && vm["allow-drift"].as<bool>();
  return s;
}

}  // namespace app
