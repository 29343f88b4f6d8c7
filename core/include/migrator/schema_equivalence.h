// Are a PostgreSQL and a SQLite database logically the same schema? Each is
// read into one backend-neutral model (read_postgres_schema,
// read_sqlite_schema); compare_schemas (pure) lists every difference in
// tables, columns (normalised type, nullability), primary keys, unique
// constraints, indexes and foreign keys. docs/sqlite.md explains the rules.
#pragma once

#include <string>
#include <vector>

#include "migrator/session.h"

namespace migrator {

struct schema_column {
  std::string name;
  // SQLite's type affinity the column has or (PostgreSQL) maps to: INTEGER,
  // TEXT, REAL, NUMERIC or BLOB. PostgreSQL: smallint, integer, bigint and
  // boolean -> INTEGER; real, double precision -> REAL; numeric -> NUMERIC;
  // bytea -> BLOB; anything else (text, varchar, char, uuid, json, jsonb,
  // timestamps, dates, arrays, enums) -> TEXT. SQLite: the affinity rules of
  // its declared type (sqlite.org/datatype3.html, 3.1).
  std::string type;
  std::string declared;  // as the database names it, for messages
  bool not_null = false;  // SQLite: an INTEGER PRIMARY KEY (rowid) counts as NOT NULL
};

struct schema_index {
  std::string name;
  std::vector<std::string> columns;  // "name", "name DESC"; "(expression)" for an expression
  bool unique = false;
  bool partial = false;  // has a WHERE clause (its text is dialect-specific: not compared)
};

struct schema_foreign_key {
  std::vector<std::string> columns;
  std::string parent;  // "schema.table"
  std::vector<std::string> parent_columns;
  std::string on_delete = "NO ACTION";  // NO ACTION, RESTRICT, CASCADE, SET NULL, SET DEFAULT
  std::string on_update = "NO ACTION";
};

struct schema_table {
  std::string schema;
  std::string name;
  std::vector<schema_column> columns;  // in column order
  std::vector<std::string> primary_key;
  std::vector<std::vector<std::string>> unique_constraints;  // declared UNIQUE (not CREATE UNIQUE INDEX)
  std::vector<schema_index> indexes;  // CREATE [UNIQUE] INDEX, not those backing constraints
  std::vector<schema_foreign_key> foreign_keys;
};

struct logical_schema {
  std::vector<schema_table> tables;
};

struct schema_comparison {
  // Each line names the object and both sides: "column billing.prices.currency:
  // type TEXT (character(3)) on PostgreSQL, INTEGER (INTEGER) on SQLite".
  std::vector<std::string> differences;
  // PostgreSQL foreign keys into another module's schema: SQLite cannot
  // declare them across attached databases. Listed, not counted as differences.
  std::vector<std::string> cross_module_foreign_keys;

  bool equivalent() const { return differences.empty(); }
};

// Pure. Tables are matched by schema and name; constraints and indexes as sets.
schema_comparison compare_schemas(const logical_schema& postgres, const logical_schema& sqlite);

// The tables of `schemas` on a PostgreSQL session / on a SQLite session that
// has each schema attached. Tables named like the history table (`history_table`
// and "<history_table>_meta", unqualified) and SQLite's own (sqlite_*) are left out.
logical_schema read_postgres_schema(session& db, const std::vector<std::string>& schemas,
                                    const std::string& history_table);
logical_schema read_sqlite_schema(session& db, const std::vector<std::string>& schemas,
                                  const std::string& history_table);

}  // namespace migrator
