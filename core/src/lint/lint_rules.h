// The lint rules themselves: one parsed SQL statement (libpg_query's JSON) in,
// findings out. Pure; lint.cpp feeds it the statements in file order and keeps
// what it learns (new tables, a lock_timeout set) in the context between them.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "lint/parse_tree.h"

namespace migrator {

struct rule_context {
  std::string module;
  std::string schema;                               // the module's own schema
  const std::map<std::string, std::string>* schema_owners = nullptr;  // schema -> module
  // For undeclared-dependency: each module schema's position in modules.yaml,
  // this module's position, and the schemas of the modules in its depends_on.
  // A module schema outside those (and its own) must not be referenced.
  const std::map<std::string, int>* schema_positions = nullptr;
  int position = 0;
  const std::set<std::string>* dependency_schemas = nullptr;
  bool transactional = true;
  bool up = true;  // lock/rollout rules apply to Up sections only
  // "-- +migrator contract": the migration removes what older builds use, and up
  // runs it only once no live build needs that. The phase rules (drops, renames,
  // SET NOT NULL) find nothing here; contract-adds finds what an expand would add.
  bool contract = false;
  // A repeatable migration re-creates its views and functions whole, in one
  // transaction (DROP VIEW IF EXISTS, then CREATE VIEW): dropping those is its
  // job, so drop-or-rename-object does not report DROP there.
  bool repeatable = false;
  bool session_lock_timeout = false;
  // Tables ("schema.name", or "name" unqualified) that do not exist before this
  // migration runs: created by it, or by a pending one before it. Grows as
  // CREATE TABLE statements are checked. Views and sequences share the tables'
  // namespace and their key; functions, types and schemas are kept here too, as
  // "function schema.name", "type schema.name" and "schema name", so dropping
  // one created earlier in the same migration is not a phase finding.
  std::set<std::string> new_tables;
  bool lock_timeout_set = false;  // a SET lock_timeout ran earlier in this section
};

struct rule_hit {
  const char* rule;
  int offset;  // 0-based byte offset in the parsed text
  std::string message;
};

// `entry` is one element of the parse tree's "stmts" array.
std::vector<rule_hit> check_statement(const parse_tree& entry, rule_context& ctx);

// The array member `key` of `node` by reference, or a null that iterates as an
// empty array (nlohmann's value(key, default) would return a copy of it).
const parse_tree& list(const parse_tree& node, const char* key);

}  // namespace migrator
