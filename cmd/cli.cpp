// `app` dispatch: a table of subcommands (ninja-style), global options shared by
// all of them, "did you mean", and the one place that maps errors to exit codes.
#include "cli.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <optional>

#include "command.h"
#include "exit_codes.h"
#include "logging.h"
#include "migrator/dsn.h"
#include "migrator/error.h"
#include "migrator/suggest.h"
#include "settings_options.h"

namespace app {

// Defined in cmd/<name>_command.cpp and cmd/planned_commands.cpp.
extern const command start_command;
extern const command inspect_command;
extern const command validate_command;
extern const command create_command;
extern const command create_module_command;
extern const command schemas_command;
extern const command stamp_command;
extern const command squash_command;
extern const command lint_command;
extern const command verify_command;
extern const command dump_command;
extern const command equivalence_command;
extern const command up_command;
extern const command up_by_one_command;
extern const command up_to_command;
extern const command down_command;
extern const command down_to_command;
extern const command redo_command;
extern const command reset_command;
extern const command status_command;
extern const command version_command;
extern const command repair_command;
extern const command builds_command;

namespace {

const std::vector<const command*>& migrate_commands() {
  static const std::vector<const command*> table = [] {
    std::vector<const command*> t = {&up_command,      &up_by_one_command, &up_to_command, &down_command,
                                     &down_to_command, &redo_command,      &reset_command, &status_command,
                                     &version_command, &repair_command,    &builds_command};
    t.insert(t.end(), {&validate_command, &inspect_command, &create_command, &create_module_command,
                       &schemas_command});
    t.insert(t.end(), {&stamp_command, &squash_command});
    t.insert(t.end(), {&lint_command, &verify_command, &dump_command, &equivalence_command});
    return t;
  }();
  return table;
}

po::options_description global_options() {
  po::options_description global("Global options");
  add_settings_options(global);
  global.add_options()("help,h", "show help");
  return global;
}

void print_command_list(std::ostream& out) {
  // The summaries start in one column, two spaces after the longest name.
  std::size_t width = 0;
  for (const command* c : migrate_commands()) width = std::max(width, std::string(c->name).size() + 2);
  for (const command* c : migrate_commands())
    out << "  " << std::left << std::setw(static_cast<int>(width)) << c->name << c->summary << '\n';
}

void print_top_help(std::ostream& out) {
  out << "usage: app <command> [options]\n\n"
         "commands:\n"
         "  start       start the application: wait for the database, migrate, check, serve\n"
         "  migrate     manage the database schema (app migrate --help)\n\n"
         "  --version   print the version\n\n"
         "example:\n  app start --once\n  app migrate status\n";
}

void print_migrate_help(std::ostream& out) {
  out << "usage: app migrate <command> [options]\n\ncommands:\n";
  print_command_list(out);
  out << '\n'
      << global_options()
      << "\nexample:\n  app migrate up --dsn postgresql://app@localhost/app\n"
         "\nOptions may come before or after the command's name. Run 'app migrate help <command>'\n"
         "(or 'app migrate <command> --help') for a command's options.\n";
}

// The positional argument `option` stands for ("version" for up-to's VERSION), if any.
bool is_positional(const po::positional_options_description& positional, const std::string& option) {
  const unsigned count = std::min(positional.max_total_count(), 16u);
  for (unsigned i = 0; i < count; ++i)
    if (positional.name_for_position(i) == option) return true;
  return false;
}

// "VERSION, the version to migrate to": how errors name a positional argument.
std::string positional_name(const po::options_description& options, const std::string& option) {
  const po::option_description& d = options.find(option, false);
  return d.format_parameter() + ", " + d.description();
}

// Every option of every command and the settings, once each: finding the
// command's name among the arguments needs to know which options take a value.
const po::options_description& every_option() {
  static const po::options_description all = [] {
    po::options_description union_of_all;
    auto add_new = [&](const po::options_description& options) {
      for (const auto& option : options.options()) {
        const po::option_description* seen = union_of_all.find_nothrow(option->long_name(), false);
        if (!seen) {
          union_of_all.add(option);
        } else if (seen->semantic()->max_tokens() != option->semantic()->max_tokens()) {
          // The same option must take a value everywhere or nowhere, or the
          // command's name could not be found before knowing the command.
          throw std::logic_error("option --" + option->long_name() +
                                 " takes a value in one command and not in another");
        }
      }
    };
    add_new(global_options());
    for (const command* c : migrate_commands()) {
      po::options_description options;
      po::positional_options_description positional;
      c->add_options(options, positional);
      add_new(options);
    }
    return union_of_all;
  }();
  return all;
}

// "an option of repair" for an option some other command has, "" for none.
std::string whose_option(const std::string& option) {
  std::string owners;
  for (const command* c : migrate_commands()) {
    po::options_description options;
    po::positional_options_description positional;
    c->add_options(options, positional);
    if (options.find_nothrow(option, false)) owners += (owners.empty() ? "" : ", ") + std::string(c->name);
  }
  return owners.empty() ? "" : " (an option of " + owners + ")";
}

// The usage error for a command line `cmd` cannot take, naming what is wrong:
// a positional argument by its name (up-to's VERSION, not "--version", which
// is also the top-level flag), an option of another command as such.
std::string usage_problem(const command& cmd, const po::options_description& options,
                          const po::positional_options_description& positional, po::error& e) {
  const std::string name = cmd.name;
  if (auto* unknown = dynamic_cast<po::unknown_option*>(&e)) {
    std::string option = unknown->get_option_name();
    const std::string bare = option.substr(option.find_first_not_of('-'));
    return name + " has no option " + option + whose_option(bare);
  }
  if (dynamic_cast<po::too_many_positional_options_error*>(&e)) {
    const unsigned count = positional.max_total_count();
    return name + " takes " + (count == 0 ? "no argument" : std::to_string(count) + " argument(s)") +
           " besides options (usage below)";
  }
  auto* about_option = dynamic_cast<po::error_with_option_name*>(&e);
  if (!about_option) return name + ": " + e.what();
  std::string option = about_option->get_option_name();
  option = option.substr(std::min(option.find_first_not_of('-'), option.size()));
  if (!is_positional(positional, option)) return name + ": " + e.what();
  if (dynamic_cast<po::required_option*>(&e)) return name + " needs " + positional_name(options, option);
  // "the argument ('x') for option 'VERSION' is invalid"
  about_option->set_prefix(0);
  about_option->set_option_name(options.find(option, false).format_parameter());
  return name + ": " + e.what();
}

// Fleet-only options given without a fleet: they would change nothing, so they are refused.
void refuse_fleet_only_options(const command& cmd, const po::options_description& options,
                               const po::variables_map& vm, const app::settings& settings) {
  if (settings.targets) return;
  for (const auto& option : options.options()) {
    const std::string& name = option->long_name();
    if (is_fleet_only(*option) && vm.count(name) && !vm[name].defaulted())
      throw migrator::error(migrator::error_code::usage,
                            "--" + name + " applies only with --targets FILE (a fleet run, docs/fleet.md); " +
                                cmd.name + " of one database takes no --" + name);
  }
}

void print_command_help(const command& cmd, std::ostream& out) {
  po::options_description options(std::string(cmd.name) + " options");
  po::positional_options_description positional;
  cmd.add_options(options, positional);
  out << "usage: " << cmd.usage << "\n\n"
      << cmd.summary << "\n\n"
      << options << '\n'
      << global_options() << "\nOptions may come before or after the command's name.\nexample:\n  "
      << cmd.example << '\n';
}

// Parses `args` (the command's name removed) with the command's and the global options.
int run_command(const command& cmd, const std::string& prefix, const std::vector<std::string>& args,
                std::ostream& out, std::ostream& err) {
  po::options_description options(std::string(cmd.name) + " options");
  po::positional_options_description positional;
  cmd.add_options(options, positional);
  auto globals = global_options();
  po::options_description all;
  all.add(options).add(globals);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    if (vm.count("help")) {
      print_command_help(cmd, out);
      return exit_ok;
    }
    po::notify(vm);
  } catch (po::error& e) {
    err << prefix << usage_problem(cmd, options, positional, e) << "\nusage: " << cmd.usage << '\n';
    return exit_usage;
  }
  app::settings settings;
  try {
    settings = settings_from(vm);
    setup_logging(settings.log_level, settings.log_format, settings.dsn, &err == &std::cerr ? nullptr : &err);
    refuse_fleet_only_options(cmd, options, vm, settings);
  } catch (const migrator::error& e) {
    err << prefix << cmd.name << ": " << e.what() << '\n';
    return exit_code_for(e.code());
  }
  log_event(spdlog::level::debug, "database",
            {{"dsn", migrator::redact_dsn(settings.dsn)}, {"source", settings.dsn_source}},
            "database {} (from {})", migrator::redact_dsn(settings.dsn), settings.dsn_source);
  command_context ctx{vm, settings, out, err};
  try {
    return cmd.run(ctx);
  } catch (const migrator::error& e) {
    // The last line of defence: no message leaves with the DSN's password in it.
    const int code = exit_code_for(e.code());
    if (settings.log_format == log_format::json &&
        spdlog::default_logger_raw()->should_log(spdlog::level::err)) {
      // A program reading the JSON stream gets the failure as one more line of it
      // (the sink redacts it as every line).
      log_event(spdlog::level::err, "error", {{"exit_code", code}}, "{}", e.what());
    } else {
      err << "error: " << migrator::redact_secrets(e.what(), settings.dsn) << '\n';
    }
    return code;
  }
}

// Index in the command line of the first token that the global options did not
// take, as an option or as an option's value, and that is not itself an option.
std::optional<std::size_t> subcommand_index(const std::vector<std::string>& args,
                                            const po::parsed_options& parsed) {
  std::size_t index = 0;  // of the option's first token in `args`
  for (const auto& option : parsed.options) {
    const bool ours = !option.unregistered && option.position_key < 0;
    for (std::size_t k = 0; k < option.original_tokens.size(); ++k) {
      const std::string& token = option.original_tokens[k];
      if (ours || (!token.empty() && token[0] == '-')) continue;
      // Tokens the parser drops (a "--" separator) only move it further right.
      for (std::size_t i = index + k; i < args.size(); ++i)
        if (args[i] == token) return i;
      return std::nullopt;
    }
    index += option.original_tokens.size();
  }
  return std::nullopt;
}

const command* find_command(const std::string& name, std::ostream& err) {
  auto cmd = std::find_if(migrate_commands().begin(), migrate_commands().end(),
                          [&](const command* c) { return name == c->name; });
  if (cmd != migrate_commands().end()) return *cmd;
  std::vector<std::string> names;
  for (const command* c : migrate_commands()) names.push_back(c->name);
  err << "app migrate: unknown command '" << name << "'";
  if (auto guess = migrator::closest_match(name, names)) err << "; did you mean '" << *guess << "'?";
  err << "\nRun 'app migrate --help' for the list of commands.\n";
  return nullptr;
}

// `app migrate help [COMMAND]`: the list of commands, or one command's help.
int run_help(const std::vector<std::string>& after_help, std::ostream& out, std::ostream& err) {
  auto topic = std::find_if(after_help.begin(), after_help.end(),
                            [](const std::string& a) { return !a.empty() && a[0] != '-'; });
  if (topic == after_help.end()) {
    print_migrate_help(out);
    return exit_ok;
  }
  const command* cmd = find_command(*topic, err);
  if (!cmd) return exit_usage;
  print_command_help(*cmd, out);
  return exit_ok;
}

int run_migrate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  // The subcommand is the first token that is neither an option nor an option's
  // value; every command's options count, so that any may come before the name.
  std::optional<std::size_t> name_index;
  try {
    // The usual form names the command first. A first token that is not an
    // option is no option's value, so it is the name: every start need not
    // build every command's options to find it.
    if (!args.empty() && !args[0].empty() && args[0][0] != '-') {
      name_index = 0;
    } else {
      auto pre = po::command_line_parser(args).options(every_option()).allow_unregistered().run();
      name_index = subcommand_index(args, pre);
    }
  } catch (const po::error& e) {
    err << "app migrate: " << e.what() << "\nusage: app migrate <command> [options]\n";
    return exit_usage;
  }
  if (!name_index) {
    const bool asked = std::find_if(args.begin(), args.end(), [](const std::string& a) {
                         return a == "--help" || a == "-h";
                       }) != args.end();
    print_migrate_help(asked ? out : err);
    return asked ? exit_ok : exit_usage;
  }
  const std::string name = args[*name_index];
  if (name == "help")
    return run_help({args.begin() + static_cast<std::ptrdiff_t>(*name_index) + 1, args.end()}, out, err);
  const command* cmd = find_command(name, err);
  if (!cmd) return exit_usage;
  // Removed by position: the same word may come earlier as an option's value
  // ("--table status status").
  std::vector<std::string> own_args = args;
  own_args.erase(own_args.begin() + static_cast<std::ptrdiff_t>(*name_index));
  return run_command(*cmd, "app migrate ", own_args, out, err);
}

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  // Until a command's settings are known: info level, text, into `err`.
  setup_logging(migrator::log_level::info, log_format::text, "", &err == &std::cerr ? nullptr : &err);
  try {
    if (args.empty()) {
      print_top_help(err);
      return exit_usage;
    }
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      print_top_help(out);
      return exit_ok;
    }
    if (args[0] == "--version") {
      out << "app " << APP_VERSION << '\n';
      return exit_ok;
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "migrate") return run_migrate(rest, out, err);
    if (args[0] == "start") return run_command(start_command, "app ", rest, out, err);
    err << "app: unknown command '" << args[0] << "'";
    if (auto guess = migrator::closest_match(args[0], {"start", "migrate"}))
      err << "; did you mean '" << *guess << "'?";
    err << "\nRun 'app --help' for the list of commands.\n";
    return exit_usage;
  } catch (const migrator::error& e) {
    err << "error: " << e.what() << '\n';
    return exit_code_for(e.code());
  } catch (const std::exception& e) {
    err << "error: " << e.what() << '\n';
    return exit_failed;
  }
}

}  // namespace app
