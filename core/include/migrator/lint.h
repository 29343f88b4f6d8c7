// The migration linter: every statement, exactly as the runner splits it, is
// parsed by PostgreSQL's own parser (libpg_query, PostgreSQL 15) and checked
// against module rules (schema qualification, module boundaries, goose blocks)
// and lock/rollout rules (what blocks or breaks a live database). The phase
// rules read migration::contract: what removes something older builds use is
// reported in an ordinary migration only, what adds in a contract migration only.
// Pure: no database, no I/O; the files' text comes in with the source tree.
// The rules, their ids and examples: docs/module-authors.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "migrator/assembler.h"
#include "migrator/source.h"

namespace migrator {

enum class lint_severity { off, warning, error };
const char* to_string(lint_severity severity) noexcept;
// "off", "warn" (or "warning"), "error"; nullopt for anything else.
std::optional<lint_severity> parse_lint_severity(std::string_view text);

struct lint_rule {
  const char* id;                    // "index-not-concurrent"
  lint_severity default_severity;
  const char* summary;               // one line: what the rule finds
  const char* hint;                  // what to write instead
};

// Every rule, in the order of docs/module-authors.md.
const std::vector<lint_rule>& lint_rules();
const lint_rule* find_lint_rule(std::string_view id);

struct lint_finding {
  std::string rule;  // a lint_rule id
  lint_severity severity = lint_severity::error;
  std::string module;
  std::int64_t version = 0;
  std::string path;  // the migration's display path
  int line = 0;      // 1-based, in the file
  int column = 0;    // 1-based, in bytes
  std::string message;
  std::string hint;

  // "path:line:column: error[rule]: message"
  std::string str() const;
};

// The grammar lint parses with: libpg_query's, "PostgreSQL 15.1".
std::string lint_grammar();

// What the target server's own grammar says of a statement that lint's grammar
// rejected (a newer server may accept syntax the linter's parser does not know).
struct server_syntax_verdict {
  bool asked = false;    // false: the server could not be asked; lint's own verdict stands
  bool parsed = false;   // the server's grammar accepts the statement
  std::string server;    // "PostgreSQL 18.4"
  std::string message;   // the server's syntax error, when !parsed
  std::size_t offset = 0;  // 0-based byte offset of the error in the statement
};

struct lint_options {
  // Per-rule severity overrides (the `lint:` section of the configuration file).
  std::map<std::string, lint_severity> severity;
  // Versions not applied yet on the target database. A table created by one of
  // them is new for every later pending migration, as it is for its own. nullopt:
  // only the migration's own tables are new (every earlier one counts as applied).
  std::optional<std::set<std::int64_t>> pending;
  // The migration session already has a lock_timeout (settings' db_lock_timeout).
  bool session_lock_timeout = false;
  // Called for each statement lint's grammar rejects; its verdict replaces
  // lint's. Unset: lint's verdict stands, its message naming lint's grammar.
  std::function<server_syntax_verdict(const std::string& sql)> server_syntax;
};

struct lint_report {
  std::vector<lint_finding> findings;  // by version, then position in the file
  std::size_t migrations = 0;
  std::size_t statements = 0;  // SQL statements parsed (a block may hold several)
  std::size_t suppressed = 0;  // findings silenced by "-- lint:ignore RULE reason"
  // Statements only the server's grammar parses: no rule could read them.
  std::size_t server_parsed = 0;
  std::string server;  // the server asked ("PostgreSQL 18.4"); empty when none was

  std::size_t count(lint_severity severity) const;
};

// Lints every migration of `set`; `tree` supplies the files' text (for
// positions, StatementBegin/End blocks and "-- lint:ignore" comments).
// Unknown rule ids in `options.severity` are the caller's to reject.
lint_report lint_module_set(const module_set& set, const source_tree& tree, const lint_options& options);

// The rule that keeps a module to the modules it declares in modules.yaml's
// depends_on (and so to modules listed above it).
constexpr const char* dependency_rule = "undeclared-dependency";

// That rule alone, as problems ("path:line: column C: message"): what `validate`
// and the build refuse, whatever the configured severities say. A
// "-- lint:ignore undeclared-dependency reason" comment still silences one
// statement; statements lint's grammar rejects are left to `lint`.
std::vector<problem> undeclared_dependencies(const module_set& set, const source_tree& tree);

}  // namespace migrator
