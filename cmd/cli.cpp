// `app` dispatch: a table of subcommands (ninja-style), global options shared by
// all of them, "did you mean", and the one place that maps errors to exit codes.
#include "cli.h"

#include <algorithm>
#include <iostream>
#include <optional>

#include "command.h"
#include "exit_codes.h"
#include "migrator/error.h"

namespace app {

// Defined in cmd/<name>_command.cpp.
extern const command inspect_command;
extern const command validate_command;
extern const command create_command;
extern const command schemas_command;

namespace {

const command* const migrate_commands[] = {
    &inspect_command,
    &validate_command,
    &create_command,
    &schemas_command,
};

po::options_description global_options() {
  po::options_description global("Global options");
  global.add_options()
      ("modules-dir", po::value<std::string>()->value_name("DIR"),
       "use the modules in DIR (DIR/modules.yaml, DIR/<name>/migrations/*.sql) instead of the embedded set")
      ("help,h", "show help");
  return global;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

const command* find_command(const std::string& name) {
  for (const command* c : migrate_commands)
    if (name == c->name) return c;
  return nullptr;
}

std::optional<std::string> closest_command(const std::string& name) {
  std::optional<std::string> best;
  std::size_t best_distance = 3;  // farther than this is not a typo
  for (const command* c : migrate_commands) {
    std::size_t d = edit_distance(name, c->name);
    if (d < best_distance) best_distance = d, best = c->name;
  }
  return best;
}

void print_migrate_help(std::ostream& out) {
  out << "usage: app migrate <command> [options]\n\ncommands:\n";
  for (const command* c : migrate_commands) {
    out << "  " << c->name << std::string(c->name[0] && std::string(c->name).size() < 12 ? 12 - std::string(c->name).size() : 1, ' ')
        << c->summary << '\n';
  }
  out << '\n' << global_options() << "\nRun 'app migrate <command> --help' for a command's options.\n";
}

int run_migrate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  // The subcommand is the first token that is neither an option nor an option's value.
  auto globals = global_options();
  auto pre = po::command_line_parser(args).options(globals).allow_unregistered().run();
  std::vector<std::string> rest = po::collect_unrecognized(pre.options, po::include_positional);
  auto name_it = std::find_if(rest.begin(), rest.end(), [](const std::string& a) { return a.empty() || a[0] != '-'; });
  if (name_it == rest.end()) {
    print_migrate_help(name_it == rest.end() && args.empty() ? err : out);
    return args.empty() ? exit_usage : exit_ok;
  }
  const std::string name = *name_it;
  const command* cmd = find_command(name);
  if (!cmd) {
    err << "app migrate: unknown command '" << name << "'";
    if (auto guess = closest_command(name)) err << "; did you mean '" << *guess << "'?";
    err << "\nRun 'app migrate --help' for the list of commands.\n";
    return exit_usage;
  }

  std::vector<std::string> own_args = args;
  own_args.erase(std::find(own_args.begin(), own_args.end(), name));
  po::options_description options(std::string(cmd->name) + " options");
  po::positional_options_description positional;
  cmd->add_options(options, positional);
  po::options_description all;
  all.add(options).add(globals);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(own_args).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    err << "app migrate " << cmd->name << ": " << e.what() << "\nusage: " << cmd->usage << '\n';
    return exit_usage;
  }
  if (vm.count("help")) {
    out << "usage: " << cmd->usage << "\n\n" << cmd->summary << "\n\n" << options << '\n' << globals
        << "\nexample:\n  " << cmd->example << '\n';
    return exit_ok;
  }
  command_context ctx{vm, out, err};
  return cmd->run(ctx);
}

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      (args.empty() ? err : out) << "usage: app <command> [options]\n\ncommands:\n"
                                    "  migrate     manage the database schema (app migrate --help)\n";
      return args.empty() ? exit_usage : exit_ok;
    }
    if (args[0] == "--version") {
      out << "app " << APP_VERSION << '\n';
      return exit_ok;
    }
    if (args[0] == "migrate") return run_migrate({args.begin() + 1, args.end()}, out, err);
    err << "app: unknown command '" << args[0] << "'";
    if (edit_distance(args[0], "migrate") <= 2) err << "; did you mean 'migrate'?";
    err << '\n';
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
