// `app migrate create-module NAME [--depends-on a,b]`: appends a module entry to
// modules.yaml (with its depends_on) and creates its empty migrations/ folder.
// The new manifest text goes through the assembler before anything is written,
// so a bad name or dependency is refused with the same message validate gives.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <system_error>

#include "command.h"
#include "exit_codes.h"
#include "migrator/environment.h"
#include "migrator/source.h"

namespace app {

namespace {

namespace fs = std::filesystem;

constexpr const char* default_modules_dir = "modules";

std::vector<std::string> comma_separated(const std::string& text) {
  std::vector<std::string> names;
  std::stringstream in(text);
  std::string name;
  while (std::getline(in, name, ',')) {
    name.erase(0, name.find_first_not_of(" \t"));
    name.erase(name.find_last_not_of(" \t") + 1);
    if (!name.empty()) names.push_back(name);
  }
  return names;
}

// The indentation of the last "- name:" entry, so the new one lines up with it;
// nullopt when the list is not written one entry per block (flow style, empty).
std::optional<std::string> entry_indent(const std::string& manifest) {
  static const std::regex entry(R"(^([ \t]*)- name:)", std::regex::multiline);
  std::optional<std::string> indent;
  for (auto it = std::sregex_iterator(manifest.begin(), manifest.end(), entry); it != std::sregex_iterator(); ++it)
    indent = (*it)[1].str();
  return indent;
}

std::string entry_text(const std::string& indent, const std::string& name, const std::vector<std::string>& depends_on) {
  std::string text = indent + "- name: " + name + "\n";
  if (!depends_on.empty()) {
    text += indent + "  depends_on: [";
    for (std::size_t i = 0; i < depends_on.size(); ++i) text += (i ? ", " : "") + depends_on[i];
    text += "]\n";
  }
  return text;
}

std::set<std::string> problem_texts(const std::vector<migrator::problem>& problems, const std::string& path) {
  std::set<std::string> texts;
  for (const auto& p : problems)
    if (p.path == path) texts.insert(p.str());
  return texts;
}

void add_options(po::options_description& options, po::positional_options_description& positional) {
  // clang-format off
  options.add_options()
      ("name", po::value<std::string>()->value_name("NAME"), "the new module's name (also its folder and schema)")
      ("depends-on", po::value<std::string>()->value_name("A,B"),
       "the modules its migrations will use, comma-separated; each must already be listed");
  // clang-format on
  positional.add("name", 1);
}

int run(command_context& ctx) {
  const auto& vm = ctx.vm;
  if (!vm.count("name")) {
    ctx.err << "app migrate create-module: NAME is required\nusage: app migrate create-module NAME [--depends-on A,B]\n";
    return exit_usage;
  }
  const std::string name = vm["name"].as<std::string>();
  const std::vector<std::string> depends_on =
      vm.count("depends-on") ? comma_separated(vm["depends-on"].as<std::string>()) : std::vector<std::string>{};

  const bool dir_given = ctx.settings.modules_dir.has_value();
  const fs::path dir = dir_given ? fs::path(*ctx.settings.modules_dir) : fs::path(default_modules_dir);
  std::error_code ec;
  if (!fs::is_regular_file(dir / "modules.yaml", ec)) {
    ctx.err << "app migrate create-module: no modules.yaml in " << dir.string()
            << (dir_given ? "" : " (without --modules-dir, it writes into ./modules: run it from the repository root)")
            << '\n';
    return exit_usage;
  }

  const auto tree = migrator::make_directory_source(dir)->load();
  const auto env = migrator::process_environment();
  const auto before = migrator::assemble(tree, env);
  for (const auto& m : before.set.modules)
    if (m.name == name) {
      ctx.err << "app migrate create-module: module '" << name << "' is already listed in " << tree.manifest_path
              << '\n';
      return exit_usage;
    }
  const std::string manifest = tree.manifest_text.value_or("");
  const auto indent = entry_indent(manifest);
  if (!indent) {
    ctx.err << "app migrate create-module: " << tree.manifest_path
            << " lists no module as a '- name: ...' line; append the entry by hand\n";
    return exit_usage;
  }

  // The manifest as it will be, checked by the assembler with the new module's
  // folder in place: only problems the new entry brings refuse it.
  const std::string appended =
      manifest + (manifest.empty() || manifest.back() == '\n' ? "" : "\n") + entry_text(*indent, name, depends_on);
  auto planned = tree;
  planned.manifest_text = appended;
  migrator::source_folder folder;
  folder.name = name;
  folder.has_migrations_dir = true;
  planned.folders.push_back(folder);
  const auto after = migrator::assemble(planned, env);
  const auto old_problems = problem_texts(before.problems, tree.manifest_path);
  bool refused = false;
  for (const auto& p : after.problems)
    if ((p.path == tree.manifest_path || p.path == (dir / name).string()) && !old_problems.count(p.str())) {
      ctx.err << p.str() << '\n';
      refused = true;
    }
  if (refused) {
    ctx.err << "app migrate create-module: nothing was written\n";
    return exit_usage;
  }

  const fs::path migrations = dir / name / "migrations";
  fs::create_directories(migrations, ec);
  if (ec) {
    ctx.err << "app migrate create-module: cannot create " << migrations.string() << ": " << ec.message() << '\n';
    return exit_failed;
  }
  // Written beside it and renamed over it: a failed write leaves the old file whole.
  const fs::path target = dir / "modules.yaml", temporary = dir / ".modules.yaml.new";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << appended;
    if (!out.flush()) {
      ctx.err << "app migrate create-module: cannot write " << temporary.string() << '\n';
      return exit_failed;
    }
  }
  fs::rename(temporary, target, ec);
  if (ec) {
    ctx.err << "app migrate create-module: cannot replace " << target.string() << ": " << ec.message() << '\n';
    fs::remove(temporary, ec);
    return exit_failed;
  }
  const migrator::module_spec& added = after.set.modules.back();
  ctx.out << target.string() << ": module '" << name << "' at position " << added.position << " (versions "
          << added.first_version() << ".." << added.last_version() << ")";
  if (!depends_on.empty()) {
    ctx.out << ", depends_on: [";
    for (std::size_t i = 0; i < depends_on.size(); ++i) ctx.out << (i ? ", " : "") << depends_on[i];
    ctx.out << "]";
  }
  ctx.out << "\n" << migrations.string() << "/\nnext: app migrate create " << name << ' ' << name << "_init"
          << (dir_given ? " --modules-dir " + dir.string() : std::string()) << '\n';
  return exit_ok;
}

}  // namespace

extern const command create_module_command{
    "create-module",
    "append a module to modules.yaml, with its depends_on, and create its migrations folder",
    "app migrate create-module NAME [--depends-on A,B] [--modules-dir DIR]",
    "app migrate create-module payments --depends-on db,billing",
    add_options,
    run,
};

}  // namespace app
