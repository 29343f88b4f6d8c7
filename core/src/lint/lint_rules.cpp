#include "lint/lint_rules.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace migrator {

namespace {

using json = parse_tree;

// What list() and object() return for a missing member: a null, which iterates,
// finds and contains like an empty array or object, and which unlike them
// allocates nothing, so it does not pin parse_tree's arena for the process.
const json& absent() {
  static const json nothing;
  return nothing;
}

}  // namespace

const json& list(const json& node, const char* key) {
  auto it = node.find(key);
  return it != node.end() && it->is_array() ? *it : absent();
}

namespace {

// A member object by reference (value(key, json::object()) would copy it).
const json& object(const json& node, const char* key) {
  auto it = node.find(key);
  return it != node.end() && it->is_object() ? *it : absent();
}

std::string text(const json& node, const char* key) {
  auto it = node.find(key);
  return it != node.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool flag(const json& node, const char* key) {
  auto it = node.find(key);
  return it != node.end() && it->is_boolean() && it->get<bool>();
}

// The first non-negative "location" in the node, searched breadth first, else `fallback`.
int location_in(const json& node, int fallback) {
  if (!node.is_object() && !node.is_array()) return fallback;
  if (node.is_object()) {
    auto it = node.find("location");
    if (it != node.end() && it->is_number_integer() && it->get<int>() >= 0) return it->get<int>();
  }
  for (const auto& child : node) {
    int l = location_in(child, -1);
    if (l >= 0) return l;
  }
  return fallback;
}

// ["s","t"] from a list of {"String":{"sval":..}} nodes.
std::vector<std::string> names(const json& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    auto it = item.find("String");
    if (it != item.end()) out.push_back(text(*it, "sval"));
  }
  return out;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string s;
  for (const auto& p : parts) s += (s.empty() ? "" : ".") + p;
  return s;
}

std::string table_key(const json& range_var) {
  std::string schema = text(range_var, "schemaname"), rel = text(range_var, "relname");
  return schema.empty() ? rel : schema + "." + rel;
}

// What the phase rule drop-or-rename-object knows of an object kind other than a
// table: the word DROP uses, and its key in rule_context::new_tables. Views,
// materialized views and sequences are relations (the tables' key); functions
// and procedures share pg_proc, types and domains pg_type. Indexes, triggers,
// policies and constraints are not here: an older build's queries do not name
// them (a constraint only in ON CONFLICT ON CONSTRAINT, which lint leaves alone).
struct object_kind {
  const char* word;    // "VIEW"
  const char* prefix;  // "" for a relation, else "function ", "type ", "schema "
};

const object_kind* removable_kind(const std::string& object_type) {
  static const std::map<std::string, object_kind> kinds{
      {"OBJECT_VIEW", {"VIEW", ""}},
      {"OBJECT_MATVIEW", {"MATERIALIZED VIEW", ""}},
      {"OBJECT_SEQUENCE", {"SEQUENCE", ""}},
      {"OBJECT_FUNCTION", {"FUNCTION", "function "}},
      {"OBJECT_PROCEDURE", {"PROCEDURE", "function "}},
      {"OBJECT_ROUTINE", {"ROUTINE", "function "}},
      {"OBJECT_TYPE", {"TYPE", "type "}},
      {"OBJECT_DOMAIN", {"DOMAIN", "type "}},
      {"OBJECT_SCHEMA", {"SCHEMA", "schema "}},
  };
  auto it = kinds.find(object_type);
  return it == kinds.end() ? nullptr : &it->second;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Functions whose value differs per row: as a column default they force a table rewrite.
bool is_volatile_function(const std::string& name) {
  static const std::set<std::string> volatile_functions{
      "random", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4",
      "clock_timestamp", "timeofday", "nextval", "txid_current", "gen_random_bytes"};
  return volatile_functions.count(name) > 0;
}

// The name of a volatile function called anywhere in `expr`, or "".
std::string volatile_call_in(const json& expr) {
  if (expr.is_object()) {
    auto call = expr.find("FuncCall");
    if (call != expr.end()) {
      auto parts = names(list(*call, "funcname"));
      if (!parts.empty() && is_volatile_function(parts.back())) return parts.back();
    }
  }
  if (expr.is_object() || expr.is_array())
    for (const auto& child : expr) {
      std::string found = volatile_call_in(child);
      if (!found.empty()) return found;
    }
  return "";
}

class checker {
 public:
  checker(const json& entry, rule_context& ctx) : ctx_(ctx) {
    start_ = entry.value("stmt_location", 0);
    const json& stmt = entry.at("stmt");
    type_ = stmt.begin().key();
    node_ = &stmt.begin().value();
  }

  std::vector<rule_hit> run() {
    walk(*node_, start_, false);
    unqualified_relations();
    unqualified_names();
    foreign_schemas();
    undeclared_dependencies();
    report_undeclared_dependencies();
    if (ctx_.up) rollout();
    if (ctx_.up && ctx_.contract) contract_adds();
    learn();
    return std::move(hits_);
  }

 private:
  void hit(const char* rule, int offset, std::string message) {
    hits_.push_back(rule_hit{rule, offset < 0 ? start_ : offset, std::move(message)});
  }

  bool existing(const json& range_var) const { return !ctx_.new_tables.count(table_key(range_var)); }

  // ---- module rules ----

  // One walk over the statement's tree gathers what three module rules need:
  // the CTE names (a WITH name is no table), every table reference (a RangeVar)
  // and every schema-qualified name list. It looks at each node's members once,
  // in one pass over them, instead of a lookup per member a rule asks about: the
  // walk is most of what lint spends beyond parsing. What the rules conclude
  // waits until the walk is over, since a CTE may be named after its use (the
  // tree's keys are in alphabetical order) and foreign_schemas() first decides
  // which schemas this statement changes.
  void walk(const json& node, int at, bool in_relation) {
    if (node.is_array()) {
      for (const auto& child : node) walk(child, at, in_relation);
      return;
    }
    if (!node.is_object()) return;
    const json* location = nullptr;
    const json* relname = nullptr;
    const json* schemaname = nullptr;
    bool relpersistence = false;
    const json* name_lists[name_list_members] = {};
    for (auto it = node.begin(); it != node.end(); ++it) {
      const json& value = it.value();
      const member m = member_of(it.key());
      switch (m) {
        case member::location: location = &value; break;
        case member::ctename:
          if (value.is_string()) ctes_.insert(value.get_ref<const std::string&>());
          break;
        case member::relname: relname = &value; break;
        case member::relpersistence: relpersistence = true; break;
        case member::schemaname: schemaname = &value; break;
        case member::other: break;
        default:  // a name list
          if (value.is_array()) name_lists[static_cast<int>(m)] = &value;
      }
    }
    if (location && location->is_number_integer() && location->get<int>() >= 0) at = location->get<int>();
    const bool relation = relname && relpersistence;
    if (relation) {
      const std::string& schema = string_or_empty(schemaname);
      const std::string& rel = string_or_empty(relname);
      // Every table, view or sequence reference needs its schema: migrations
      // run without a search_path, so "accounts" would land in public.
      // pg_catalog is searched first whatever the search_path: pg_class needs none.
      if (!in_relation && schema.empty() && rel.rfind("pg_", 0) != 0)
        unqualified_relations_.push_back({rel, location_in(node, -1)});
      if (may_be_undeclared(schema)) references_.push_back({schema, table_key(node), at});
    }
    for (int k = 0; k < name_list_members; ++k) {
      if (!name_lists[k]) continue;
      const std::string* schema = qualifier(*name_lists[k]);
      if (schema && may_be_undeclared(*schema))
        references_.push_back({*schema, joined(names(*name_lists[k])) + (k == static_cast<int>(member::funcname) ? "()" : ""), at});
    }
    for (auto it = node.begin(); it != node.end(); ++it)
      if (it.key() != "location") walk(it.value(), at, in_relation || relation);
    if (&node == node_ && type_ == "DropStmt")
      for (const auto& parts : drop_targets())
        if (parts.size() >= 2 && may_be_undeclared(parts[parts.size() - 2]))
          references_.push_back({parts[parts.size() - 2], joined(parts), at});
  }

  // The members walk() reads. The name lists come first, in the order
  // undeclared-dependency has always reported a node's names, and index
  // walk()'s array of them.
  enum class member {
    funcname, names, objname, type_name, domainname, defnames, collname,
    location, ctename, relname, relpersistence, schemaname, other
  };
  static constexpr int name_list_members = static_cast<int>(member::location);
  // Told apart by length first: a node has a dozen members and the walk meets
  // every one of them.
  static member member_of(const std::string& key) {
    auto is = [&](const char* name) { return key.compare(name) == 0; };
    switch (key.size()) {
      case 5: return is("names") ? member::names : member::other;
      case 7:
        return is("ctename") ? member::ctename
               : is("relname") ? member::relname
               : is("objname") ? member::objname
                               : member::other;
      case 8:
        return is("location") ? member::location
               : is("funcname") ? member::funcname
               : is("typeName") ? member::type_name
               : is("defnames") ? member::defnames
               : is("collname") ? member::collname
                                : member::other;
      case 10:
        return is("schemaname") ? member::schemaname : is("domainname") ? member::domainname : member::other;
      case 14: return is("relpersistence") ? member::relpersistence : member::other;
      default: return member::other;
    }
  }

  static const std::string& string_or_empty(const json* value) {
    static const std::string empty;
    return value && value->is_string() ? value->get_ref<const std::string&>() : empty;
  }

  // The schema of a qualified name list (the next-to-last of its strings), or
  // null when it names fewer than two.
  static const std::string* qualifier(const json& items) {
    const std::string* last = nullptr;
    const std::string* before_last = nullptr;
    for (const auto& item : items) {
      auto it = item.find("String");
      if (it == item.end()) continue;
      auto sval = it->find("sval");
      before_last = last;
      last = &string_or_empty(sval == it->end() ? nullptr : &*sval);
    }
    return before_last;
  }

  void unqualified_relations() {
    for (const auto& [rel, offset] : unqualified_relations_)
      if (!ctes_.count(rel)) hit("unqualified-name", offset, "'" + rel + "' has no schema; write " + ctx_.schema + "." + rel);
  }

  void unqualified_name(const std::vector<std::string>& parts, const char* what, std::size_t needed = 2) {
    if (parts.empty() || parts.size() >= needed) return;
    hit("unqualified-name", location_in(*node_, -1),
        std::string(what) + " '" + joined(parts) + "' has no schema; write " + ctx_.schema + "." + parts.back());
  }

  void unqualified_names() {
    const json& n = *node_;
    if (type_ == "CreateFunctionStmt") unqualified_name(names(list(n, "funcname")), "function");
    if (type_ == "CreateTrigStmt") unqualified_name(names(list(n, "funcname")), "trigger function");
    if (type_ == "CreateEnumStmt" || type_ == "AlterEnumStmt") unqualified_name(names(list(n, "typeName")), "type");
    if (type_ == "CreateDomainStmt") unqualified_name(names(list(n, "domainname")), "domain");
    if (type_ == "DefineStmt") unqualified_name(names(list(n, "defnames")), "object");
    if (type_ == "DropStmt") {
      const std::string kind = text(n, "removeType");
      if (kind == "OBJECT_SCHEMA" || kind == "OBJECT_EXTENSION" || kind == "OBJECT_ROLE") return;
      const std::size_t needed = kind == "OBJECT_TRIGGER" || kind == "OBJECT_POLICY" || kind == "OBJECT_RULE" ? 3 : 2;
      for (const auto& parts : drop_targets()) unqualified_name(parts, "object", needed);
    }
  }

  std::vector<std::vector<std::string>> drop_targets() const {
    std::vector<std::vector<std::string>> out;
    for (const auto& object : list(*node_, "objects")) {
      if (object.contains("List")) out.push_back(names(list(object["List"], "items")));
      else if (object.contains("ObjectWithArgs")) out.push_back(names(list(object["ObjectWithArgs"], "objname")));
      else if (object.contains("TypeName")) out.push_back(names(list(object["TypeName"], "names")));
    }
    return out;
  }

  void foreign_schema(const std::string& schema, int offset) {
    if (schema.empty() || schema == ctx_.schema) return;
    std::string owner;
    if (ctx_.schema_owners) {
      auto it = ctx_.schema_owners->find(schema);
      if (it != ctx_.schema_owners->end()) owner = it->second;
    }
    changed_schemas_.insert(schema);
    hit("foreign-schema", offset,
        "changes schema '" + schema + "'" + (owner.empty() ? "" : " of module '" + owner + "'") + "; module '" +
            ctx_.module + "' owns only schema '" + ctx_.schema + "'");
  }

  void foreign_relation(const json& range_var) {
    if (range_var.is_object()) foreign_schema(text(range_var, "schemaname"), location_in(range_var, -1));
  }

  void foreign_schemas() {
    const json& n = *node_;
    static const std::map<std::string, const char*> relation_targets{
        {"CreateStmt", "relation"},     {"AlterTableStmt", "relation"}, {"IndexStmt", "relation"},
        {"CreateTrigStmt", "relation"}, {"ViewStmt", "view"},           {"CreateSeqStmt", "sequence"},
        {"AlterSeqStmt", "sequence"},   {"RenameStmt", "relation"},     {"CreatePolicyStmt", "table"},
        {"AlterPolicyStmt", "table"},   {"InsertStmt", "relation"},     {"UpdateStmt", "relation"},
        {"DeleteStmt", "relation"},     {"CompositeTypeStmt", "typevar"}};
    if (auto it = relation_targets.find(type_); it != relation_targets.end() && n.contains(it->second))
      foreign_relation(n[it->second]);
    if (type_ == "CreateTableAsStmt" && n.contains("into")) foreign_relation(object(n["into"], "rel"));
    if (type_ == "TruncateStmt" || (type_ == "GrantStmt" && text(n, "objtype") == "OBJECT_TABLE"))
      for (const auto& r : list(n, type_ == "TruncateStmt" ? "relations" : "objects"))
        if (r.contains("RangeVar")) foreign_relation(r["RangeVar"]);
    if (type_ == "CreateSchemaStmt") foreign_schema(text(n, "schemaname"), start_);
    auto qualified = [&](const std::vector<std::string>& parts) {
      if (parts.size() >= 2) foreign_schema(parts.front(), location_in(n, -1));
    };
    if (type_ == "CreateFunctionStmt") qualified(names(list(n, "funcname")));
    if (type_ == "CreateEnumStmt" || type_ == "AlterEnumStmt") qualified(names(list(n, "typeName")));
    if (type_ == "CreateDomainStmt") qualified(names(list(n, "domainname")));
    if (type_ == "DefineStmt") qualified(names(list(n, "defnames")));
    if (type_ == "DropStmt") {
      const std::string kind = text(n, "removeType");
      if (kind == "OBJECT_SCHEMA") {
        for (const auto& object : list(n, "objects"))
          if (object.contains("String")) foreign_schema(text(object["String"], "sval"), start_);
      } else if (kind != "OBJECT_EXTENSION" && kind != "OBJECT_ROLE") {
        const std::size_t needed = kind == "OBJECT_TRIGGER" || kind == "OBJECT_POLICY" || kind == "OBJECT_RULE" ? 3 : 2;
        for (const auto& parts : drop_targets())
          if (parts.size() >= needed) foreign_schema(parts.front(), location_in(n, -1));
      }
    }
  }

  // Every schema-qualified name the parse tree holds outside string literals and
  // function bodies: relations (FROM, JOIN, REFERENCES, INSERT/UPDATE/DELETE
  // targets, CREATE INDEX ON), called and trigger functions, types and casts,
  // DROP and COMMENT targets. A module's migrations may name only its own schema
  // and those of the modules it declares in depends_on; every module of them runs
  // earlier on a fresh database. Reported once per schema and statement, at its
  // first name (the tree's keys are in no textual order, hence the offsets are
  // compared); not where foreign-schema already reports a change to that schema.
  // walk() collected the names; this runs after foreign_schemas().
  void undeclared_dependencies() {
    for (const auto& [schema, name, at] : references_) {
      if (changed_schemas_.count(schema)) continue;
      const int position = ctx_.schema_positions->at(schema);
      auto [first, added] = undeclared_.emplace(schema, undeclared_reference{name, at, position > ctx_.position});
      if (!added && at < first->second.offset) first->second = undeclared_reference{name, at, first->second.later};
    }
  }

  // Whether a name in `schema` can be an undeclared dependency: a schema of
  // another module (not public or pg_catalog) that is not a declared, earlier one.
  bool may_be_undeclared(const std::string& schema) const {
    if (!ctx_.schema_positions || schema.empty() || schema == ctx_.schema) return false;
    auto position = ctx_.schema_positions->find(schema);
    if (position == ctx_.schema_positions->end()) return false;
    return !(ctx_.dependency_schemas && ctx_.dependency_schemas->count(schema) && position->second < ctx_.position);
  }

  void report_undeclared_dependencies() {
    std::vector<std::pair<std::string, undeclared_reference>> found(undeclared_.begin(), undeclared_.end());
    std::stable_sort(found.begin(), found.end(),
                     [](const auto& a, const auto& b) { return a.second.offset < b.second.offset; });
    for (const auto& [schema, reference] : found) {
      std::string owner = schema;
      if (ctx_.schema_owners)
        if (auto it = ctx_.schema_owners->find(schema); it != ctx_.schema_owners->end()) owner = it->second;
      if (reference.later)
        hit("undeclared-dependency", reference.offset,
            "references " + reference.name + " of module '" + owner + "', which comes after module '" + ctx_.module +
                "' in modules.yaml: on a fresh database it does not exist yet when this migration runs");
      else
        hit("undeclared-dependency", reference.offset,
            "references " + reference.name + " of module '" + owner + "', which module '" + ctx_.module +
                "' does not declare: add '" + owner + "' to its depends_on in modules.yaml");
    }
  }

  // ---- lock and rollout rules ----

  void concurrently_in_transaction(bool concurrent, int offset, const char* what) {
    if (concurrent && ctx_.transactional)
      hit("concurrently-in-transaction", offset,
          std::string(what) + " CONCURRENTLY cannot run inside a transaction block, and this migration runs in one");
  }

  void access_exclusive(const json& range_var, const char* what) {
    if (access_exclusive_reported_ || !existing(range_var)) return;
    if (ctx_.lock_timeout_set || ctx_.session_lock_timeout) return;
    access_exclusive_reported_ = true;
    hit("lock-timeout-missing", location_in(range_var, -1),
        std::string(what) + " takes an ACCESS EXCLUSIVE lock on " + table_key(range_var) +
            " with no lock_timeout set: while it waits for the lock, every query on the table queues behind it");
  }

  void rollout() {
    const json& n = *node_;
    if (type_ == "IndexStmt") {
      const json& rel = object(n, "relation");
      const bool concurrent = flag(n, "concurrent");
      if (!concurrent && existing(rel))
        hit("index-not-concurrent", location_in(rel, -1),
            "CREATE INDEX on existing table " + table_key(rel) + " without CONCURRENTLY blocks writes to it for the whole build");
      concurrently_in_transaction(concurrent, start_, "CREATE INDEX");
    } else if (type_ == "DropStmt") {
      concurrently_in_transaction(flag(n, "concurrent"), start_, "DROP INDEX");
      if (text(n, "removeType") == "OBJECT_TABLE")
        for (const auto& parts : drop_targets()) {
          json rv{{"relname", parts.back()}, {"location", start_}};
          if (parts.size() >= 2) rv["schemaname"] = parts[parts.size() - 2];
          if (!existing(rv)) continue;
          if (!ctx_.contract)
            hit("drop-table-or-column", start_,
                "DROP TABLE " + joined(parts) + " in an ordinary migration: instances still running the previous "
                "build read it and fail");
          access_exclusive(rv, "DROP TABLE");
        }
      drop_object(text(n, "removeType"));
    } else if (type_ == "ReindexStmt") {
      bool concurrent = false;
      for (const auto& p : list(n, "params"))
        if (p.contains("DefElem") && text(p["DefElem"], "defname") == "concurrently") concurrent = true;
      concurrently_in_transaction(concurrent, start_, "REINDEX");
    } else if (type_ == "AlterTableStmt") {
      alter_table(n);
    } else if (type_ == "RenameStmt") {
      const std::string kind = text(n, "renameType");
      const json& rel = object(n, "relation");
      if ((kind == "OBJECT_TABLE" || kind == "OBJECT_COLUMN") && existing(rel)) {
        if (!ctx_.contract)
          hit("rename-table-or-column", location_in(rel, -1),
              std::string("renaming ") +
                  (kind == "OBJECT_TABLE" ? "table " + table_key(rel)
                                          : "column " + table_key(rel) + "." + text(n, "subname")) +
                  " in an ordinary migration: instances still running the previous build use the old name and fail");
        access_exclusive(rel, "RENAME");
      } else {
        rename_object(kind);
      }
    } else if (type_ == "AlterEnumStmt") {
      // RENAME VALUE: rows keep their value under the new label, and an older build
      // that writes or compares the old label fails. ADD VALUE breaks no one.
      const std::string old_value = text(n, "oldVal");
      const std::string key = "type " + joined(names(list(n, "typeName")));
      if (!old_value.empty() && !ctx_.contract && !ctx_.new_tables.count(key))
        hit("drop-or-rename-object", location_in(n, -1),
            "renaming value '" + old_value + "' of type " + key.substr(5) +
                " in an ordinary migration: instances still running the previous build write or compare the old "
                "value and fail");
    } else if (type_ == "TruncateStmt") {
      for (const auto& r : list(n, "relations"))
        if (r.contains("RangeVar")) access_exclusive(r["RangeVar"], "TRUNCATE");
    } else if (type_ == "LockStmt") {
      if (n.value("mode", 0) == 8)
        for (const auto& r : list(n, "relations"))
          if (r.contains("RangeVar")) access_exclusive(r["RangeVar"], "LOCK TABLE");
    } else if (type_ == "ClusterStmt" && n.contains("relation")) {
      access_exclusive(n["relation"], "CLUSTER");
    }
  }

  // ---- phase rules: what only a contract migration may remove ----

  // DROP VIEW, FUNCTION, TYPE, SEQUENCE, SCHEMA ... of an object that exists
  // before this migration: an older build's query names it and fails.
  void drop_object(const std::string& remove_type) {
    const object_kind* kind = removable_kind(remove_type);
    if (!kind || ctx_.contract || ctx_.repeatable) return;
    std::vector<std::vector<std::string>> targets = drop_targets();
    if (remove_type == "OBJECT_SCHEMA")
      for (const auto& object : list(*node_, "objects"))
        if (object.contains("String")) targets.push_back({text(object["String"], "sval")});
    for (const auto& parts : targets) {
      if (parts.empty() || ctx_.new_tables.count(kind->prefix + joined(parts))) continue;
      hit("drop-or-rename-object", start_,
          std::string("DROP ") + kind->word + " " + joined(parts) +
              " in an ordinary migration: instances still running the previous build use it and fail");
    }
  }

  void rename_object(const std::string& rename_type) {
    const object_kind* kind = removable_kind(rename_type);
    if (!kind || ctx_.contract) return;
    const json& n = *node_;
    std::vector<std::string> parts;
    int at = start_;
    if (n.contains("relation")) {
      parts = {table_key(n["relation"])};
      at = location_in(n["relation"], -1);
    } else if (rename_type == "OBJECT_SCHEMA") {
      parts = {text(n, "subname")};
    } else if (n.contains("object")) {
      const json& object = n["object"];
      if (object.contains("ObjectWithArgs")) parts = names(list(object["ObjectWithArgs"], "objname"));
      else if (object.contains("List")) parts = names(list(object["List"], "items"));
    }
    if (parts.empty() || ctx_.new_tables.count(kind->prefix + joined(parts))) return;
    hit("drop-or-rename-object", at,
        "renaming " + lower(kind->word) + " " + joined(parts) +
            " in an ordinary migration: instances still running the previous build use the old name and fail");
  }

  static constexpr const char* contract_adds_text =
      " in a contract migration: it waits until no older build runs, and a build that needs it can start before "
      "it exists";

  // What an expand migration adds, found in a contract migration. CREATE OR
  // REPLACE is left alone: redefining a view or function without what the
  // contract drops is part of the contract. So are constraints and UPDATEs
  // (a backfill before SET NOT NULL): they tighten or fix, they add nothing.
  // ADD COLUMN is found in alter_table; what goes into a table this migration
  // created is the CREATE's finding only.
  void contract_adds() {
    const json& n = *node_;
    auto added = [&](const std::string& what) { hit("contract-adds", start_, what + contract_adds_text); };
    auto permanent = [](const json& range_var) { return text(range_var, "relpersistence") != "t"; };
    if (type_ == "CreateStmt" && n.contains("relation") && permanent(n["relation"])) {
      added("CREATE TABLE " + table_key(n["relation"]));
    } else if (type_ == "CreateTableAsStmt" && n.contains("into") && n["into"].contains("rel") &&
               permanent(n["into"]["rel"])) {
      added(std::string(text(n, "objtype") == "OBJECT_MATVIEW" ? "CREATE MATERIALIZED VIEW " : "CREATE TABLE ") +
            table_key(n["into"]["rel"]));
    } else if (type_ == "ViewStmt" && !flag(n, "replace") && n.contains("view") && permanent(n["view"])) {
      added("CREATE VIEW " + table_key(n["view"]));
    } else if (type_ == "CreateFunctionStmt" && !flag(n, "replace")) {
      added(std::string(flag(n, "is_procedure") ? "CREATE PROCEDURE " : "CREATE FUNCTION ") +
            joined(names(list(n, "funcname"))));
    } else if (type_ == "CreateSeqStmt" && n.contains("sequence") && permanent(n["sequence"])) {
      added("CREATE SEQUENCE " + table_key(n["sequence"]));
    } else if (type_ == "CreateEnumStmt") {
      added("CREATE TYPE " + joined(names(list(n, "typeName"))));
    } else if (type_ == "CompositeTypeStmt" && n.contains("typevar")) {
      added("CREATE TYPE " + table_key(n["typevar"]));
    } else if (type_ == "CreateDomainStmt") {
      added("CREATE DOMAIN " + joined(names(list(n, "domainname"))));
    } else if (type_ == "CreateSchemaStmt") {
      added("CREATE SCHEMA " + text(n, "schemaname"));
    } else if (type_ == "CreateExtensionStmt") {
      added("CREATE EXTENSION " + text(n, "extname"));
    } else if (type_ == "CreateTrigStmt" && !flag(n, "replace") && n.contains("relation") && existing(n["relation"])) {
      added("CREATE TRIGGER " + text(n, "trigname") + " ON " + table_key(n["relation"]));
    } else if (type_ == "IndexStmt" && n.contains("relation") && existing(n["relation"])) {
      added("CREATE INDEX " + (text(n, "idxname").empty() ? std::string() : text(n, "idxname") + " ") + "ON " +
            table_key(n["relation"]));
    } else if (type_ == "InsertStmt" && n.contains("relation") && existing(n["relation"])) {
      added("INSERT INTO " + table_key(n["relation"]));
    } else if (type_ == "AlterEnumStmt" && text(n, "oldVal").empty() && !text(n, "newVal").empty()) {
      added("ADD VALUE '" + text(n, "newVal") + "' to type " + joined(names(list(n, "typeName"))));
    }
  }

  void alter_table(const json& n) {
    const json& rel = object(n, "relation");
    const std::string objtype = text(n, "objtype");
    if (!objtype.empty() && objtype != "OBJECT_TABLE") return;
    bool exclusive = false;
    for (const auto& item : list(n, "cmds")) {
      if (!item.contains("AlterTableCmd")) continue;
      const json& cmd = item["AlterTableCmd"];
      const std::string sub = text(cmd, "subtype");
      const json& def = object(cmd, "def");
      // These take weaker locks than ACCESS EXCLUSIVE (SHARE UPDATE / SHARE ROW EXCLUSIVE).
      static const std::set<std::string> weaker{"AT_ValidateConstraint", "AT_SetStatistics", "AT_ClusterOn",
                                                "AT_DropCluster",        "AT_SetOptions",     "AT_ResetOptions",
                                                "AT_AttachPartition",    "AT_EnableTrig",     "AT_DisableTrig",
                                                "AT_EnableTrigAll",      "AT_DisableTrigAll", "AT_EnableTrigUser",
                                                "AT_DisableTrigUser"};
      bool weak = weaker.count(sub) > 0;
      if (sub == "AT_DetachPartition") {
        const bool concurrent = def.contains("PartitionCmd") && flag(def["PartitionCmd"], "concurrent");
        concurrently_in_transaction(concurrent, start_, "DETACH PARTITION");
        weak = concurrent;
      }
      if (sub == "AT_AddConstraint" && def.contains("Constraint") &&
          text(def["Constraint"], "contype") == "CONSTR_FOREIGN")
        weak = true;
      exclusive = exclusive || !weak;
      if (!existing(rel)) continue;
      if (sub == "AT_AddColumn" && def.contains("ColumnDef")) add_column(def["ColumnDef"], rel);
      if (sub == "AT_AlterColumnType")
        hit("column-type-change", location_in(def, -1),
            "changing the type of " + table_key(rel) + "." + text(cmd, "name") +
                " rewrites the table and its indexes under an ACCESS EXCLUSIVE lock");
      if (sub == "AT_DropColumn" && !ctx_.contract)
        hit("drop-table-or-column", location_in(rel, -1),
            "DROP COLUMN " + table_key(rel) + "." + text(cmd, "name") +
                " in an ordinary migration: instances still running the previous build select it and fail");
      // Older builds that insert without the column fail once it is NOT NULL
      // (unless it has a default, which one statement does not show: a warning).
      if (sub == "AT_SetNotNull" && !ctx_.contract)
        hit("set-not-null", location_in(rel, -1),
            "SET NOT NULL on " + table_key(rel) + "." + text(cmd, "name") +
                " in an ordinary migration: instances still running the previous build that insert without it fail");
      if (sub == "AT_AddColumn" && ctx_.contract && def.contains("ColumnDef"))
        hit("contract-adds", location_in(def, -1),
            "ADD COLUMN " + table_key(rel) + "." + text(def["ColumnDef"], "colname") + contract_adds_text);
      if (sub == "AT_AddConstraint" && def.contains("Constraint")) {
        const json& c = def["Constraint"];
        const std::string type = text(c, "contype");
        if ((type == "CONSTR_FOREIGN" || type == "CONSTR_CHECK") && !flag(c, "skip_validation"))
          hit("constraint-not-valid", location_in(c, -1),
              std::string(type == "CONSTR_FOREIGN" ? "FOREIGN KEY" : "CHECK") + " constraint on existing table " +
                  table_key(rel) + " is validated while the table is locked");
      }
    }
    if (exclusive) access_exclusive(rel, "ALTER TABLE");
  }

  void add_column(const json& column, const json& rel) {
    bool not_null = false, has_default = false, identity = false, generated = false;
    std::string volatile_call;
    for (const auto& item : list(column, "constraints")) {
      if (!item.contains("Constraint")) continue;
      const json& c = item["Constraint"];
      const std::string type = text(c, "contype");
      if (type == "CONSTR_NOTNULL" || type == "CONSTR_PRIMARY") not_null = true;
      if (type == "CONSTR_DEFAULT") {
        has_default = true;
        volatile_call = volatile_call_in(object(c, "raw_expr"));
      }
      if (type == "CONSTR_IDENTITY") identity = true;
      if (type == "CONSTR_GENERATED") generated = true;
    }
    const auto type_names = names(list(object(column, "typeName"), "names"));
    static const std::set<std::string> serial_types{"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"};
    const bool serial = !type_names.empty() && serial_types.count(type_names.back());
    const std::string name = table_key(rel) + "." + text(column, "colname");
    const int at = location_in(column, -1);
    if (not_null && !has_default && !identity && !generated && !serial)
      hit("not-null-without-default", at,
          "NOT NULL column " + name + " added without a default: fails on a table with rows, and "
          "instances running the previous build cannot insert");
    std::string rewrite;
    if (!volatile_call.empty()) rewrite = "its default " + volatile_call + "() is volatile";
    else if (serial) rewrite = "a serial column gets a nextval() default";
    else if (identity) rewrite = "an identity column fills every row";
    else if (generated) rewrite = "a stored generated column is computed for every row";
    if (!rewrite.empty())
      hit("volatile-default", at,
          "adding " + name + " rewrites the whole table under an ACCESS EXCLUSIVE lock: " + rewrite);
  }

  // What later statements of the section need to know.
  void learn() {
    const json& n = *node_;
    if (type_ == "CreateStmt" && n.contains("relation")) ctx_.new_tables.insert(table_key(n["relation"]));
    if (type_ == "CreateTableAsStmt" && n.contains("into") && n["into"].contains("rel"))
      ctx_.new_tables.insert(table_key(n["into"]["rel"]));
    // Objects a phase rule would not let an ordinary migration drop or rename
    // (unless this migration, or a pending one before it, created them).
    if (type_ == "ViewStmt" && !flag(n, "replace") && n.contains("view")) ctx_.new_tables.insert(table_key(n["view"]));
    if (type_ == "CreateSeqStmt" && n.contains("sequence")) ctx_.new_tables.insert(table_key(n["sequence"]));
    if (type_ == "CreateFunctionStmt" && !flag(n, "replace"))
      ctx_.new_tables.insert("function " + joined(names(list(n, "funcname"))));
    if (type_ == "CreateEnumStmt") ctx_.new_tables.insert("type " + joined(names(list(n, "typeName"))));
    if (type_ == "CompositeTypeStmt" && n.contains("typevar")) ctx_.new_tables.insert("type " + table_key(n["typevar"]));
    if (type_ == "CreateDomainStmt") ctx_.new_tables.insert("type " + joined(names(list(n, "domainname"))));
    if (type_ == "CreateSchemaStmt") ctx_.new_tables.insert("schema " + text(n, "schemaname"));
    if (type_ == "VariableSetStmt" && text(n, "name") == "lock_timeout") {
      const std::string kind = text(n, "kind");
      bool zero = false;
      for (const auto& a : list(n, "args"))
        if (a.contains("A_Const")) {
          const json& c = a["A_Const"];
          if (c.contains("sval")) zero = text(c["sval"], "sval") == "0";
          else if (c.contains("ival")) zero = c["ival"].value("ival", 0) == 0;
        }
      ctx_.lock_timeout_set = kind == "VAR_SET_VALUE" && !zero;
    }
  }

  rule_context& ctx_;
  int start_ = 0;
  std::string type_;
  const json* node_ = nullptr;
  std::set<std::string> ctes_;
  std::set<std::string> changed_schemas_;        // reported by foreign-schema in this statement
  struct undeclared_reference {
    std::string name;  // "audit.events", "db.new_id()"
    int offset = 0;
    bool later = false;  // its module comes after this one in modules.yaml
  };
  std::map<std::string, undeclared_reference> undeclared_;  // schema -> its first name in this statement
  struct relation_reference {
    std::string name;
    int offset;
  };
  std::vector<relation_reference> unqualified_relations_;  // before the CTE names are known
  struct schema_reference {
    std::string schema, name;  // "audit", "audit.events"
    int at;
  };
  std::vector<schema_reference> references_;  // before foreign_schemas() has run
  std::vector<rule_hit> hits_;
  bool access_exclusive_reported_ = false;
};

}  // namespace

std::vector<rule_hit> check_statement(const parse_tree& entry, rule_context& ctx) {
  return checker(entry, ctx).run();
}

}  // namespace migrator
