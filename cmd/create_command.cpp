// `app migrate create MODULE TITLE`: writes the module's next migration file.
// It writes into a source tree, never into the embedded set: into --modules-dir,
// or without it into ./modules (run it from the repository root).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "command.h"
#include "exit_codes.h"
#include "migrator/code_source.h"
#include "migrator/parser.h"
#include "migrator/source.h"

namespace app {

namespace {

namespace fs = std::filesystem;

constexpr const char* default_modules_dir = "modules";

bool valid_title(const std::string& title) {
  if (title.empty()) return false;
  for (char c : title)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

// Five digits like the existing files (02001_...), more only past position 99.
std::string padded(std::int64_t version) {
  std::string digits = std::to_string(version);
  return std::string(digits.size() < 5 ? 5 - digits.size() : 0, '0') + digits;
}

std::string file_text(const migrator::module_spec& module, const std::string& version,
                      const std::string& title, bool contract) {
  return "-- " + module.name + " " + version + ": " + title + "\n" +
         "-- Qualify every name with the schema (" + module.schema +
         ".<table>): migrations run without a search_path.\n"
         "-- Down must undo exactly what Up does. See docs/module-authors.md.\n" +
         (contract ? "-- A contract migration: it removes what older builds still use, so up applies it only\n"
                     "-- once none of them runs (docs/rolling-deploys.md).\n"
                     "-- +migrator contract\n"
                   : "") +
         "\n"
         "-- +goose Up\n"
         "-- +goose StatementBegin\n"
         "SELECT 'write the change here';\n"
         "-- +goose StatementEnd\n"
         "\n"
         "-- +goose Down\n"
         "-- +goose StatementBegin\n"
         "SELECT 'undo the change here';\n"
         "-- +goose StatementEnd\n";
}

// The highest version among the module's files that lie in its namespace; files
// outside it are validate's business and must not push the next version out too.
std::int64_t highest_version(const migrator::source_tree& tree, const migrator::module_spec& module) {
  std::int64_t highest = module.first_version() - 1;
  for (const auto& folder : tree.folders) {
    if (folder.name != module.name) continue;
    for (const auto& file : folder.files) {
      if (migrator::file_role(file.path) != migrator::migration_role::versioned) continue;
      // Code migrations (.cpp) share the module's sequence.
      const std::string name = fs::path(file.path).filename().string();
      auto parts = migrator::parse_file_name(name);
      if (!parts) parts = migrator::parse_code_file_name(name);
      if (!parts || !parts->version) continue;
      const std::int64_t v = *parts->version;
      if (v >= module.first_version() && v <= module.last_version() && v > highest) highest = v;
    }
  }
  return highest;
}

void add_options(po::options_description& options, po::positional_options_description& positional) {
  // clang-format off
  options.add_options()
      ("module", po::value<std::string>()->value_name("MODULE"), "the module, as named in modules.yaml")
      ("title", po::value<std::string>()->value_name("TITLE"), "what the migration does: [a-z0-9_]+")
      ("contract", po::bool_switch(),
       "a contract migration: it drops or renames what older builds still use, and waits for them "
       "(docs/rolling-deploys.md)");
  // clang-format on
  positional.add("module", 1).add("title", 1);
}

int run(command_context& ctx) {
  const auto& vm = ctx.vm;
  if (!vm.count("module") || !vm.count("title")) {
    ctx.err << "app migrate create: MODULE and TITLE are required\nusage: app migrate create MODULE TITLE\n";
    return exit_usage;
  }
  const std::string module_name = vm["module"].as<std::string>();
  const std::string title = vm["title"].as<std::string>();
  if (!valid_title(title)) {
    ctx.err << "app migrate create: title '" << title
            << "' may contain only lower-case letters, digits and '_' (e.g. add_user_locale)\n";
    return exit_usage;
  }

  const bool dir_given = ctx.settings.modules_dir.has_value();
  const fs::path dir = dir_given ? fs::path(*ctx.settings.modules_dir) : fs::path(default_modules_dir);
  std::error_code ec;
  if (!fs::is_regular_file(dir / "modules.yaml", ec)) {
    ctx.err << "app migrate create: no modules.yaml in " << dir.string()
            << (dir_given ? ""
                          : " (without --modules-dir, create writes into ./modules: run it from the "
                            "repository root)")
            << '\n';
    return exit_usage;
  }

  auto source = migrator::make_directory_source(dir);
  const auto tree = source->load();
  const auto assembled = migrator::assemble(tree, migrator::process_environment());
  const migrator::module_spec* module = nullptr;
  for (const auto& m : assembled.set.modules)
    if (m.name == module_name) module = &m;
  if (!module) {
    for (const auto& p : assembled.problems)
      if (p.path == tree.manifest_path) ctx.err << p.str() << '\n';
    ctx.err << "app migrate create: unknown module '" << module_name << "'; the modules are:";
    for (const auto& m : assembled.set.modules) ctx.err << ' ' << m.name;
    ctx.err << "\n(a new module is appended to " << tree.manifest_path << " first)\n";
    return exit_usage;
  }

  const std::int64_t highest = highest_version(tree, *module);
  if (highest >= module->last_version()) {
    ctx.err << "app migrate create: module '" << module->name << "' has used its whole namespace "
            << module->first_version() << ".." << module->last_version()
            << "; no version is left (versions are never reused)\n";
    return exit_failed;  // a module-layout limit, not a bad argument (docs/cli.md)
  }
  const std::string version = padded(highest + 1);
  const std::string file_name = version + "_" + title + ".sql";
  const fs::path migrations = dir / module->name / "migrations";
  fs::create_directories(migrations, ec);
  if (ec) {
    ctx.err << "app migrate create: cannot create " << migrations.string() << ": " << ec.message() << '\n';
    return exit_failed;
  }
  const fs::path target = migrations / file_name;
  // "x": never overwrite, even a file that appeared since the directory was read.
  std::FILE* f = std::fopen(target.c_str(), "wx");
  if (!f) {
    ctx.err << "app migrate create: cannot create " << target.string() << ": "
            << (errno == EEXIST ? "it already exists (not overwritten)" : std::strerror(errno)) << '\n';
    return exit_failed;
  }
  const std::string text = file_text(*module, version, title, vm["contract"].as<bool>());
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !written) {
    ctx.err << "app migrate create: cannot write " << target.string() << '\n';
    return exit_failed;
  }
  ctx.out << target.string() << '\n';
  if (!assembled.ok())
    ctx.err << "warning: " << source->describe() << " has " << assembled.problems.size()
            << " problem(s); run 'app migrate validate --modules-dir " << dir.string() << "'\n";
  return exit_ok;
}

}  // namespace

extern const command create_command{
    "create",
    "write the next migration file of a module (into --modules-dir, default ./modules)",
    "app migrate create MODULE TITLE [--contract] [--modules-dir DIR]",
    "app migrate create identity add_user_locale",
    add_options,
    run,
};

}  // namespace app
