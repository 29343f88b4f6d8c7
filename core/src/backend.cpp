#include <set>

#include "migrator/dsn.h"
#include "migrator/engine.h"
#include "migrator/postgres.h"
#include "migrator/sqlite.h"
#include "postgres_backend.h"

namespace migrator {

namespace detail {

backend postgres_backend(std::unique_ptr<session> db, const engine_options& options) {
  try {
    std::string setup;
    if (options.statement_timeout)
      setup += "SET statement_timeout = " + std::to_string(options.statement_timeout->count()) + ";";
    if (options.db_lock_timeout)
      setup += "SET lock_timeout = " + std::to_string(options.db_lock_timeout->count()) + ";";
    if (!setup.empty()) db->exec(setup);
  } catch (const database_error& f) {
    throw error(error_code::database, std::string("setting up the migration session: ") + f.what(), f.details());
  }
  backend b;
  b.kind = backend_kind::postgres;
  b.history = make_goose_history_store(*db, options.table);
  b.lock = make_advisory_lock(*db, options.lock_key);
  b.db = std::move(db);
  return b;
}

}  // namespace detail

namespace {

backend sqlite_backend(const std::string& dsn, const module_set& set, const engine_options& options) {
  const std::string path = sqlite_path(dsn);
  // Each module's schema is a file of its own; the history table's schema too when qualified.
  std::vector<sqlite_attachment> attachments;
  std::set<std::string> schemas;
  auto attach = [&](const std::string& schema) {
    if (schemas.insert(schema).second) attachments.push_back({schema, sqlite_schema_path(path, schema)});
  };
  for (const auto& m : set.modules) attach(m.schema);
  if (auto dot = options.table.find('.'); dot != std::string::npos) attach(options.table.substr(0, dot));
  backend b;
  b.kind = backend_kind::sqlite;
  try {
    b.db = connect_sqlite(path, attachments, options.lock_timeout);
  } catch (const database_error& f) {
    throw error(error_code::database, "cannot open the SQLite database: " + std::string(f.what()), f.details());
  }
  b.history = make_sqlite_history_store(*b.db, options.table);
  b.lock = make_sqlite_file_lock(path);
  return b;
}

}  // namespace

backend open_backend(const std::string& dsn, const module_set& set, const engine_options& options) {
  if (backend_of(dsn) == backend_kind::sqlite) return sqlite_backend(dsn, set, options);
  std::unique_ptr<session> db;
  try {
    db = connect_postgres(dsn);
  } catch (const database_error& f) {
    throw error(error_code::database, std::string("cannot connect to the database: ") + f.what(), f.details());
  }
  return detail::postgres_backend(std::move(db), options);
}

}  // namespace migrator
