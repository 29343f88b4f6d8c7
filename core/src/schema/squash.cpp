#include "migrator/squash.h"

#include <algorithm>

#include "migrator/baseline.h"
#include "migrator/error.h"
#include "migrator/history.h"
#include "migrator/parser.h"
#include "migrator/schema_dump.h"

namespace migrator {

namespace {

[[noreturn]] void refuse(const std::string& message) { throw error(error_code::usage, "squash: " + message); }

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

// The file name's version prefix keeps its width ("04016_x.sql" -> "04017").
std::string version_prefix(std::int64_t version, const std::string& like_path) {
  const auto slash = like_path.rfind('/');
  const std::string name = like_path.substr(slash == std::string::npos ? 0 : slash + 1);
  const std::size_t width = name.find('_');
  std::string digits = std::to_string(version);
  if (width != std::string::npos && digits.size() < width) digits.insert(0, width - digits.size(), '0');
  return digits;
}

// Applies `tree`'s set up to `through` on an empty database.
void build(const source_tree& tree, const env_lookup& env, const std::string& dsn, std::int64_t through,
           const engine_options& options, const char* what) {
  const assembly assembled = assemble(tree, env);
  if (!assembled.ok()) {
    std::string msg = std::string("squash: the module set ") + what + " has problems:";
    for (const auto& p : assembled.problems) msg += "\n  " + p.str();
    throw error(error_code::layout, msg);
  }
  engine e(dsn, assembled.set, options);
  for (const auto& m : e.status().migrations)
    if (m.state != migration_state::pending)
      throw error(error_code::refused, std::string("squash needs empty scratch databases, and version ") +
                                           std::to_string(m.version) + " is " + to_string(m.state) +
                                           " on the one for " + what);
  e.run(plan_request{command_kind::up_to, through});
}

}  // namespace

squash_plan plan_squash(const source_tree& tree, const env_lookup& env, const std::string& module_name,
                        std::int64_t through) {
  const assembly assembled = assemble(tree, env);
  if (!assembled.ok()) {
    std::string msg = "squash: the module set has problems; fix them first:";
    for (const auto& p : assembled.problems) msg += "\n  " + p.str();
    throw error(error_code::layout, msg);
  }
  const auto& modules = assembled.set.modules;
  const auto module = std::find_if(modules.begin(), modules.end(),
                                   [&](const module_spec& m) { return m.name == module_name; });
  if (module == modules.end()) refuse("no module named '" + module_name + "' in the module set");
  // A baseline needs its SQLite counterpart (same version and name), which a
  // PostgreSQL dump cannot give: refused before anything is built or written.
  for (const auto& folder : tree.folders)
    if (folder.name == module_name && folder.has_sqlite_dir)
      refuse("module '" + module_name + "' keeps SQLite migrations (" + tree.root + "/" + module_name +
             "/migrations/sqlite/); squash writes PostgreSQL baselines only, and validate would then miss the "
             "SQLite counterpart. Write both baseline files by hand with the same '-- +migrator baseline "
             "replaces' line (docs/sqlite.md)");
  squash_plan plan;
  plan.module = *module;
  plan.through = through;
  plan.baseline_version = through + 1;
  const migration* last = nullptr;
  const migration* taken = nullptr;
  for (const auto& m : assembled.set.migrations) {
    if (m.module != module_name) continue;
    if (m.version <= through) {
      plan.replaces.push_back(m.version);
      plan.replaced_paths.push_back(m.path);
      last = &m;
    } else if (m.version == plan.baseline_version) {
      taken = &m;
    }
  }
  if (!last || last->version != through)
    refuse("module '" + module_name + "' has no migration " + std::to_string(through) +
           " (squash --through names the module's last migration to replace)");
  if (taken)
    refuse("version " + std::to_string(plan.baseline_version) + ", which the baseline would take, is " +
           taken->path + "; squash through the module's last version");
  if (plan.baseline_version > module->last_version())
    refuse("version " + std::to_string(plan.baseline_version) + " is past module '" + module_name +
           "''s namespace");
  plan.path = directory_of(last->path) + version_prefix(plan.baseline_version, last->path) + "_baseline.sql";
  plan.history_tree = tree;
  plan.baseline_tree = tree;
  for (auto& folder : plan.baseline_tree.folders) {
    if (folder.name != module_name) continue;
    folder.files.erase(std::remove_if(folder.files.begin(), folder.files.end(),
                                      [&](const source_file& f) {
                                        return std::find(plan.replaced_paths.begin(), plan.replaced_paths.end(),
                                                         f.path) != plan.replaced_paths.end();
                                      }),
                       folder.files.end());
  }
  return plan;
}

std::string baseline_file_text(const squash_plan& plan, const std::string& schema_dump) {
  const std::string& schema = plan.module.schema;
  std::string text =
      "-- Baseline of module " + plan.module.name + ": its whole schema (" + schema + ") as of version " +
      std::to_string(plan.through) + ",\n-- written by 'app migrate squash " + plan.module.name + " --through " +
      std::to_string(plan.through) + "' from pg_dump of a database migrated\n-- through " +
      std::to_string(plan.through) +
      ". It replaces the migrations listed below, whose files can be deleted.\n" +
      baseline_annotation(plan.replaces) + "\n\n-- +goose Up\n-- +goose StatementBegin\n" + schema_dump;
  if (!text.empty() && text.back() != '\n') text += '\n';
  text += "-- +goose StatementEnd\n\n-- +goose Down\nDROP SCHEMA " + schema + " CASCADE;\n";
  return text;
}

squash_result squash(const squash_plan& plan, const env_lookup& env, const std::string& history_dsn,
                     const std::string& baseline_dsn, const engine_options& options, const std::string& pg_dump) {
  squash_result result;
  build(plan.history_tree, env, history_dsn, plan.through, options, "built from the history");
  result.text = baseline_file_text(plan, dump_schema(history_dsn, plan.module.schema, pg_dump));

  source_tree with_baseline = plan.baseline_tree;
  for (auto& folder : with_baseline.folders)
    if (folder.name == plan.module.name) {
      folder.files.push_back({plan.path, result.text});
      std::sort(folder.files.begin(), folder.files.end(),
                [](const source_file& a, const source_file& b) { return a.path < b.path; });
    }
  build(with_baseline, env, baseline_dsn, plan.baseline_version, options, "built from the baseline");

  const std::vector<std::string> version_tables = bookkeeping_tables(options.table);
  result.from_history = catalog_inspector(history_dsn, version_tables).fingerprint();
  result.from_baseline = catalog_inspector(baseline_dsn, version_tables).fingerprint();
  result.differences = diff(result.from_history, result.from_baseline);
  return result;
}

}  // namespace migrator
