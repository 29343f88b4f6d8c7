// The shape of an `app migrate` subcommand. Each subcommand lives in its own
// file (cmd/<name>_command.cpp) and is listed once in cmd/cli.cpp's table;
// the seven planned runs (up, up-by-one, up-to, down, down-to, redo, reset)
// are a few lines each over run_plan (cmd/run_plan.cpp) and share
// cmd/planned_commands.cpp.
#pragma once

#include <boost/program_options.hpp>
#include <future>
#include <optional>
#include <set>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "migrator/assembler.h"
#include "migrator/engine.h"
#include "migrator/fleet_runner.h"
#include "migrator/source.h"
#include "migrator/startup.h"
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
// By default files are parsed when used (the engine parses what it will run);
// validate-like commands ask for parse_time::now to see every malformed file.
migrator::assembly load_module_set(const app::settings& settings,
                                   migrator::parse_time when = migrator::parse_time::on_use);
// The same set's files, not assembled.
migrator::source_tree load_module_tree(const app::settings& settings);

// The source tree as read (files' text, for lint) and its assembly.
struct module_sources {
  migrator::source_tree tree;
  migrator::assembly assembled;
};
module_sources load_module_sources(const app::settings& settings);

// Lints `sources` with the settings' rule configuration, prints the findings
// (text or JSON) and returns exit_failed when any has severity error.
// `pending`: versions not yet applied on the target (nullopt: not asked).
int lint_and_print(command_context& ctx, const module_sources& sources, bool json,
                   const std::optional<std::set<std::int64_t>>& pending = std::nullopt);

// For messages: the directory given with --modules-dir, or "embedded modules".
std::string module_source_name(const app::settings& settings);

// Throws error(layout) listing the problems of `assembled`, if it has any:
// nothing is read or written with a broken set. `which` tells one of several
// sets apart in the message ("for sqlite"); "" for the command's one set.
void refuse_problems(const migrator::assembly& assembled, const std::string& which = "");

// What pg_stat_activity shows for the command's connections: "app migrate up 1.4.0",
// "app start 1.4.0" (`command` is "migrate up", "start").
std::string application_name_for(const std::string& command);

// What a command does with its engine: `reading` (status, version) opens it
// with migrator::backend_options::reads_only, one round trip less.
enum class engine_use { reading, writing };

// Starts opening the database for a command that will `use` its engine and
// look at the history `first` (migrator::backend_opener: a PostgreSQL
// connection on another thread, asking what the engine asks first, so that the
// server's start-up and answer overlap with loading the module set; a SQLite
// file waits for the set).
std::unique_ptr<migrator::backend_opener> connect_in_background(const app::settings& settings,
                                                                const std::string& application_name,
                                                                engine_use use, migrator::history_look first);

// The engine on the database `connecting` opens (PostgreSQL or SQLite by the DSN).
migrator::engine open_engine(const app::settings& settings, const migrator::module_set& set,
                             std::unique_ptr<migrator::backend_opener>& connecting,
                             const std::string& application_name, engine_use use);

// The engine's options, from the resolved settings.
migrator::engine_options engine_options_from(const app::settings& settings, const std::string& application_name);

// Runs a planned command (up, down, stamp...) with --dry-run and VERSION as the
// context gives them, logging progress; returns the exit code (cmd/run_plan.cpp).
int run_plan(command_context& ctx, migrator::command_kind kind, const char* command_name);
// --dry-run, declared with what the command then does instead; dry_run() tells whether it was given.
void add_dry_run_option(po::options_description& options, const char* instead);
bool dry_run(const command_context& ctx);
// `app start`'s options for migrator::migrate_on_startup, from the resolved settings.
migrator::startup_options startup_options_from(const app::settings& settings);

// Fleet runs (cmd/fleet_command.cpp, docs/fleet.md): the command-line options
// (--target, --shard, --canary, --fail-fast, and --json unless the command has it).
void add_fleet_options(po::options_description& options, bool with_json);
// Whether `option` is one of add_fleet_options's: given without --targets it is refused.
bool is_fleet_only(const po::option_description& option);
// Runs the command over the targets of settings.targets; prints the table or JSON.
// Exit: 0 all ok, exit_partial when some failed or were not started.
int run_fleet(command_context& ctx, migrator::fleet_action action, migrator::plan_request request,
              const std::string& command);
// `validate` of a fleet file: the file and each distinct module set, no database.
int validate_fleet(command_context& ctx);

// Logs each applied or rolled-back migration (with its duration) and lock waits.
using logging_observer = migrator::logging_run_observer;

}  // namespace app
