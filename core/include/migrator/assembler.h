// Pure: turns a source tree into one global ordered sequence of migrations.
// The module at position p (1-based) in modules.yaml owns versions
// p*1000+1 .. p*1000+999; every violation is reported as a problem.
// Positions run from 1 to 999 (versions 1001..999999): a module listed at
// position 1000 or later is a problem. modules.yaml holds one key, `modules`,
// a list of {name, schema?, description?, requires_postgres?, depends_on?};
// see docs/module-authors.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
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
  // The oldest PostgreSQL major version its migrations need (modules.yaml
  // `requires_postgres: 18`, e.g. for uuidv7()); 0 = any supported one. A run
  // that would apply one of them on an older server is refused before any statement.
  int requires_postgres = 0;
  // The modules whose schemas its migrations may reference (modules.yaml
  // `depends_on: [db, identity]`), in the order written. Each one comes earlier
  // in modules.yaml, so its migrations run first on a fresh database; that order
  // also rules out cycles. Not transitive: lint's undeclared-dependency rule
  // checks every referenced schema against this list itself.
  std::vector<std::string> depends_on{};

  std::int64_t first_version() const { return position * namespace_size + 1; }
  std::int64_t last_version() const { return position * namespace_size + namespace_size - 1; }
};

struct module_set {
  // In manifest order. With problems, entries that have no usable name, a
  // duplicate name or a position past 999 are left out (the others keep their
  // positions), and `migrations` holds only the files that had no problem.
  std::vector<module_spec> modules;
  std::vector<migration> migrations;    // ascending by version
  // migrations/repeatable/*.sql of every module, in module order then name order:
  // role repeatable, version 0, applied after the versioned migrations of an `up`
  // whenever the checksum recorded for (module, name) differs.
  std::vector<migration> repeatables{};
  // migrations/callbacks/<event>.sql of every module, in module order then event
  // name: role callback, version 0; see callback_event.
  std::vector<migration> callbacks{};

  // The module whose namespace holds `version`, or nullptr.
  const module_spec* module_for_version(std::int64_t version) const;
};

// The files a module may keep in migrations/callbacks/, without ".sql", in the
// order a run reaches them: before_migrate once the lock is held and something
// is to be applied; after_each_migration after each applied migration of its
// module; after_migrate when the run succeeded; after_migrate_error when it failed.
inline constexpr const char* callback_events[] = {"before_migrate", "after_each_migration", "after_migrate",
                                                  "after_migrate_error"};
bool is_callback_event(std::string_view name) noexcept;

struct assembly {
  module_set set;
  std::vector<problem> problems;  // empty = the set is valid
  bool ok() const { return problems.empty(); }
};

// When the statements of a migration file are parsed.
enum class parse_time {
  now,     // while assembling: a malformed file is a problem of the set (validate, the build)
  on_use,  // on the migration's first body() call: only what runs or is shown is parsed
           // (files are still read and hashed); the engine parses a plan before its first step
};

// Parses the manifest (and, with parse_time::now, every file), checks namespaces
// and layout. Never throws for bad input: every problem found is listed.
// File texts are moved out of `tree` (pass a temporary to avoid a copy).
// `backend` picks each module's folder: migrations/ for PostgreSQL,
// migrations/sqlite/ for SQLite; for SQLite, a module with PostgreSQL
// migrations but no sqlite/ folder is a problem.
assembly assemble(source_tree tree, const env_lookup& env, parse_time when = parse_time::now,
                  backend_kind backend = backend_kind::postgres);

// True when some module of the tree has a migrations/sqlite/ folder: the set
// is kept for both backends, so validate checks that they match.
bool has_sqlite_migrations(const source_tree& tree);

// The two sets of one tree must have the same versions, each with the same
// name (seed 004: "matching files under both migration directories"). One
// problem per version missing on a side or named differently.
std::vector<problem> compare_backend_sets(const module_set& postgres, const module_set& sqlite);

}  // namespace migrator
