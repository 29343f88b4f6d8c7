// The lint rules themselves: one parsed SQL statement (libpg_query's JSON) in,
// findings out. Pure; lint.cpp feeds it the statements in file order and keeps
// what it learns (new tables, a lock_timeout set) in the context between them.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace migrator {

struct rule_context {
  std::string module;
  std::string schema;                               // the module's own schema
  const std::map<std::string, std::string>* schema_owners = nullptr;  // schema -> module
  bool transactional = true;
  bool up = true;  // lock/rollout rules apply to Up sections only
  bool session_lock_timeout = false;
  // Tables ("schema.name", or "name" unqualified) that do not exist before this
  // migration runs: created by it, or by a pending one before it. Grows as
  // CREATE TABLE statements are checked.
  std::set<std::string> new_tables;
  bool lock_timeout_set = false;  // a SET lock_timeout ran earlier in this section
};

struct rule_hit {
  const char* rule;
  int offset;  // 0-based byte offset in the parsed text
  std::string message;
};

// `entry` is one element of the parse tree's "stmts" array.
std::vector<rule_hit> check_statement(const nlohmann::json& entry, rule_context& ctx);

}  // namespace migrator
