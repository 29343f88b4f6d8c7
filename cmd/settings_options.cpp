#include "settings_options.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "migrator/error.h"

namespace app {

void add_settings_options(po::options_description& options) {
  const settings defaults;
  for (const setting_spec& spec : setting_table()) {
    if (spec.flag.empty()) continue;  // only in the configuration file
    // Defaults come from `defaults`, so the help cannot drift from the code.
    std::string help = std::string(spec.help) + " (";
    if (!spec.env.empty()) help += "env " + std::string(spec.env) + "; ";
    help += "default: " + spec.show(defaults) + ")";
    const std::string flag(spec.flag);
    if (spec.value_name.empty()) {
      options.add_options()(flag.c_str(), help.c_str());
    } else {
      options.add_options()(flag.c_str(), po::value<std::string>()->value_name(std::string(spec.value_name)),
                            help.c_str());
    }
  }
}

settings_flags settings_flags_from(const po::variables_map& vm) {
  settings_flags flags;
  for (const setting_spec& spec : setting_table()) {
    const std::string flag(spec.flag);
    if (flag.empty() || !vm.count(flag)) continue;
    flags[flag] = spec.value_name.empty() ? std::string() : vm[flag].as<std::string>();
  }
  return flags;
}

file_lookup disk_files() {
  return [](const std::string& path) -> std::optional<std::string> {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::file_status status = fs::status(path, ec);
    if (status.type() == fs::file_type::not_found) return std::nullopt;
    if (fs::is_directory(status))
      throw migrator::error(migrator::error_code::config, path + ": is a directory, not a file");
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    if (!in || in.bad())
      throw migrator::error(migrator::error_code::config, path + ": cannot read: " + std::strerror(errno));
    return text.str();
  };
}

settings settings_from(const po::variables_map& vm) {
  return resolve_settings(settings_flags_from(vm), migrator::process_environment(), disk_files());
}

}  // namespace app
