#include <set>

#include "migrator/dsn.h"
#include "migrator/engine.h"
#include "migrator/sqlite.h"

namespace migrator {


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
  if (backend_of(dsn) != backend_kind::sqlite)
    throw error(error_code::usage,
                "open_backend opens SQLite databases; a PostgreSQL database is opened with "
                "engine(std::make_unique<connection>(dsn), set, options)");
  return sqlite_backend(dsn, set, options);
}

}  // namespace migrator
