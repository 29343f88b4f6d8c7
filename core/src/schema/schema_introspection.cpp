// Reads a database's tables into the backend-neutral model of
// schema_equivalence.h: PostgreSQL from pg_catalog, SQLite from its
// table-valued pragmas on each attached schema.
#include <algorithm>
#include <cctype>
#include <map>

#include "migrator/schema_equivalence.h"

namespace migrator {

namespace {

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size() && !s.empty()) {
    const auto comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// sqlite.org/datatype3.html, 3.1: the rules in their order.
std::string sqlite_affinity(const std::string& declared) {
  const std::string t = upper(declared);
  if (contains(t, "INT")) return "INTEGER";
  if (contains(t, "CHAR") || contains(t, "CLOB") || contains(t, "TEXT")) return "TEXT";
  if (t.empty() || contains(t, "BLOB")) return "BLOB";
  if (contains(t, "REAL") || contains(t, "FLOA") || contains(t, "DOUB")) return "REAL";
  return "NUMERIC";
}

std::string postgres_affinity(const std::string& type) {
  if (type.size() > 2 && type.compare(type.size() - 2, 2, "[]") == 0) return "TEXT";  // a JSON array on SQLite
  if (type == "smallint" || type == "integer" || type == "bigint" || type == "boolean") return "INTEGER";
  if (type == "real" || type == "double precision") return "REAL";
  if (type.rfind("numeric", 0) == 0) return "NUMERIC";
  if (type == "bytea") return "BLOB";
  return "TEXT";
}

std::string action(const std::string& code) {
  if (code == "r") return "RESTRICT";
  if (code == "c") return "CASCADE";
  if (code == "n") return "SET NULL";
  if (code == "d") return "SET DEFAULT";
  return "NO ACTION";
}

bool is_history(const std::string& name, const std::string& history_table) {
  const auto dot = history_table.find('.');
  const std::string bare = dot == std::string::npos ? history_table : history_table.substr(dot + 1);
  return name == bare || name == bare + "_meta";
}

std::string in_list(session& db, const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + db.quote(n);
  return s.empty() ? "NULL" : s;
}

}  // namespace

logical_schema read_postgres_schema(session& db, const std::vector<std::string>& schemas,
                                    const std::string& history_table) {
  const std::string in = in_list(db, schemas);
  std::map<std::string, schema_table> tables;  // by "schema.table"
  std::vector<std::string> order;
  auto table = [&](const std::string& schema, const std::string& name) -> schema_table* {
    if (is_history(name, history_table)) return nullptr;
    const std::string key = schema + "." + name;
    auto [it, added] = tables.try_emplace(key);
    if (added) {
      it->second.schema = schema;
      it->second.name = name;
      order.push_back(key);
    }
    return &it->second;
  };

  auto columns = db.exec(
      "SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull "
      "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND n.nspname IN (" + in + ") "
      "ORDER BY n.nspname, c.relname, a.attnum");
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (auto* t = table(columns.text(i, 0), columns.text(i, 1))) {
      const std::string declared = columns.text(i, 3);
      t->columns.push_back({columns.text(i, 2), postgres_affinity(declared), declared, columns.boolean(i, 4)});
    }
  }

  auto constraints = db.exec(
      "SELECT n.nspname, c.relname, con.contype, "
      "(SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord) "
      "  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum), "
      "fn.nspname || '.' || fc.relname, "
      "(SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord) "
      "  JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum), "
      "con.confdeltype, con.confupdtype "
      "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
      "LEFT JOIN pg_class fc ON fc.oid = con.confrelid LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace "
      "WHERE con.contype IN ('p', 'u', 'f') AND n.nspname IN (" + in + ") ORDER BY con.conname");
  for (std::size_t i = 0; i < constraints.size(); ++i) {
    auto* t = table(constraints.text(i, 0), constraints.text(i, 1));
    if (!t) continue;
    const std::string kind = constraints.text(i, 2);
    auto cols = split(constraints.text(i, 3));
    if (kind == "p") {
      t->primary_key = cols;
    } else if (kind == "u") {
      t->unique_constraints.push_back(cols);
    } else {
      t->foreign_keys.push_back({cols, constraints.text(i, 4), split(constraints.text(i, 5)),
                                 action(constraints.text(i, 6)), action(constraints.text(i, 7))});
    }
  }

  auto indexes = db.exec(
      "SELECT n.nspname, c.relname, i.relname, ix.indisunique, ix.indpred IS NOT NULL, "
      "(SELECT string_agg(CASE WHEN k.attnum = 0 THEN '(expression)' ELSE a.attname END || "
      "   CASE WHEN ix.indoption[(k.ord - 1)::int] & 1 = 1 THEN ' DESC' ELSE '' END, ',' ORDER BY k.ord) "
      " FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(attnum, ord) "
      " LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum WHERE k.ord <= ix.indnkeyatts) "
      "FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class c ON c.oid = ix.indrelid "
      "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN (" + in + ") "
      "AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = ix.indexrelid "
      "  AND con.conrelid = ix.indrelid AND con.contype IN ('p', 'u')) ORDER BY i.relname");
  for (std::size_t i = 0; i < indexes.size(); ++i)
    if (auto* t = table(indexes.text(i, 0), indexes.text(i, 1)))
      t->indexes.push_back(
          {indexes.text(i, 2), split(indexes.text(i, 5)), indexes.boolean(i, 3), indexes.boolean(i, 4)});

  logical_schema out;
  for (const auto& key : order) out.tables.push_back(std::move(tables[key]));
  return out;
}

logical_schema read_sqlite_schema(session& db, const std::vector<std::string>& schemas,
                                  const std::string& history_table) {
  logical_schema out;
  for (const auto& schema : schemas) {
    auto names = db.exec("SELECT name FROM " + db.quote_name(schema) +
                         ".sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name");
    for (std::size_t n = 0; n < names.size(); ++n) {
      const std::string name = names.text(n, 0);
      if (is_history(name, history_table)) continue;
      schema_table t;
      t.schema = schema;
      t.name = name;
      const std::vector<field> args{name, schema};

      auto columns = db.exec_params("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1, $2) ORDER BY cid",
                                    args);
      std::vector<std::pair<int, std::string>> pk;
      for (std::size_t i = 0; i < columns.size(); ++i) {
        const std::string declared = columns.rows[i][1].value_or("");
        t.columns.push_back({columns.text(i, 0), sqlite_affinity(declared), declared, columns.boolean(i, 2)});
        if (const auto position = columns.integer(i, 3)) pk.emplace_back(static_cast<int>(position), columns.text(i, 0));
      }
      std::sort(pk.begin(), pk.end());
      for (const auto& [position, column] : pk) t.primary_key.push_back(column);
      // An INTEGER PRIMARY KEY is the rowid: it cannot hold NULL, whatever table_info says.
      if (pk.size() == 1)
        for (auto& c : t.columns)
          if (c.name == pk[0].second && upper(c.declared) == "INTEGER") c.not_null = true;

      auto indexes = db.exec_params("SELECT name, \"unique\", origin, partial FROM pragma_index_list($1, $2)", args);
      for (std::size_t i = 0; i < indexes.size(); ++i) {
        const std::string origin = indexes.text(i, 2);
        if (origin == "pk") continue;
        auto keys = db.exec_params(
            "SELECT name, \"desc\" FROM pragma_index_xinfo($1, $2) WHERE key = 1 ORDER BY seqno",
            {indexes.text(i, 0), schema});
        std::vector<std::string> cols;
        for (std::size_t k = 0; k < keys.size(); ++k)
          cols.push_back(keys.rows[k][0].value_or("(expression)") + (keys.boolean(k, 1) ? " DESC" : ""));
        if (origin == "u")
          t.unique_constraints.push_back(cols);
        else
          t.indexes.push_back({indexes.text(i, 0), cols, indexes.boolean(i, 1), indexes.boolean(i, 3)});
      }
      std::sort(t.indexes.begin(), t.indexes.end(),
                [](const schema_index& a, const schema_index& b) { return a.name < b.name; });

      auto fks = db.exec_params(
          "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list($1, $2) "
          "ORDER BY id, seq",
          args);
      std::map<std::int64_t, schema_foreign_key> by_id;
      for (std::size_t i = 0; i < fks.size(); ++i) {
        auto& fk = by_id[fks.integer(i, 0)];
        fk.parent = schema + "." + fks.text(i, 1);
        fk.columns.push_back(fks.text(i, 2));
        if (fks.rows[i][3]) fk.parent_columns.push_back(*fks.rows[i][3]);
        fk.on_update = upper(fks.text(i, 4));
        fk.on_delete = upper(fks.text(i, 5));
      }
      for (auto& [id, fk] : by_id) {
        // REFERENCES parent without columns: the parent's primary key.
        if (fk.parent_columns.empty()) {
          const std::string parent = fk.parent.substr(schema.size() + 1);
          auto parent_pk = db.exec_params("SELECT name FROM pragma_table_info($1, $2) WHERE pk > 0 ORDER BY pk",
                                          {parent, schema});
          for (std::size_t i = 0; i < parent_pk.size(); ++i) fk.parent_columns.push_back(parent_pk.text(i, 0));
        }
        t.foreign_keys.push_back(std::move(fk));
      }
      out.tables.push_back(std::move(t));
    }
  }
  return out;
}

}  // namespace migrator
