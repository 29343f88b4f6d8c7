// Pure: turns a source tree into one global ordered sequence of migrations.
// The module at position p (1-based) in modules.yaml owns versions
// p*1000+1 .. p*1000+999; every violation is reported as a problem.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "migrator/error.h"
#include "migrator/migration.h"
#include "migrator/parser.h"
#include "migrator/source.h"

namespace migrator {

constexpr std::int64_t namespace_size = 1000;

struct module_spec {
  std::string name;
  std::string schema;       // default: the module's name
  std::string description;  // optional, free text
  int position = 0;         // 1-based position in modules.yaml

  std::int64_t first_version() const { return position * namespace_size + 1; }
  std::int64_t last_version() const { return position * namespace_size + namespace_size - 1; }
};

struct module_set {
  std::vector<module_spec> modules;     // in manifest order
  std::vector<migration> migrations;    // ascending by version

  // The module whose namespace holds `version`, or nullptr.
  const module_spec* module_for_version(std::int64_t version) const;
};

struct assembly {
  module_set set;
  std::vector<problem> problems;  // empty = the set is valid
  bool ok() const { return problems.empty(); }
};

// Parses the manifest and every file, checks namespaces and layout.
// Never throws for bad input: every problem found is listed.
assembly assemble(const source_tree& tree, const env_lookup& env);

}  // namespace migrator
