#include "backend/postgres/postgres_backend.h"

#include "backend/postgres/default_search_path.h"
#include "backend/postgres/history_store.h"
#include "backend/postgres/pg_session.h"
#include "support/postgres_version.h"

#include "migrator/error.h"
#include "migrator/log.h"
#include "migrator/postgres.h"

namespace migrator::detail {

namespace {

// One round trip tells both: a standby refuses writes, and a pooler gave libpq
// a process id of its own (a server process's is pg_backend_pid()).
const char* const probe_sql = "SELECT pg_backend_pid(), pg_is_in_recovery()";

// "SET statement_timeout = 1000;SET lock_timeout = 200;" ("SET LOCAL " as `set`); empty without settings.
std::string session_settings_sql(const postgres_options& o, const std::string& set) {
  std::string sql;
  if (o.statement_timeout) sql += set + "statement_timeout = " + std::to_string(o.statement_timeout->count()) + ";";
  if (o.server_lock_timeout)
    sql += set + "lock_timeout = " + std::to_string(o.server_lock_timeout->count()) + ";";
  return sql;
}

std::unique_ptr<migration_lock> choose_lock(session& db, bool pooled, const std::string& dsn,
                                            const backend_options& options, const std::string& lease_table) {
  const postgres_options& pg = options.postgres;
  const bool use_table = pg.lock == lock_mode::table || (pg.lock == lock_mode::automatic && pooled);
  if (pooled && pg.lock == lock_mode::automatic)
    log(log_level::info, "the connection goes through a transaction pooler (the server process id differs from the "
                         "one given at connect): using the table lease lock goose_lock instead of the advisory lock");
  else if (pooled && pg.lock == lock_mode::advisory)
    log(log_level::warn, "--lock advisory through a connection pooler: a session advisory lock does not hold "
                         "between transactions there, so runners may not exclude each other; use --lock table or auto");
  if (!use_table) return make_advisory_lock(db, pg.lock_id);
  table_lock_options lease;
  lease.application_name = options.application_name;
  lease.lease = pg.lock_lease;
  lease.lock_id = pg.lock_id;
  lease.table = lease_table;
  return make_table_lock([dsn, name = options.application_name] { return connect_postgres(dsn, name); }, lease);
}

// Settings, when there are any, still need to know where they may go (the
// session, or each transaction through a pooler); reading needs nothing else
// of the probe. A fleet's status then costs each database one round trip less.
bool skips_probe(const backend_options& options) {
  return options.reads_only && session_settings_sql(options.postgres, "SET ").empty();
}

// `b` completed with the session, its history store and its lock, as its
// capabilities allow. Through a pooler the tables are named with the schema
// they resolve to on the server's default search_path (default_search_path.h).
backend with_history_and_lock(backend b, std::unique_ptr<session> db, const std::string& dsn,
                              const backend_options& options) {
  std::string lease_table = table_lock_options{}.table;
  b.capabilities.history_table = options.table;
  if (b.capabilities.pooled) {
    try {
      const auto qualified = qualified_on_default_path(*db, {options.table, lease_table});
      b.capabilities.history_table = qualified.at(0);
      lease_table = qualified.at(1);
    } catch (const database_error& f) {
      throw error(error_code::database, std::string("setting up the migration session: ") + f.what(), f.details());
    }
  }
  b.history = make_goose_history_store(*db, b.capabilities.history_table, /*direct=*/!b.capabilities.pooled,
                                       options.tables_on_second_connection);
  b.lock = choose_lock(*db, b.capabilities.pooled, dsn, options, lease_table);
  b.db = std::move(db);
  return b;
}

}  // namespace

bool through_transaction_pooler(const session& db, std::int64_t server_process_id) {
  const std::int64_t given = db.process_id_at_connect();
  return given != 0 && server_process_id != given;
}

std::unique_ptr<session> connect_for_migration(const std::string& dsn, const std::string& application_name) {
  try {
    return connect_postgres(dsn, application_name);
  } catch (const database_error& f) {
    throw error(error_code::database, std::string("cannot connect to the database: ") + f.what(), f.details());
  }
}

backend open_postgres(std::unique_ptr<session> db, const std::string& dsn, const backend_options& options) {
  // Known since connect: the refusal costs no round trip.
  const int version = db->server_version();
  if (auto reason = unsupported_server_reason(version)) throw error(error_code::refused, *reason);
  if (postgres_major(version) > newest_tested_postgres_major)
    log(log_level::warn, "the server runs PostgreSQL " + postgres_version_text(version) + ", newer than " +
                             std::to_string(newest_tested_postgres_major) +
                             ", the newest version this tool was tested on (docs/postgres-versions.md)");
  backend b;
  b.kind = backend_kind::postgres;
  b.capabilities.server_version = version;
  const std::string setup = session_settings_sql(options.postgres, "SET ");
  if (skips_probe(options)) return with_history_and_lock(std::move(b), std::move(db), dsn, options);
  try {
    auto probe = db->exec(probe_sql);
    b.capabilities.pooled = through_transaction_pooler(*db, probe.integer(0, 0));
    b.capabilities.read_only = probe.boolean(0, 1);
    // On a direct connection the session keeps the settings (NO TRANSACTION
    // statements included); through a pooler they would stay on a server
    // connection that another client gets next, so each transaction sets its
    // own, and first takes back the search_path another client may have left there.
    if (b.capabilities.pooled) {
      const std::string local = session_settings_sql(options.postgres, "SET LOCAL ");
      b.capabilities.timeouts_in_transactions_only = !local.empty();
      b.capabilities.transaction_settings = reset_search_path_locally + local + "\n";
    } else if (!setup.empty()) {
      db->exec(setup);
    }
  } catch (const database_error& f) {
    throw error(error_code::database, std::string("setting up the migration session: ") + f.what(), f.details());
  }
  return with_history_and_lock(std::move(b), std::move(db), dsn, options);
}

void read_ahead(session& db, const backend_options& options, history_look first) noexcept {
  auto* pg = dynamic_cast<pg_session*>(&db);
  if (!pg) return;
  try {
    std::vector<std::string> statements;
    if (!skips_probe(options)) statements.push_back(probe_sql);
    // Session settings go between the probe and the history: read then, the
    // history would have been read without them. Only the probe is read ahead.
    const bool settings_follow = !session_settings_sql(options.postgres, "SET ").empty();
    if (first != history_look::none && !settings_follow) {
      const goose_history_store history(db, options.table, /*prepare=*/false);
      for (auto& statement : first == history_look::read     ? history.first_read_statements()
                             : first == history_look::status ? history.status_read_ahead_statements()
                                                             : history.compare_statements(/*with_repeatables=*/false))
        statements.push_back(std::move(statement));
    }
    pg->read_ahead(statements);
  } catch (...) {
    // Only building the statements can throw (out of memory, a name libpq cannot
    // quote): the engine builds and sends them again, and reports that.
  }
}

}  // namespace migrator::detail
