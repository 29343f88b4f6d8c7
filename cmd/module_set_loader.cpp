#include <cstdlib>
#include <filesystem>
#include <optional>

#include "command.h"
#include "process_allocator.h"
#include "migrator/dsn.h"
#include "migrator/embedded.h"
#include "migrator/error.h"
#include "migrator/parser.h"
#include "migrator/source.h"

namespace app {

namespace {

// Where the digest cache lives (settings::digest_cache): nullopt when it is off,
// or when neither XDG_CACHE_HOME nor HOME says where a user's cache goes.
std::optional<std::filesystem::path> digest_cache_dir(const app::settings& settings) {
  if (settings.digest_cache) {
    if (*settings.digest_cache == "off") return std::nullopt;
    return std::filesystem::path(*settings.digest_cache);
  }
  // The XDG base directory rule: only an absolute XDG_CACHE_HOME counts.
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && xdg[0] == '/')
    return std::filesystem::path(xdg) / "migrator";
  if (const char* home = std::getenv("HOME"); home && home[0] == '/')
    return std::filesystem::path(home) / ".cache" / "migrator";
  return std::nullopt;
}

// `deferring`: the set is assembled with parse_time::on_use, so files the
// digest cache knows need not be read now (status, up and the rest of the
// engine's commands); every other reader of the tree gets every file's text.
std::unique_ptr<migrator::migration_source> chosen_source(const app::settings& settings, bool deferring = false) {
  if (!settings.modules_dir) return migrator::make_embedded_source();
  const std::filesystem::path dir(*settings.modules_dir);
  if (deferring)
    if (auto cache = digest_cache_dir(settings)) return migrator::make_directory_source(dir, std::move(*cache));
  return migrator::make_directory_source(dir);
}

std::string file_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

// A plain suffix test: a std::filesystem::path per file cost 2,500 instructions
// (W5's 10,000 files: 25M, a tenth of `status`).
bool ends_with_cpp(const std::string& path) {
  return path.size() >= 4 && path.compare(path.size() - 4, 4, ".cpp") == 0;
}

// A code migration read from --modules-dir can run only with compiled code. This
// program embeds its own modules' code migrations: a directory file that is
// byte-for-byte the one this program was built from (same name, same text) runs
// with that compiled code; any other stays listed, validated and planned only.
void attach_compiled_code(migrator::source_tree& tree) {
  // Most directories hold SQL only: then the embedded set is not read at all (startup path).
  using backend_kind = migrator::backend_kind;
  bool has_code = false;
  for (const auto& folder : tree.folders)
    for (const auto backend : {backend_kind::postgres, backend_kind::sqlite})
      for (const auto& file : folder.files_for(backend))
        has_code = has_code || ends_with_cpp(file.path);
  if (!has_code) return;
  // A PostgreSQL file matches only PostgreSQL code, a SQLite file only SQLite code.
  std::vector<std::pair<backend_kind, const migrator::source_file*>> compiled;
  const migrator::source_tree embedded = migrator::make_embedded_source()->load();
  for (const auto& folder : embedded.folders)
    for (const auto backend : {backend_kind::postgres, backend_kind::sqlite})
      for (const auto& file : folder.files_for(backend))
        if (file.code) compiled.push_back({backend, &file});
  if (compiled.empty()) return;
  for (auto& folder : tree.folders)
    for (const auto backend : {backend_kind::postgres, backend_kind::sqlite})
      for (auto& file : folder.files_for(backend))
        for (const auto& [built_for, built] : compiled)
          if (!file.code && built_for == backend && file_name(file.path) == file_name(built->path) &&
              file.content == built->content)
            file.code = built->code;
}

migrator::source_tree load_tree(const app::settings& settings, bool deferring = false) {
  const auto source = chosen_source(settings, deferring);
  // A set its digest cache says is large: huge pages before reading it (process_allocator.h).
  if (source->expected_files() >= large_module_set) advise_huge_pages();
  migrator::source_tree tree = source->load();
  if (settings.modules_dir) attach_compiled_code(tree);
  return tree;
}

// A command that needs the set refuses a modules directory that does not
// exist (status would otherwise call every applied version unknown); validate
// reads the tree itself and lists it as a problem.
void require_modules_dir(const app::settings& settings) {
  if (!settings.modules_dir) return;
  std::error_code ec;
  const auto found = std::filesystem::status(*settings.modules_dir, ec);
  if (std::filesystem::is_directory(found)) return;
  // Worded as the directory source words it for validate ("cannot be read: ...",
  // "is not a directory"), and, as every refusal of a set, nothing was changed.
  const std::string why = std::filesystem::exists(found)
                              ? std::string("is not a directory")
                              : "cannot be read: " + (ec ? ec.message() : std::string("No such file or directory"));
  throw migrator::error(migrator::error_code::layout,
                        *settings.modules_dir + ": " + why +
                            " (the modules directory: --modules-dir, APP_MODULES_DIR or migrations.modules_dir); "
                            "nothing was changed");
}

// What follows a large set (the history, the status, the parsed files) in huge
// pages, when no guess before loading it said so (process_allocator.h).
void advise_huge_pages_for(const migrator::assembly& assembled) {
  if (assembled.set.migrations.size() >= large_module_set) advise_huge_pages();
}

}  // namespace

migrator::assembly load_module_set(const app::settings& settings, migrator::parse_time when) {
  require_modules_dir(settings);
  auto assembled = migrator::assemble(load_tree(settings, when == migrator::parse_time::on_use),
                                      migrator::process_environment(), when, migrator::backend_of(settings.dsn));
  advise_huge_pages_for(assembled);
  return assembled;
}

module_sources load_module_sources(const app::settings& settings) {
  require_modules_dir(settings);
  module_sources sources;
  sources.tree = load_tree(settings);
  sources.assembled = migrator::assemble(sources.tree, migrator::process_environment(), migrator::parse_time::now,
                                         migrator::backend_of(settings.dsn));
  advise_huge_pages_for(sources.assembled);
  return sources;
}

migrator::source_tree load_module_tree(const app::settings& settings) { return load_tree(settings); }

std::string module_source_name(const app::settings& settings) { return chosen_source(settings)->describe(); }

void refuse_problems(const migrator::assembly& assembled, const std::string& which) {
  if (assembled.ok()) return;
  std::string msg = "the module set" + (which.empty() ? "" : " " + which) + " has problems; nothing was changed:";
  for (const auto& p : assembled.problems) msg += "\n  " + p.str();
  throw migrator::error(migrator::error_code::layout, msg);
}

}  // namespace app
