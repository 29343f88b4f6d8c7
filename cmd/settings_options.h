// The global flags that configure the app, declared from setting_table()
// (settings.h), and their resolution against the real environment and disk.
#pragma once

#include <boost/program_options.hpp>

#include "settings.h"

namespace app {

namespace po = boost::program_options;

// Declares one flag per setting of setting_table(). None has a program_options
// default (a given flag must be told from an absent one); the help texts state
// the environment variable and the default, and never a DSN.
void add_settings_options(po::options_description& options);

// The setting flags that `vm` holds (options that were not declared count as not given).
settings_flags settings_flags_from(const po::variables_map& vm);

// resolve_settings with the flags of `vm`, the process environment and files
// relative to the current directory. Throws migrator::error(config).
settings settings_from(const po::variables_map& vm);

// Reads files relative to the current directory: nullopt when absent; throws
// migrator::error(config) for a directory or an unreadable file.
file_lookup disk_files();

}  // namespace app
