// The shape of an `app migrate` subcommand. Each subcommand lives in its own
// file (cmd/<name>_command.cpp) and is listed once in cmd/cli.cpp's table.
#pragma once

#include <boost/program_options.hpp>
#include <future>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "migrator/assembler.h"
#include "migrator/engine.h"
#include "settings.h"

namespace app {

namespace po = boost::program_options;

struct command_context {
  const po::variables_map& vm;  // global options + the subcommand's own
  const app::settings& settings;  // flags > environment > config file > defaults
  std::ostream& out;            // data (status, inspect): stdout
  std::ostream& err;            // messages: stderr
};

struct command {
  const char* name;
  const char* summary;
  const char* usage;    // e.g. "app migrate inspect FILE [--json]"
  const char* example;  // one example invocation shown by --help
  void (*add_options)(po::options_description& options, po::positional_options_description& positional);
  int (*run)(command_context& ctx);
};

// The module set chosen by --modules-dir (a directory) or, without it, the
// embedded one; assembled for the DSN's backend (migrations/sqlite/ for a
// SQLite DSN), with its problems (callers decide whether to refuse).
migrator::assembly load_module_set(const app::settings& settings);
// The same set's files, not assembled.
migrator::source_tree load_module_tree(const app::settings& settings);

// For messages: the directory given with --modules-dir, or "embedded modules".
std::string module_source_name(const app::settings& settings);

// Opens the migration connection on another thread, so that the server's
// connection start-up overlaps with loading the module set. For a SQLite DSN
// it opens nothing (the future holds nullptr): open_engine opens the file.
std::future<std::unique_ptr<migrator::connection>> connect_in_background(const std::string& dsn);

// The engine on the DSN's backend: PostgreSQL on the connection `connecting`
// opens, SQLite on the file with the set's module schemas attached.
migrator::engine open_engine(const app::settings& settings, const migrator::module_set& set,
                             std::future<std::unique_ptr<migrator::connection>>& connecting);

// The engine's options, from the resolved settings.
migrator::engine_options engine_options_from(const app::settings& settings);

// Logs each applied or rolled-back migration (with its duration) and lock waits.
class logging_observer : public migrator::run_observer {
 public:
  void waiting_for_lock() override;
  void step_finished(const migrator::step_result& result) override;
};

}  // namespace app
