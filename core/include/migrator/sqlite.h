// The SQLite implementations of the seams (session.h, history.h, lock.h), on
// libsqlite3. open_backend (backend.h) builds them from a "sqlite:PATH" DSN;
// build them here to combine them with implementations of your own.
// docs/sqlite.md: layout, guarantees and what differs from PostgreSQL.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "migrator/history.h"
#include "migrator/lock.h"
#include "migrator/session.h"

namespace migrator {

// A module schema is a database file ATTACHed under the schema's name, so
// "billing.invoices" stays valid SQL on SQLite.
struct sqlite_attachment {
  std::string schema;  // e.g. "billing"
  std::string path;    // e.g. "data/app.billing.db", or ":memory:"
};

// The file that holds `schema` beside the main database file: the schema goes
// before the main file's extension ("data/app.db" -> "data/app.billing.db",
// "data/app" -> "data/app.billing"). ":memory:" stays ":memory:".
std::string sqlite_schema_path(const std::string& main_path, const std::string& schema);

// Opens (creating when missing) the database file `path` (":memory:" for a
// private in-memory database) and attaches each schema. A statement that finds
// another connection's lock retries for up to `busy_timeout`. Refuses a file in
// WAL journal mode: a migration and its history row are in different files,
// and SQLite commits across attached files atomically only with a rollback
// journal. Throws database_error.
//
// exec runs several ';'-separated statements one after the other (the
// sqlite3_prepare_v2 tail) and stops at the first error; a failed statement is
// undone but an open transaction stays open, as in SQLite itself. exec_params
// takes $1, $2, ... as on PostgreSQL (and ? / ?NNN). Values come back as
// text; SQL NULL as nullopt. A failure's error_details::sqlstate holds SQLite's
// extended result code by name ("SQLITE_CONSTRAINT_UNIQUE"), its position the
// 1-based character where SQLite located the error (when it did).
std::unique_ptr<session> connect_sqlite(const std::string& path, const std::vector<sqlite_attachment>& attachments,
                                        std::chrono::milliseconds busy_timeout);

// How many databases this SQLite library attaches to one connection at most
// (SQLITE_LIMIT_ATTACHED, 10 unless SQLite was built otherwise): the most
// module schemas one SQLite database can hold.
int sqlite_max_attached();

// goose's own sqlite3 table `table` (goose v3's sqlite3 dialect, which goose
// reads as its own) plus "<table>_meta" for module, checksum and dirty state.
// A schema-qualified table ("ops.goose_db_version") needs that schema attached.
std::unique_ptr<history_store> make_sqlite_history_store(session& s, const std::string& table);

// One runner at a time: an exclusive flock(2) on "<path>-migrate-lock" beside
// the database file, held for the whole run. The kernel drops it when the
// process dies (kill -9 included), so a crash never leaves a stale lock. For
// ":memory:" (private to its connection) the lock excludes nothing.
std::unique_ptr<migration_lock> make_sqlite_file_lock(const std::string& path);

}  // namespace migrator
