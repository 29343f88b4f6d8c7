#include "backend/sqlite/sqlite_backend.h"

#include <set>

#include "migrator/dsn.h"
#include "migrator/error.h"
#include "migrator/sqlite.h"

namespace migrator::detail {

namespace {

// Each module's schema is a file of its own; the history table's schema too when qualified.
std::vector<sqlite_attachment> attachments_of(const std::string& path, const module_set& set,
                                              const backend_options& options) {
  std::vector<sqlite_attachment> attachments;
  std::set<std::string> schemas;
  auto attach = [&](const std::string& schema) {
    if (schemas.insert(schema).second) attachments.push_back({schema, sqlite_schema_path(path, schema)});
  };
  for (const auto& m : set.modules) attach(m.schema);
  if (auto dot = options.table.find('.'); dot != std::string::npos) attach(options.table.substr(0, dot));
  return attachments;
}

}  // namespace

void check_sqlite(const std::string& dsn, const module_set& set, const backend_options& options) {
  const auto attachments = attachments_of(sqlite_path(dsn), set, options);
  const int most = sqlite_max_attached();
  if (static_cast<int>(attachments.size()) > most)
    throw error(error_code::usage, "a SQLite database holds at most " + std::to_string(most) +
                                       " schemas (SQLite attaches at most " + std::to_string(most) +
                                       " files; one per module schema, docs/sqlite.md) and this set needs " +
                                       std::to_string(attachments.size()));
}

backend open_sqlite(const std::string& dsn, const module_set& set, const backend_options& options) {
  // Before the file is created: a set SQLite cannot hold leaves nothing behind.
  check_sqlite(dsn, set, options);
  const std::string path = sqlite_path(dsn);
  backend b;
  b.kind = backend_kind::sqlite;
  try {
    b.db = connect_sqlite(path, attachments_of(path, set, options), options.lock_timeout);
  } catch (const database_error& f) {
    throw error(error_code::database, "cannot open the SQLite database: " + std::string(f.what()), f.details());
  }
  b.history = make_sqlite_history_store(*b.db, options.table);
  b.lock = make_sqlite_file_lock(path);
  return b;
}

}  // namespace migrator::detail
