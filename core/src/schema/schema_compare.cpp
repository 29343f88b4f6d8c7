#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "migrator/schema_equivalence.h"

namespace migrator {

namespace {

std::string list(const std::vector<std::string>& names) {
  std::string s = "(";
  for (std::size_t i = 0; i < names.size(); ++i) s += (i ? ", " : "") + names[i];
  return s + ")";
}

std::string describe(const schema_foreign_key& fk) {
  return list(fk.columns) + " -> " + fk.parent + " " + list(fk.parent_columns) + " ON DELETE " + fk.on_delete +
         " ON UPDATE " + fk.on_update;
}

std::string describe(const schema_index& ix) {
  return std::string(ix.unique ? "UNIQUE " : "") + list(ix.columns) + (ix.partial ? " WHERE ..." : "");
}

std::string schema_of(const std::string& qualified) { return qualified.substr(0, qualified.find('.')); }

// Every element of `a` missing from `b`, and of `b` missing from `a`, described.
template <typename T, typename Key, typename Describe>
void compare_sets(const std::vector<T>& pg, const std::vector<T>& lite, Key key, Describe text,
                  const std::string& what, std::vector<std::string>& out,
                  const std::function<bool(const T&)>& excused = nullptr,
                  std::vector<std::string>* excused_out = nullptr) {
  std::map<std::string, const T*> a, b;
  for (const auto& x : pg) a.emplace(key(x), &x);
  for (const auto& x : lite) b.emplace(key(x), &x);
  for (const auto& [k, x] : a)
    if (!b.count(k)) {
      if (excused && excused(*x)) {
        if (excused_out) excused_out->push_back(what + " " + text(*x));
      } else {
        out.push_back(what + " " + text(*x) + ": only on PostgreSQL");
      }
    }
  for (const auto& [k, x] : b)
    if (!a.count(k)) out.push_back(what + " " + text(*x) + ": only on SQLite");
}

void compare_tables(const schema_table& pg, const schema_table& lite, schema_comparison& result) {
  const std::string table = pg.schema + "." + pg.name;
  auto& out = result.differences;
  std::map<std::string, const schema_column*> lite_columns;
  for (const auto& c : lite.columns) lite_columns.emplace(c.name, &c);
  std::set<std::string> pg_names;
  for (const auto& c : pg.columns) {
    pg_names.insert(c.name);
    const std::string where = "column " + table + "." + c.name;
    auto it = lite_columns.find(c.name);
    if (it == lite_columns.end()) {
      out.push_back(where + ": only on PostgreSQL");
      continue;
    }
    const schema_column& l = *it->second;
    if (c.type != l.type)
      out.push_back(where + ": type " + c.type + " (" + c.declared + ") on PostgreSQL, " + l.type + " (" +
                    (l.declared.empty() ? "no type" : l.declared) + ") on SQLite");
    if (c.not_null != l.not_null)
      out.push_back(where + ": " + (c.not_null ? "NOT NULL" : "nullable") + " on PostgreSQL, " +
                    (l.not_null ? "NOT NULL" : "nullable") + " on SQLite");
  }
  for (const auto& c : lite.columns)
    if (!pg_names.count(c.name)) out.push_back("column " + table + "." + c.name + ": only on SQLite");

  if (pg.primary_key != lite.primary_key)
    out.push_back("table " + table + ": primary key " + (pg.primary_key.empty() ? "(none)" : list(pg.primary_key)) +
                  " on PostgreSQL, " + (lite.primary_key.empty() ? "(none)" : list(lite.primary_key)) + " on SQLite");

  auto columns_key = [](const std::vector<std::string>& c) { return list(c); };
  compare_sets(pg.unique_constraints, lite.unique_constraints, columns_key, columns_key, "unique constraint " + table,
               out);
  compare_sets(pg.indexes, lite.indexes, [](const schema_index& i) { return i.name; },
               [&](const schema_index& i) { return pg.schema + "." + i.name + " " + describe(i); }, "index", out);
  // Indexes are matched by name above; one on both sides may still differ in its definition.
  for (const auto& i : pg.indexes)
    for (const auto& j : lite.indexes)
      if (i.name == j.name && describe(i) != describe(j))
        out.push_back("index " + pg.schema + "." + i.name + ": " + describe(i) + " on PostgreSQL, " + describe(j) +
                      " on SQLite");
  const std::function<bool(const schema_foreign_key&)> crosses = [&](const schema_foreign_key& fk) {
    return schema_of(fk.parent) != pg.schema;
  };
  compare_sets(pg.foreign_keys, lite.foreign_keys, [](const schema_foreign_key& fk) { return describe(fk); },
               [&](const schema_foreign_key& fk) { return table + " " + describe(fk); }, "foreign key", out, crosses,
               &result.cross_module_foreign_keys);
}

}  // namespace

schema_comparison compare_schemas(const logical_schema& postgres, const logical_schema& sqlite) {
  schema_comparison result;
  auto key = [](const schema_table& t) { return t.schema + "." + t.name; };
  std::map<std::string, const schema_table*> lite;
  for (const auto& t : sqlite.tables) lite.emplace(key(t), &t);
  std::set<std::string> seen;
  for (const auto& t : postgres.tables) {
    seen.insert(key(t));
    auto it = lite.find(key(t));
    if (it == lite.end()) result.differences.push_back("table " + key(t) + ": only on PostgreSQL");
    else compare_tables(t, *it->second, result);
  }
  for (const auto& t : sqlite.tables)
    if (!seen.count(key(t))) result.differences.push_back("table " + key(t) + ": only on SQLite");
  return result;
}

}  // namespace migrator
