#include "migrator/assembler.h"

#include "migrator/code_migration.h"
#include "migrator/code_source.h"

#include <yaml-cpp/yaml.h>

#include "migrator/baseline.h"
#include "migrator/postgres_versions.h"
#include "migrator/suggest.h"
#include "modules/digest_cache.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>

namespace migrator {

namespace {

// A module's position is its namespace: p owns p*1000+1 .. p*1000+999. Past 999
// modules the versions would need a seventh digit and stop sorting like the
// five-digit file names beside them; 999 modules is far beyond any monolith.
constexpr int max_position = 999;

// PostgreSQL's reserved key words (and the ones reserved except as function or
// type names): an unquoted schema with one of these names is a syntax error.
const std::set<std::string>& reserved_words() {
  // clang-format off
  static const std::set<std::string> words{
      "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization",
      "binary", "both", "case", "cast", "check", "collate", "collation", "column", "concurrently",
      "constraint", "create", "cross", "current_catalog", "current_date", "current_role",
      "current_schema", "current_time", "current_timestamp", "current_user", "default", "deferrable",
      "desc", "distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign", "freeze",
      "from", "full", "grant", "group", "having", "ilike", "in", "initially", "inner", "intersect",
      "into", "is", "isnull", "join", "lateral", "leading", "left", "like", "limit", "localtime",
      "localtimestamp", "natural", "not", "notnull", "null", "offset", "on", "only", "or", "order",
      "outer", "overlaps", "placing", "primary", "references", "returning", "right", "select",
      "session_user", "similar", "some", "symmetric", "table", "tablesample", "then", "to",
      "trailing", "true", "union", "unique", "user", "using", "variadic", "verbose", "when", "where",
      "window", "with"};
  // clang-format on
  return words;
}

// Why `name` cannot be used unquoted as a schema name, or "" if it can.
std::string identifier_problem(const std::string& name) {
  if (name.empty()) return "is empty";
  if (name.size() > 63) return "is longer than 63 bytes (PostgreSQL truncates identifiers)";
  if (!(name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z')))
    return "must start with a lower-case letter or '_'";
  for (char c : name)
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
      return "may contain only lower-case letters, digits and '_' (an unquoted PostgreSQL identifier)";
  if (reserved_words().count(name)) return "is a reserved word in PostgreSQL";
  return "";
}

int line_of(const YAML::Mark& mark) { return mark.line >= 0 ? mark.line + 1 : 0; }

std::string in_quotes(const std::string& s) { return "'" + s + "'"; }

// "18" -> 18; 0 for anything that is not a supported major version.
int postgres_major_value(const std::string& text) {
  if (text.empty() || text.size() > 2 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return 0;
  const int major = std::stoi(text);
  return major >= oldest_supported_postgres_major ? major : 0;
}

// One name of a depends_on list, with the line it is written on.
struct listed_dependency {
  std::string name;
  int line = 0;
};

struct listed_module {
  module_spec spec;
  int line = 0;
  std::vector<listed_dependency> dependencies;  // as written; check_dependencies keeps the valid ones
  bool name_ok = true;  // a bad name is one problem, not also a missing folder
  bool in_set = false;  // false for duplicates and positions past max_position
};

struct manifest {
  bool usable = false;  // parsed and shaped well enough to know the module list
  // False when an entry's name could not be read: a folder may then be that
  // entry's, so it is not also reported as unlisted.
  bool every_entry_named = true;
  std::vector<listed_module> modules;
};

class manifest_reader {
 public:
  manifest_reader(const std::string& path, std::vector<problem>& problems)
      : path_(path), problems_(problems) {}

  manifest read(const std::string& text) {
    manifest result;
    std::vector<YAML::Node> documents;
    try {
      documents = YAML::LoadAll(text);
    } catch (const YAML::Exception& e) {
      report(line_of(e.mark), "is not valid YAML: " + e.msg);
      return result;
    }
    if (documents.size() > 1) {
      report(line_of(documents[1].Mark()), "holds more than one YAML document; expected one");
      return result;
    }
    if (documents.empty() || documents[0].IsNull()) {
      report(1, "is empty; expected a 'modules:' list");
      return result;
    }
    const YAML::Node& root = documents[0];
    if (!root.IsMap()) {
      report(line_of(root.Mark()), "expected a mapping with a 'modules:' list at the top");
      return result;
    }
    YAML::Node list;
    bool found = false;
    for (const auto& kv : root) {
      const std::string key = key_text(kv.first);
      if (key == "modules") {
        if (found) {
          report(line_of(kv.first.Mark()), "duplicate key 'modules'");
          return result;
        }
        found = true;
        list = kv.second;
      } else {
        report(line_of(kv.first.Mark()),
               "unknown key " + in_quotes(key) + " (the only top-level key is 'modules')");
      }
    }
    if (!found) {
      report(line_of(root.Mark()), "has no 'modules:' list");
      return result;
    }
    if (!list.IsSequence()) {
      report(line_of(list.Mark()), "'modules' must be a list of '- name: <module>' entries");
      return result;
    }

    result.usable = true;
    int position = 0;
    for (const auto& item : list) {
      ++position;  // a malformed entry still holds its place: later namespaces must not shift
      if (auto entry = read_entry(item, position))
        result.modules.push_back(std::move(*entry));
      else
        result.every_entry_named = false;
    }
    return result;
  }

 private:
  std::optional<listed_module> read_entry(const YAML::Node& item, int position) {
    const int line = line_of(item.Mark());
    if (!item.IsMap()) {
      report(line, "module entry " + std::to_string(position) + " must be a mapping like '- name: billing'");
      return std::nullopt;
    }
    listed_module m;
    m.line = line;
    m.spec.position = position;
    std::set<std::string> seen;
    std::optional<std::string> schema;
    bool has_name = false;
    for (const auto& kv : item) {
      const std::string key = key_text(kv.first);
      const int key_line = line_of(kv.first.Mark());
      if (!seen.insert(key).second) {
        report(key_line, "duplicate key " + in_quotes(key) + " in module entry " + std::to_string(position));
        continue;
      }
      if (key != "name" && key != "schema" && key != "description" && key != "requires_postgres" &&
          key != "depends_on") {
        report(key_line, "unknown key " + in_quotes(key) + " in module entry " + std::to_string(position) +
                             " (known keys: name, schema, description, requires_postgres, depends_on)");
        continue;
      }
      if (key == "depends_on") {
        read_dependencies(kv.second, key_line, m);
        continue;
      }
      if (!kv.second.IsScalar()) {
        report(line_of(kv.second.Mark()), in_quotes(key) + " must be a string");
        if (key == "name") return std::nullopt;
        continue;
      }
      const std::string& value = kv.second.Scalar();
      if (key == "name") {
        has_name = true;
        m.spec.name = value;
        if (auto why = identifier_problem(value); !why.empty()) {
          report(key_line, "module name " + in_quotes(value) + " " + why);
          m.name_ok = false;
        }
      } else if (key == "schema") {
        schema = value;
        if (auto why = identifier_problem(value); !why.empty())
          report(key_line, "schema " + in_quotes(value) + " " + why);
        else if (value.compare(0, 3, "pg_") == 0)
          report(key_line, "schema " + in_quotes(value) + " starts with 'pg_', which PostgreSQL reserves");
      } else if (key == "requires_postgres") {
        m.spec.requires_postgres = postgres_major_value(value);
        if (m.spec.requires_postgres == 0)
          report(key_line, "requires_postgres " + in_quotes(value) + " must be a PostgreSQL major version from " +
                               std::to_string(oldest_supported_postgres_major) + " on, like 18");
      } else {
        m.spec.description = value;
      }
    }
    if (!has_name) {
      report(line, "module entry " + std::to_string(position) + " has no 'name'");
      return std::nullopt;
    }
    m.spec.schema = schema.value_or(m.spec.name);
    if (!schema && m.spec.name.compare(0, 3, "pg_") == 0)
      report(line, "module " + in_quotes(m.spec.name) +
                       " needs a 'schema:': names starting with 'pg_' are reserved");
    return m;
  }

  // A list only, flow or block style: a lone name would read the same as the
  // common slip "depends_on: db, identity" (one name with a comma in it).
  void read_dependencies(const YAML::Node& value, int key_line, listed_module& m) {
    if (value.IsNull()) return;  // "depends_on:" with nothing after it: no dependencies
    if (!value.IsSequence()) {
      report(key_line, "depends_on must be a list of module names, like 'depends_on: [db, identity]'" +
                           (value.IsScalar() ? ", not " + in_quotes(value.Scalar()) : std::string()));
      return;
    }
    for (const auto& item : value) {
      if (!item.IsScalar() || item.Scalar().empty()) {
        report(line_of(item.Mark()), "depends_on of module entry " + std::to_string(m.spec.position) +
                                         " holds something other than a module name");
        continue;
      }
      m.dependencies.push_back({item.Scalar(), line_of(item.Mark())});
    }
  }

  std::string key_text(const YAML::Node& key) { return key.IsScalar() ? key.Scalar() : "<non-scalar key>"; }

  void report(int line, const std::string& message) { problems_.push_back({path_, line, message}); }

  const std::string& path_;
  std::vector<problem>& problems_;
};

std::string join(const std::string& root, const std::string& rest) {
  return root == "/" ? root + rest : root + "/" + rest;
}

std::string_view base_name(std::string_view path) {
  auto slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool tree_reported(const source_tree& tree, const std::string& path) {
  return std::any_of(tree.problems.begin(), tree.problems.end(),
                     [&](const problem& p) { return p.path == path; });
}

// Each dependency must name a module listed above the dependent one: then its
// migrations run first on a fresh database, and no cycle can form (a cycle
// needs some module to depend on a later one). Keeps the valid names in
// spec.depends_on; every other one is a problem on the line it is written on.
void check_dependencies(manifest& m, const std::string& manifest_path, std::vector<problem>& problems) {
  std::map<std::string, const listed_module*> by_name;
  std::vector<std::string> names;
  for (const auto& entry : m.modules)
    if (entry.name_ok && by_name.emplace(entry.spec.name, &entry).second) names.push_back(entry.spec.name);
  for (auto& entry : m.modules) {
    const std::string& name = entry.spec.name;
    std::set<std::string> seen;
    for (const auto& dependency : entry.dependencies) {
      auto report = [&](const std::string& message) {
        problems.push_back({manifest_path, dependency.line, "module " + in_quotes(name) + " " + message});
      };
      const std::string& target = dependency.name;
      if (!seen.insert(target).second) {
        report("lists " + in_quotes(target) + " twice in depends_on");
        continue;
      }
      if (target == name) {
        report("depends on itself; depends_on names other modules, listed above it");
        continue;
      }
      auto it = by_name.find(target);
      if (it == by_name.end()) {
        const auto suggestion = closest_match(target, names);
        report("depends on " + in_quotes(target) + ", which is not a module in " + manifest_path +
               (suggestion ? " (did you mean " + in_quotes(*suggestion) + "?)" : std::string()));
        continue;
      }
      const listed_module& other = *it->second;
      if (other.spec.position > entry.spec.position) {
        const bool mutual = std::any_of(other.dependencies.begin(), other.dependencies.end(),
                                        [&](const listed_dependency& d) { return d.name == name; });
        const std::string where = " (position " + std::to_string(other.spec.position) + "; " + in_quotes(name) +
                                  " is at " + std::to_string(entry.spec.position) + ")";
        if (mutual)
          report("and module " + in_quotes(target) + " depend on each other" + where +
                 ": a cycle; a module may depend only on modules listed above it, so one of the two must stop "
                 "using the other");
        else
          report("depends on " + in_quotes(target) + ", which comes later in " + manifest_path + where +
                 ": on a fresh database its migrations have not run yet when " + in_quotes(name) +
                 "'s do; a module may depend only on modules listed above it (which also rules out cycles)");
        continue;
      }
      entry.spec.depends_on.push_back(target);
    }
  }
}

// Checks positions, duplicate names and schemas; fills set.modules in manifest order.
void check_modules(manifest& m, const std::string& manifest_path, assembly& result) {
  std::map<std::string, const listed_module*> by_name, by_schema;
  for (auto& entry : m.modules) {
    const auto& spec = entry.spec;
    auto report = [&](const std::string& message) {
      result.problems.push_back({manifest_path, entry.line, message});
    };
    if (!entry.name_ok) continue;
    if (spec.position > max_position) {
      report("module " + in_quotes(spec.name) + " is at position " + std::to_string(spec.position) +
             ", past the last namespace: at most " + std::to_string(max_position) +
             " modules fit (versions up to " +
             std::to_string(max_position * namespace_size + namespace_size - 1) + ")");
      continue;
    }
    if (auto [it, added] = by_name.emplace(spec.name, &entry); !added) {
      report("module " + in_quotes(spec.name) + " is listed twice (first at line " +
             std::to_string(it->second->line) + ")");
      continue;
    }
    if (auto [it, added] = by_schema.emplace(spec.schema, &entry); !added)
      report("schema " + in_quotes(spec.schema) + " of module " + in_quotes(spec.name) +
             " is already owned by module " + in_quotes(it->second->spec.name) +
             "; each module owns its own schema");
    entry.in_set = true;
    result.set.modules.push_back(spec);
  }
}

// A code migration's text says what it declares; its compiled definition, when
// the source has one, must be the one built from this file.
migration_body code_body(const source_file& file, const std::string& file_name) {
  auto report = [&](int line, const std::string& message) {
    throw parse_error(problem{file.path, line, message});
  };
  const code_source_info info = read_code_source(file.content, file.path);
  migration_body body;
  body.use_transaction = info.use_transaction;
  if (file.code) {
    if (file_name != file.code->file)
      report(info.line, "the compiled code migration linked here was built from " + in_quotes(file.code->file) +
                            ", not from this file");
    else if (!file.code->has_up())
      report(info.line, "the compiled code migration has no up function");
    else if (file.code->use_transaction != info.use_transaction)
      report(info.line, "the compiled code migration disagrees with this file about its transaction");
  }
  return body;
}

// Parses `file` into m's body now; a malformed file is a problem of the set (false).
bool parse_body(migration& m, const source_file& file, const env_lookup& env, assembly& result) {
  try {
    m.set_body(parse_migration(file.content, file.path, env));
    return true;
  } catch (const parse_error& e) {
    result.problems.push_back(e.where());
  } catch (const std::exception& e) {
    result.problems.push_back({file.path, 0, e.what()});
  }
  return false;
}

// A name that travels in history rows and status lines: no spaces, no quoting.
bool plain_side_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// A file of migrations/repeatable/ or migrations/callbacks/ (docs/module-authors.md).
void add_side_file(source_file& file, migration_role role, const module_spec* owner,
                   const std::shared_ptr<const env_lookup>& env, parse_time when, assembly& result) {
  auto report = [&](int line, const std::string& message) { result.problems.push_back({file.path, line, message}); };
  const std::string_view file_name = base_name(file.path);
  if (file_name.size() <= 4 || file_name.compare(file_name.size() - 4, 4, ".sql") != 0) return;
  const std::string name(file_name.substr(0, file_name.size() - 4));
  bool valid = true;
  if (role == migration_role::repeatable && !plain_side_name(name)) {
    report(0, "a repeatable migration's name may contain only letters, digits, '_' and '-'");
    valid = false;
  }
  if (role == migration_role::callback && !is_callback_event(name)) {
    std::vector<std::string> events(std::begin(callback_events), std::end(callback_events));
    std::string expected;
    for (const auto& e : events) expected += (expected.empty() ? "" : ", ") + e + ".sql";
    const auto near = closest_match(name, events);
    report(0, "is not a callback: a module's migrations/callbacks/ holds only " + expected +
                  (near ? " (did you mean " + *near + ".sql?)" : ""));
    valid = false;
  }
  const char* what = role == migration_role::repeatable ? "a repeatable migration" : "a callback";
  try {
    const auto header = read_migrator_header(file.content, file.path);
    if (header.baseline) {
      report(header.baseline->line, std::string(what) + " cannot be a baseline (only a versioned migration replaces others)");
      valid = false;
    }
    if (header.contract) {
      report(header.contract->line, std::string(what) + " cannot be a contract migration (only a versioned one is deferred)");
      valid = false;
    }
  } catch (const parse_error& e) {
    result.problems.push_back(e.where());
    valid = false;
  }
  migration m;
  m.role = role;
  // Callbacks are few and short, and their Down must be checked: parsed now, always.
  if (when == parse_time::now || role == migration_role::callback) {
    if (!parse_body(m, file, *env, result)) {
      valid = false;
    } else if (role == migration_role::callback && !m.body().down.empty()) {
      report(m.body().down.front().line, "a callback has no Down section: it runs around a run, and nothing undoes it");
      valid = false;
    }
  }
  if (!valid || !owner) return;
  m.name = name;
  m.module = owner->name;
  m.path = file.path;
  m.checksum = file.checksum ? std::move(*file.checksum) : migration_checksum(file.content);
  if (when == parse_time::on_use && role == migration_role::repeatable) m.set_text(std::move(file.content), env);
  (role == migration_role::repeatable ? result.set.repeatables : result.set.callbacks).push_back(std::move(m));
}

// Which file claimed each version first, in a block of 1,000 slots per module
// namespace a version falls in (p*1000+1 to p*1000+999, and p*1000+1000
// beside them), allocated when the first version of that namespace comes.
// A folder's files come in version order, so its claims walk one block
// front to back. A hash table touched a place of its own per migration, and
// the load of that slot took about 70% of add_migrations' own samples (perf
// annotate, W5 status); this took assemble from 3.4 to 2.6 ms there.
class version_claims {
 public:
  // The path that claimed `version` (positive: parse_file_name gives no
  // other), and whether it is `path`, claimed now.
  std::pair<std::string_view*, bool> claim(std::int64_t version, std::string_view path) {
    const std::int64_t namespace_of = (version - 1) / block_size;
    if (!last_ || last_namespace_ != namespace_of) {
      // One search: where the namespace's block is, or goes.
      const auto found = blocks_.lower_bound(namespace_of);
      if (found != blocks_.end() && found->first == namespace_of) {
        last_ = &found->second;
      } else if (blocks_.size() < max_blocks) {
        last_ = &blocks_.emplace_hint(found, namespace_of, std::vector<std::string_view>(block_size))->second;
      } else {
        // A set whose versions scatter over more namespaces than a set has
        // modules (each such file is a problem already): one node a version,
        // not 16 KB a namespace.
        const auto [it, added] = scattered_.emplace(version, path);
        return {&it->second, added};
      }
      last_namespace_ = namespace_of;
    }
    std::string_view& slot = (*last_)[static_cast<std::size_t>((version - 1) % block_size)];
    if (slot.data()) return {&slot, false};  // a claimed path is a view of a string: never null
    slot = path;
    return {&slot, true};
  }

 private:
  static constexpr std::int64_t block_size = 1000;
  static constexpr std::size_t max_blocks = 1000;  // module positions run from 1 to 999
  std::map<std::int64_t, std::vector<std::string_view>> blocks_;  // nodes and blocks never move
  std::map<std::int64_t, std::string_view> scattered_;  // versions of namespaces past max_blocks
  std::vector<std::string_view>* last_ = nullptr;
  std::int64_t last_namespace_ = 0;
};

void add_migrations(source_folder& folder, backend_kind backend, const module_spec* owner, const module_set& set,
                    const std::shared_ptr<const env_lookup>& env, parse_time when,
                    version_claims& seen_versions, assembly& result) {
  for (auto& file : folder.files_for(backend)) {
    auto report = [&](int line, const std::string& message) {
      result.problems.push_back({file.path, line, message});
    };
    if (const migration_role role = file_role(file.path); role != migration_role::versioned) {
      add_side_file(file, role, owner, env, when, result);
      continue;
    }
    const std::string_view file_name = base_name(file.path);
    const bool is_code = file_name.size() >= 4 && file_name.substr(file_name.size() - 4) == ".cpp";
    auto parts = is_code ? parse_code_file_name(file_name) : parse_file_name(file_name);
    if (!parts) continue;  // neither .sql nor .cpp: not a migration
    bool valid = true;
    // The version's entry in seen_versions when this file claimed it first: its
    // view follows the path into the migration, which takes the path over.
    std::string_view* claimed = nullptr;
    if (!parts->version) {
      report(0, is_code ? "has no numeric version prefix (expected <version>_<title>.cpp, e.g. "
                          "04003_backfill_invoice_totals.cpp)"
                        : "has no numeric version prefix (expected <version>_<title>.sql, e.g. 02001_identity_init.sql)");
      valid = false;
    } else if (owner) {
      const std::int64_t version = *parts->version;
      if (version < owner->first_version() || version > owner->last_version()) {
        const module_spec* holder = set.module_for_version(version);
        report(0, "version " + std::to_string(version) + " is outside module " + in_quotes(owner->name) +
                      "'s namespace " + std::to_string(owner->first_version()) + ".." +
                      std::to_string(owner->last_version()) +
                      (holder ? "; it is in module " + in_quotes(holder->name) + "'s namespace"
                              : "; it is in no module's namespace"));
        valid = false;
      }
      if (auto [path, added] = seen_versions.claim(version, file.path); !added) {
        report(0, "duplicate version " + std::to_string(version) + ": " + std::string(*path) + " has it too");
        valid = false;
      } else {
        claimed = path;
      }
    }

    // A file the source did not read (its digest cache knew it): read now
    // when everything is parsed now, else on first use.
    if (file.content_deferred && (is_code || when == parse_time::now)) {
      try {
        file.content = detail::read_deferred_file(file.path);
        detail::check_deferred_file(file.path, file.content, file.checksum.value_or(""));
        file.content_deferred = false;
      } catch (const parse_error& e) {
        result.problems.push_back(e.where());
        continue;
      }
    }
    migration m;
    if (is_code) {
      // A code migration's text is read now: it is short, and the checks are the build's.
      try {
        m.kind = migration_kind::code;
        m.set_body(code_body(file, std::string(file_name)));
        m.code = file.code;
      } catch (const parse_error& e) {
        result.problems.push_back(e.where());
        valid = false;
      }
    } else if (when == parse_time::now) {
      valid = parse_body(m, file, *env, result) && valid;
    }
    try {
      // A deferred file has no "+migrator" header (the source cached only such files).
      auto header = file.content_deferred ? migrator_header{} : read_migrator_header(file.content, file.path);
      m.baseline = std::move(header.baseline);
      m.contract = header.contract;
    } catch (const parse_error& e) {
      result.problems.push_back(e.where());
      valid = false;
    }
    if (!valid || !owner) continue;
    m.version = *parts->version;
    m.name = std::move(parts->name);
    m.module = owner->name;
    m.path = std::move(file.path);  // the tree is the assembler's own (taken by value)
    m.checksum = file.checksum ? std::move(*file.checksum) : migration_checksum(file.content);
    if (!is_code && file.content_deferred)
      m.set_text_reader([](const migration& self) { return detail::read_deferred_file(self.path); },
                        [](const migration& self, std::string_view text) {
                          detail::check_deferred_file(self.path, text, self.checksum);
                        },
                        env);
    else if (!is_code && when == parse_time::on_use)
      m.set_text(std::move(file.content), env);
    result.set.migrations.push_back(std::move(m));
    if (claimed) *claimed = result.set.migrations.back().path;
  }
}

// A baseline replaces the module's earlier migrations: it lists versions of
// its own module below itself, and no file older than it remains.
void check_baselines(assembly& result) {
  auto& migrations = result.set.migrations;
  std::vector<bool> drop(migrations.size(), false);
  for (const auto& b : migrations) {
    if (!b.baseline) continue;
    const module_spec* owner = result.set.module_for_version(b.version);
    const auto& replaces = b.baseline->replaces;
    for (const std::int64_t v : replaces) {
      if (v >= b.version || !owner || v < owner->first_version()) {
        result.problems.push_back(
            {b.path, b.baseline->line,
             "baseline " + std::to_string(b.version) + " may replace only earlier versions of module " +
                 in_quotes(b.module) + " (" + std::to_string(owner ? owner->first_version() : 0) + ".." +
                 std::to_string(b.version - 1) + "), not " + std::to_string(v)});
        break;
      }
    }
    for (std::size_t i = 0; i < migrations.size(); ++i) {
      const migration& old = migrations[i];
      if (old.module != b.module || old.version >= b.version) continue;
      drop[i] = true;
      if (std::binary_search(replaces.begin(), replaces.end(), old.version))
        result.problems.push_back({old.path, 0,
                                   "is replaced by baseline " + b.path +
                                       ": delete it (the baseline holds its schema)"});
      else
        result.problems.push_back({old.path, 0,
                                   "is older than baseline " + b.path + " but not among the versions it replaces (" +
                                       format_versions(replaces) +
                                       "): a baseline replaces every earlier migration of its module"});
    }
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < migrations.size(); ++i)
    if (!drop[i]) {
      if (kept != i) migrations[kept] = std::move(migrations[i]);
      ++kept;
    }
  migrations.resize(kept);
}

int position_of(const module_set& set, const std::string& module) {
  for (const auto& m : set.modules)
    if (m.name == module) return m.position;
  return 0;
}

}  // namespace

const module_spec* module_set::module_for_version(std::int64_t version) const {
  for (const auto& m : modules)
    if (version >= m.first_version() && version <= m.last_version()) return &m;
  return nullptr;
}

assembly assemble(source_tree tree, const env_lookup& env, parse_time when, backend_kind backend) {
  assembly result;
  const auto shared_env = std::make_shared<const env_lookup>(env);
  result.problems = tree.problems;

  manifest listed;
  if (tree.manifest_text) {
    listed = manifest_reader(tree.manifest_path, result.problems).read(*tree.manifest_text);
  } else if (!tree_reported(tree, tree.manifest_path) && !tree_reported(tree, tree.root)) {
    result.problems.push_back(
        {tree.manifest_path, 0, "not found: a module set lists its modules in modules.yaml"});
  }
  check_dependencies(listed, tree.manifest_path, result.problems);
  check_modules(listed, tree.manifest_path, result);

  std::map<std::string, const source_folder*> folders;
  for (const auto& f : tree.folders) folders.emplace(f.name, &f);
  for (const auto& entry : listed.modules) {
    if (!entry.in_set) continue;
    auto it = folders.find(entry.spec.name);
    const std::string dir = join(tree.root, entry.spec.name);
    if (it == folders.end())
      result.problems.push_back(
          {tree.manifest_path, entry.line, "module " + in_quotes(entry.spec.name) + " has no folder " + dir});
    else if (!it->second->has_migrations_dir && !tree_reported(tree, join(dir, "migrations")))
      result.problems.push_back({tree.manifest_path, entry.line,
                                 "module " + in_quotes(entry.spec.name) + " has no migrations directory " +
                                     join(dir, "migrations") + " (create it, even empty)"});
    else if (backend == backend_kind::sqlite && !it->second->files.empty() && !it->second->has_sqlite_dir &&
             !tree_reported(tree, join(dir, "migrations/sqlite")))
      result.problems.push_back({tree.manifest_path, entry.line,
                                 "module " + in_quotes(entry.spec.name) + " has no SQLite migrations: create " +
                                     join(dir, "migrations/sqlite") + " with the same versions and names as " +
                                     join(dir, "migrations") + " (docs/sqlite.md)"});
  }

  std::size_t file_count = 0;
  for (const auto& folder : tree.folders) file_count += folder.files_for(backend).size();
  version_claims seen_versions;  // the paths stay in `tree` until assemble returns
  result.set.migrations.reserve(file_count);  // no moving of every migration as the set grows
  for (auto& folder : tree.folders) {
    const module_spec* owner = nullptr;
    for (const auto& spec : result.set.modules)
      if (spec.name == folder.name) owner = &spec;
    const bool listed_somewhere =
        std::any_of(listed.modules.begin(), listed.modules.end(),
                    [&](const listed_module& e) { return e.spec.name == folder.name; });
    if (listed.usable && listed.every_entry_named && !listed_somewhere)
      result.problems.push_back({join(tree.root, folder.name), 0,
                                 "folder is not a module listed in " + tree.manifest_path +
                                     "; append '- name: " + folder.name + "' to its modules list"});
    // Files are parsed even without an owner, so every parse error shows in one run.
    add_migrations(folder, backend, owner, result.set, shared_env, when, seen_versions, result);
  }

  const auto by_version = [](const migration& a, const migration& b) { return a.version < b.version; };
  // Folders named in manifest order hold their files in version order already.
  if (!std::is_sorted(result.set.migrations.begin(), result.set.migrations.end(), by_version))
    std::sort(result.set.migrations.begin(), result.set.migrations.end(), by_version);
  check_baselines(result);
  // Module order, then file name: the order they run in.
  const auto in_run_order = [&](const migration& a, const migration& b) {
    const int pa = position_of(result.set, a.module), pb = position_of(result.set, b.module);
    return pa != pb ? pa < pb : a.name < b.name;
  };
  std::stable_sort(result.set.repeatables.begin(), result.set.repeatables.end(), in_run_order);
  for (auto& r : result.set.repeatables)
    for (const auto& m : result.set.migrations)
      if (m.module == r.module) r.known_version = std::max(r.known_version, m.version);
  std::stable_sort(result.set.callbacks.begin(), result.set.callbacks.end(), in_run_order);
  return result;
}

bool is_callback_event(std::string_view name) noexcept {
  return std::any_of(std::begin(callback_events), std::end(callback_events),
                     [&](const char* e) { return name == e; });
}

bool has_sqlite_migrations(const source_tree& tree) {
  return std::any_of(tree.folders.begin(), tree.folders.end(), [](const source_folder& f) { return f.has_sqlite_dir; });
}

std::vector<problem> compare_backend_sets(const module_set& postgres, const module_set& sqlite) {
  std::map<std::int64_t, const migration*> pg, lite;
  for (const auto& m : postgres.migrations) pg.emplace(m.version, &m);
  for (const auto& m : sqlite.migrations) lite.emplace(m.version, &m);
  std::vector<problem> problems;
  for (const auto& [version, m] : pg) {
    auto it = lite.find(version);
    if (it == lite.end())
      problems.push_back({m->path, 0, "has no SQLite counterpart: module " + in_quotes(m->module) + " has no " +
                                          "version " + std::to_string(version) + " in its migrations/sqlite/"});
    else if (it->second->name != m->name)
      problems.push_back({it->second->path, 0, "is named " + in_quotes(it->second->name) + " but its PostgreSQL " +
                                                   "counterpart " + m->path + " is named " + in_quotes(m->name) +
                                                   ": both backends use the same file name"});
  }
  for (const auto& [version, m] : lite)
    if (!pg.count(version))
      problems.push_back({m->path, 0, "has no PostgreSQL counterpart: module " + in_quotes(m->module) +
                                          " has no version " + std::to_string(version) + " in its migrations/"});
  std::sort(problems.begin(), problems.end(),
            [](const problem& a, const problem& b) { return a.path < b.path; });
  return problems;
}

}  // namespace migrator
