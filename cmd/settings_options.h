// The global flags that configure the app (--dsn, --config, timeouts, logging)
// and their resolution against the real environment and disk. The rules live in
// migrator/settings.h; docs/configuration.md lists every key.
#pragma once

#include <boost/program_options.hpp>

#include "migrator/settings.h"

namespace app {

namespace po = boost::program_options;

// Declares --dsn, --config, --modules-dir, --table, --lock-timeout,
// --statement-timeout, --db-lock-timeout, --wait-timeout, --no-migrate,
// --app-role, --log-level, --log-format, --allow-drift and --on-unknown. None has a
// program_options default (a given flag must be told from an absent one); the
// help texts state the defaults, and never a DSN.
void add_settings_options(po::options_description& options);

// The flags that `vm` holds (options that were not declared count as not given).
migrator::settings_flags settings_flags_from(const po::variables_map& vm);

// resolve_settings with the flags of `vm`, the process environment and files
// relative to the current directory. Throws migrator::error(config).
migrator::settings settings_from(const po::variables_map& vm);


// Reads files relative to the current directory: nullopt when absent; throws
// migrator::error(config) for a directory or an unreadable file.
migrator::file_lookup disk_files();

}  // namespace app
