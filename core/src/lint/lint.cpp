#include "migrator/lint.h"

#include <algorithm>
#include <map>

#include "lint/lint_rules.h"
#include "lint/sql_parse.h"

namespace migrator {

const char* to_string(lint_severity severity) noexcept {
  switch (severity) {
    case lint_severity::off: return "off";
    case lint_severity::warning: return "warning";
    case lint_severity::error: return "error";
  }
  return "error";
}

std::optional<lint_severity> parse_lint_severity(std::string_view text) {
  if (text == "off") return lint_severity::off;
  if (text == "warn" || text == "warning") return lint_severity::warning;
  if (text == "error") return lint_severity::error;
  return std::nullopt;
}

const std::vector<lint_rule>& lint_rules() {
  using s = lint_severity;
  static const std::vector<lint_rule> rules{
      {"syntax-error", s::error,
       "the statement does not parse: PostgreSQL 15's grammar rejects it, and so does the target server's when lint "
       "has a --dsn",
       "fix the SQL; the position is where the parser stopped"},
      {"unqualified-name", s::error, "a table, view, sequence, function or type name without its schema",
       "qualify it with the module's schema: migrations run without a search_path, so it would land in public"},
      {"foreign-schema", s::error, "an object created or changed in another module's schema",
       "a module changes only its own schema; ask the owning module for a migration"},
      {"undeclared-dependency", s::error,
       "a table, function or type of another module that this module does not list in depends_on, or that is "
       "listed after it in modules.yaml; validate and the build refuse it whatever its severity",
       "add the module to depends_on in modules.yaml (a module may depend only on modules listed above it); what a "
       "later module owns cannot be used: move the statement into that module"},
      {"statement-block", s::error,
       "several statements, or a ';' at a line end inside a body, outside StatementBegin/End",
       "wrap them in \"-- +goose StatementBegin\" / \"-- +goose StatementEnd\": goose splits at every line ending in ';'"},
      {"index-not-concurrent", s::error, "CREATE INDEX without CONCURRENTLY on a table that exists before this migration",
       "use CREATE INDEX CONCURRENTLY in a \"-- +goose NO TRANSACTION\" migration, one index per statement"},
      {"concurrently-in-transaction", s::error, "CONCURRENTLY in a migration that runs in a transaction",
       "add \"-- +goose NO TRANSACTION\" and keep the concurrent statement on its own"},
      {"not-null-without-default", s::error, "a NOT NULL column added to an existing table without a default",
       "add the column nullable (or with a DEFAULT), backfill, then add NOT NULL in a later migration"},
      {"volatile-default", s::error,
       "a column added to an existing table with a volatile default, serial, identity or stored generated value",
       "add the column without the default, set the default separately, backfill in batches"},
      {"column-type-change", s::error, "ALTER COLUMN TYPE on an existing table",
       "add a new column, write both, backfill, switch readers, then drop the old one"},
      // The phase rules: what removes something an older build still uses is
      // an error in an ordinary migration and allowed in a contract migration,
      // which up runs only once no live build needs it.
      {"drop-table-or-column", s::error,
       "DROP TABLE or DROP COLUMN of an existing table or column, outside a contract migration",
       "deploy a build that no longer reads it, then drop it in a migration marked \"-- +migrator contract\" "
       "(the line before \"-- +goose Up\"): up runs it once no running build still uses it"},
      {"rename-table-or-column", s::error, "RENAME of an existing table or column, outside a contract migration",
       "add the new name (a column or a view) and move readers and writers over; drop or rename the old one in a "
       "migration marked \"-- +migrator contract\", which up runs once no running build still uses it"},
      {"drop-or-rename-object", s::error,
       "DROP or RENAME of an existing view, sequence, function, procedure, type, domain or schema, or RENAME VALUE "
       "of an enum, outside a contract migration",
       "stop using it in a deployed build first, then drop or rename it in a migration marked "
       "\"-- +migrator contract\", which up runs once no running build still uses it"},
      {"set-not-null", s::warning,
       "ALTER COLUMN SET NOT NULL on an existing table, outside a contract migration",
       "once every running build writes the column, set NOT NULL in a migration marked \"-- +migrator contract\", "
       "which up runs once older builds have stopped (or give the column a default first)"},
      {"contract-adds", s::warning,
       "a contract migration that adds: CREATE TABLE, VIEW, FUNCTION, TYPE, INDEX ..., ADD COLUMN, ADD VALUE, INSERT",
       "move it into an ordinary migration shipped with or before the build that needs it; a contract migration "
       "only removes what older builds still use"},
      {"constraint-not-valid", s::error, "a FOREIGN KEY or CHECK constraint added to an existing table without NOT VALID",
       "add it NOT VALID, then VALIDATE CONSTRAINT in a later statement (a weaker lock)"},
      {"lock-timeout-missing", s::warning, "an ACCESS EXCLUSIVE lock on an existing table without a lock_timeout",
       "SET LOCAL lock_timeout = '5s' before it (or configure migrations.db_lock_timeout) so it fails instead of "
       "queueing every query behind it"},
  };
  return rules;
}

const lint_rule* find_lint_rule(std::string_view id) {
  for (const auto& r : lint_rules())
    if (id == r.id) return &r;
  return nullptr;
}

std::string lint_finding::str() const {
  return path + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + to_string(severity) + "[" + rule +
         "]: " + message;
}

std::size_t lint_report::count(lint_severity severity) const {
  return static_cast<std::size_t>(std::count_if(findings.begin(), findings.end(),
                                                [&](const lint_finding& f) { return f.severity == severity; }));
}

namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Whether the statement starting on 1-based `line` lies in a StatementBegin/End block.
bool inside_block(const std::vector<std::string_view>& lines, int line) {
  bool in_block = false;
  for (int i = 0; i + 1 < line && i < static_cast<int>(lines.size()); ++i) {
    std::string_view l = trimmed(lines[i]);
    if (l.rfind("-- +goose", 0) != 0) continue;
    if (l.find("StatementBegin") != std::string_view::npos) in_block = true;
    if (l.find("StatementEnd") != std::string_view::npos) in_block = false;
  }
  return in_block;
}

// Rule ids named by "-- lint:ignore RULE[,RULE...] reason" in one comment's text.
void read_suppressions(std::string_view comment, std::set<std::string>& out) {
  const std::string_view marker = "lint:ignore";
  std::size_t at = comment.find(marker);
  if (at == std::string_view::npos) return;
  std::string_view rest = comment.substr(at + marker.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  std::size_t end = rest.find_first_of(" \t");
  std::string_view ids = rest.substr(0, end);
  while (!ids.empty()) {
    std::size_t comma = ids.find(',');
    out.insert(std::string(ids.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    ids.remove_prefix(comma + 1);
  }
}

// Skips whitespace and comments from `from`; collects suppressions on the way.
// Returns the offset of the statement's first token.
std::size_t first_token(std::string_view sql, std::size_t from, std::set<std::string>* suppressions) {
  std::size_t i = from;
  while (i < sql.size()) {
    char c = sql[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else if (sql.compare(i, 2, "--") == 0) {
      std::size_t end = sql.find('\n', i);
      if (end == std::string_view::npos) end = sql.size();
      if (suppressions) read_suppressions(sql.substr(i, end - i), *suppressions);
      i = end;
    } else if (sql.compare(i, 2, "/*") == 0) {
      std::size_t end = sql.find("*/", i + 2);
      if (end == std::string_view::npos) return sql.size();
      if (suppressions) read_suppressions(sql.substr(i, end - i), *suppressions);
      i = end + 2;
    } else {
      break;
    }
  }
  return i;
}

// A line outside a block that goose would end the statement at: its last word ends in ';'.
bool goose_would_split(std::string_view sql) {
  auto lines = split_lines(sql);
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    std::string_view l = trimmed(lines[i]);
    if (!l.empty() && l.back() == ';') return true;
  }
  return false;
}

struct statement_position {
  const std::vector<std::string_view>* file_lines;
  const statement* stmt;

  std::pair<int, int> at(std::size_t offset) const {
    const std::string& sql = stmt->sql;
    offset = std::min(offset, sql.size());
    int line = stmt->line;
    std::size_t last_newline = std::string::npos;
    for (std::size_t i = 0; i < offset; ++i)
      if (sql[i] == '\n') ++line, last_newline = i;
    if (last_newline != std::string::npos) return {line, static_cast<int>(offset - last_newline)};
    // The runner trims the statement: its first line starts after the file line's indentation.
    int indent = 0;
    if (stmt->line >= 1 && stmt->line <= static_cast<int>(file_lines->size())) {
      std::string_view l = (*file_lines)[stmt->line - 1];
      while (indent < static_cast<int>(l.size()) && (l[indent] == ' ' || l[indent] == '\t')) ++indent;
    }
    return {line, indent + static_cast<int>(offset) + 1};
  }
};

class linter {
 public:
  linter(const module_set& set, const source_tree& tree, const lint_options& options)
      : set_(set), options_(options) {
    for (const auto& folder : tree.folders)
      for (const auto& file : folder.files) texts_[file.path] = &file.content;
    for (const auto& m : set.modules) {
      schema_owners_[m.schema] = m.name;
      schema_positions_[m.schema] = m.position;
    }
    for (const auto& m : set.modules)
      for (const auto& dependency : m.depends_on)
        for (const auto& other : set.modules)
          if (other.name == dependency) dependency_schemas_[m.name].insert(other.schema);
  }

  lint_report run() {
    std::set<std::string> pending_tables;  // created by pending migrations linted so far
    // Versioned migrations, then repeatables and callbacks (version 0, never pending).
    std::vector<const migration*> files;
    for (const auto* list : {&set_.migrations, &set_.repeatables, &set_.callbacks})
      for (const auto& m : *list) files.push_back(&m);
    for (const migration* file : files) {
      const migration& m = *file;
      ++report_.migrations;
      const bool pending = m.role == migration_role::versioned && options_.pending && options_.pending->count(m.version);
      const std::string* text = texts_.count(m.path) ? texts_[m.path] : nullptr;
      const auto lines = split_lines(text ? std::string_view(*text) : std::string_view());
      std::string schema = m.module;
      int position = 0;
      for (const auto& spec : set_.modules)
        if (spec.name == m.module) schema = spec.schema, position = spec.position;
      for (const bool up : {true, false}) {
        rule_context ctx;
        ctx.module = m.module;
        ctx.schema = schema;
        ctx.schema_owners = &schema_owners_;
        ctx.schema_positions = &schema_positions_;
        ctx.position = position;
        ctx.dependency_schemas = &dependency_schemas_[m.module];
        ctx.transactional = m.body().use_transaction;
        ctx.up = up;
        ctx.contract = m.contract.has_value();
        ctx.repeatable = m.role == migration_role::repeatable;
        ctx.session_lock_timeout = options_.session_lock_timeout;
        if (pending) ctx.new_tables = pending_tables;
        // A Down undoes its own Up: what the Up created is new there too.
        if (!up) ctx.new_tables.insert(created_by_up_.begin(), created_by_up_.end());
        for (const auto& s : up ? m.body().up : m.body().down) lint_statement(m, s, lines, ctx);
        if (up) created_by_up_ = ctx.new_tables;
      }
      if (pending) pending_tables.insert(created_by_up_.begin(), created_by_up_.end());
    }
    return std::move(report_);
  }

 private:
  void add(const migration& m, const statement_position& where, const char* rule, std::size_t offset,
           std::string message, const std::set<std::string>& suppressed) {
    const lint_rule* r = find_lint_rule(rule);
    lint_severity severity = r->default_severity;
    if (auto it = options_.severity.find(rule); it != options_.severity.end()) severity = it->second;
    if (severity == lint_severity::off) return;
    if (suppressed.count(rule)) {
      ++report_.suppressed;
      return;
    }
    auto [line, column] = where.at(offset);
    report_.findings.push_back(
        lint_finding{rule, severity, m.module, m.version, m.path, line, column, std::move(message), r->hint});
  }

  // Suppressions in the comment lines just above the runner statement (the runner drops them).
  std::set<std::string> suppressions_above(const std::vector<std::string_view>& lines, int line) const {
    std::set<std::string> out;
    for (int i = line - 2; i >= 0 && i < static_cast<int>(lines.size()); --i) {
      std::string_view l = trimmed(lines[i]);
      if (l.empty()) continue;
      if (l.rfind("--", 0) != 0) break;
      read_suppressions(l, out);
    }
    return out;
  }

  void lint_statement(const migration& m, const statement& s, const std::vector<std::string_view>& lines,
                      rule_context& ctx) {
    const statement_position where{&lines, &s};
    const parsed_sql parsed = parse_sql(s.sql);
    const std::set<std::string> above = suppressions_above(lines, s.line);
    if (parsed.error) {
      ++report_.statements;
      server_syntax_verdict verdict;
      if (options_.server_syntax) verdict = options_.server_syntax(s.sql);
      if (!verdict.asked) {
        add(m, where, "syntax-error", static_cast<std::size_t>(parsed.error->offset),
            parsed.error->message + " (" + lint_grammar() + "'s grammar; with a --dsn, lint asks the server's)", above);
        return;
      }
      report_.server = verdict.server;
      if (verdict.parsed) {
        ++report_.server_parsed;
        return;
      }
      add(m, where, "syntax-error", verdict.offset, verdict.message + " (the " + verdict.server + " server's grammar)",
          above);
      return;
    }
    const auto& stmts = list(parsed.tree, "stmts");
    report_.statements += stmts.size();
    if (!inside_block(lines, s.line) && (stmts.size() > 1 || goose_would_split(s.sql))) {
      const std::size_t at = stmts.size() > 1 ? first_token(s.sql, stmts[1].value("stmt_location", 0), nullptr) : 0;
      add(m, where, "statement-block", at,
          stmts.size() > 1 ? std::to_string(stmts.size()) +
                                 " statements outside StatementBegin/End are one statement to goose only by accident"
                           : "a line inside this statement ends in ';': goose, which does not read quotes, "
                             "would cut the statement there",
          above);
    }
    for (std::size_t i = 0; i < stmts.size(); ++i) {
      std::set<std::string> suppressed = i == 0 ? above : std::set<std::string>{};
      const std::size_t start = stmts[i].value("stmt_location", 0);
      const std::size_t token = first_token(s.sql, start, &suppressed);
      for (auto& h : check_statement(stmts[i], ctx)) {
        const std::size_t offset = static_cast<std::size_t>(h.offset) == start ? token : h.offset;
        add(m, where, h.rule, offset, std::move(h.message), suppressed);
      }
    }
  }

  const module_set& set_;
  const lint_options& options_;
  std::map<std::string, const std::string*> texts_;
  std::map<std::string, std::string> schema_owners_;
  std::map<std::string, int> schema_positions_;
  std::map<std::string, std::set<std::string>> dependency_schemas_;  // module -> schemas of its depends_on
  std::set<std::string> created_by_up_;
  lint_report report_;
};

}  // namespace

lint_report lint_module_set(const module_set& set, const source_tree& tree, const lint_options& options) {
  return linter(set, tree, options).run();
}

std::vector<problem> undeclared_dependencies(const module_set& set, const source_tree& tree) {
  lint_options only_this_rule;
  for (const auto& rule : lint_rules()) only_this_rule.severity[rule.id] = lint_severity::off;
  only_this_rule.severity[dependency_rule] = lint_severity::error;
  std::vector<problem> problems;
  for (const auto& f : lint_module_set(set, tree, only_this_rule).findings)
    problems.push_back({f.path, f.line,
                        "column " + std::to_string(f.column) + ": " + f.message + " (lint rule " + f.rule + ")"});
  return problems;
}

}  // namespace migrator
