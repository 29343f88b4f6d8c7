// Squashing a module's history into a baseline (baseline.h): the module set is
// applied through a version on one scratch database, the module's schema is
// dumped (schema_dump.h) into a baseline file, the same set with the baseline
// instead of the history is applied on a second scratch database, and the two
// catalogs must have equal fingerprints (catalog_fingerprint.h). Nothing is
// written to the module set here: the caller writes `text` to `path` once
// parity holds, and the author deletes the replaced files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "migrator/assembler.h"
#include "migrator/catalog_fingerprint.h"
#include "migrator/engine.h"
#include "migrator/source.h"

namespace migrator {

// Pure: what squashing `module` through `through` means for this source tree.
// Throws error(usage) when it cannot be squashed (unknown module, a version
// that is not the module's, the next version taken, a set with problems).
struct squash_plan {
  module_spec module;
  std::int64_t through = 0;
  std::int64_t baseline_version = 0;            // through + 1
  std::string path;                             // the baseline's display path (written by the caller)
  std::vector<std::int64_t> replaces;           // the module's versions <= through, ascending
  std::vector<std::string> replaced_paths;      // their files, to be deleted by the author
  source_tree history_tree;                     // the tree as it is
  source_tree baseline_tree;                    // with the baseline instead of the replaced files (text pending)
};
squash_plan plan_squash(const source_tree& tree, const env_lookup& env, const std::string& module,
                        std::int64_t through);

// Pure: the baseline file for `schema_dump` (normalised pg_dump output of the
// module's schema). Its Up is one StatementBegin/End block, so goose sends the
// dump whole, whatever its functions' bodies hold; its Down drops the schema.
std::string baseline_file_text(const squash_plan& plan, const std::string& schema_dump);

struct squash_result {
  std::string text;                  // the baseline file
  catalog_fingerprint from_history;  // the catalog built from the replaced history
  catalog_fingerprint from_baseline; // the catalog built from the baseline
  std::vector<catalog_difference> differences;  // empty: parity holds
  bool parity() const { return differences.empty(); }
};

// Applies the history on `history_dsn` and the baseline on `baseline_dsn`
// (two empty databases; error(refused) when one has applied migrations), dumps
// with `pg_dump`, and compares. Database failures are thrown as the engine's errors.
squash_result squash(const squash_plan& plan, const env_lookup& env, const std::string& history_dsn,
                     const std::string& baseline_dsn, const engine_options& options,
                     const std::string& pg_dump = "pg_dump");

}  // namespace migrator
