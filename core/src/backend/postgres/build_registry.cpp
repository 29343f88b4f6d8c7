#include "backend/postgres/build_registry.h"

#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "backend/postgres/default_search_path.h"
#include "backend/postgres/postgres_backend.h"
#include "migrator/dsn.h"
#include "migrator/error.h"
#include "migrator/log.h"
#include "support/host_name.h"

namespace migrator {

namespace detail {

namespace {

const char* const timestamp = "'YYYY-MM-DD HH24:MI:SS'";

std::string random_instance() {
  std::random_device random;
  char tag[24];
  std::snprintf(tag, sizeof tag, "%08x%08x", static_cast<unsigned>(random()), static_cast<unsigned>(random()));
  return tag;
}

bool table_exists(session& s, const std::string& quoted) {
  return s.exec("SELECT to_regclass(" + s.quote(quoted) + ") IS NOT NULL").boolean(0, 0);
}

void ensure_table(session& s, const std::string& history_table, const std::string& quoted) {
  if (table_exists(s, quoted)) return;
  std::string sql;
  if (auto dot = history_table.find('.'); dot != std::string::npos)
    sql += "CREATE SCHEMA IF NOT EXISTS " + s.quote_name(history_table.substr(0, dot)) + ";\n";
  sql += "CREATE TABLE IF NOT EXISTS " + quoted +
         " (\n"
         "  instance text PRIMARY KEY,\n"
         "  build_id text NOT NULL,\n"
         "  known_versions text NOT NULL,\n"
         "  host text NOT NULL,\n"
         "  pid bigint NOT NULL,\n"
         "  application_name text NOT NULL,\n"
         "  started_at timestamptz NOT NULL DEFAULT now(),\n"
         "  lease_expires_at timestamptz NOT NULL)";
  try {
    s.exec(sql);
  } catch (const database_error& f) {
    // Two processes creating it at once: one of them gets a unique violation on the catalog.
    if (f.connection_lost() || !table_exists(s, quoted)) throw;
  }
}

std::string interval_of(std::chrono::milliseconds lease) { return std::to_string(lease.count()) + " milliseconds"; }

}  // namespace

std::vector<live_build> read_live_builds(session& s, const std::string& history_table) {
  const std::string quoted = s.quote_qualified(builds_table_of(history_table));
  // One round trip: to_regclass in the same query decides whether there is a table to read.
  const auto exists = s.exec("SELECT to_regclass(" + s.quote(quoted) + ") IS NOT NULL");
  if (!exists.boolean(0, 0)) return {};
  const auto rows = s.exec("SELECT instance, build_id, known_versions, host, pid, application_name, to_char(started_at AT TIME ZONE 'UTC', " +
                           std::string(timestamp) + "), to_char(lease_expires_at AT TIME ZONE 'UTC', " + timestamp +
                           ") FROM " + quoted + " WHERE lease_expires_at > now() ORDER BY started_at, instance");
  std::vector<live_build> builds;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    live_build b;
    b.instance = rows.text(i, 0);
    b.build_id = rows.text(i, 1);
    b.known = parse_known_versions(rows.text(i, 2));
    b.host = rows.text(i, 3);
    b.pid = rows.integer(i, 4);
    b.application_name = rows.text(i, 5);
    b.started_at = rows.text(i, 6);
    b.lease_expires_at = rows.text(i, 7);
    builds.push_back(std::move(b));
  }
  return builds;
}

}  // namespace detail

struct build_registration::impl {
  std::string dsn;
  registration_options options;
  std::string table;  // quoted
  std::unique_ptr<session> db;
  live_build entry;
  std::string known_text;

  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread heartbeat;

  void connect() {
    db = detail::connect_for_migration(dsn, options.application_name);
    // Named as on the server's default search_path: through a transaction
    // pooler this connection may carry another client's (default_search_path.h).
    table = db->quote_qualified(detail::qualified_on_default_path(*db, {builds_table_of(options.table)}).at(0));
  }

  // Inserts the entry, or renews it; also clears entries whose lease ran out
  // (processes killed without a clean stop), so the table stays small.
  void upsert() {
    const auto r = db->exec_params(
        "WITH expired AS (DELETE FROM " + table + " WHERE lease_expires_at < now() - interval '1 hour')\n"
        "INSERT INTO " + table + " AS b (instance, build_id, known_versions, host, pid, application_name, "
        "lease_expires_at)\n"
        "VALUES ($1, $2, $3, $4, $5, $6, now() + $7::interval)\n"
        "ON CONFLICT (instance) DO UPDATE SET lease_expires_at = excluded.lease_expires_at\n"
        "RETURNING to_char(started_at AT TIME ZONE 'UTC', " + std::string(detail::timestamp) +
            "), to_char(lease_expires_at AT TIME ZONE 'UTC', " + detail::timestamp + ")",
        {entry.instance, entry.build_id, known_text, entry.host, std::to_string(entry.pid), entry.application_name,
         detail::interval_of(options.lease)});
    std::lock_guard<std::mutex> guard(mutex);
    entry.started_at = r.text(0, 0);
    entry.lease_expires_at = r.text(0, 1);
  }

  void beat_loop() {
    const auto every = options.lease / 3;
    bool failing = false;
    std::unique_lock<std::mutex> guard(mutex);
    while (!wake.wait_for(guard, every, [this] { return stopping; })) {
      guard.unlock();
      try {
        if (!db) connect();
        upsert();
        if (failing) log(log_level::info, "build registry: lease renewed again");
        failing = false;
      } catch (const std::exception& e) {
        // The next beat reconnects; until the lease runs out the entry stands.
        if (!failing)
          log(log_level::warn, std::string("build registry: renewing the lease failed (retrying): ") + e.what());
        failing = true;
        db.reset();
      }
      guard.lock();
    }
  }
};

build_registration::build_registration(const std::string& dsn, const module_set& set, registration_options options)
    : impl_(std::make_unique<impl>()) {
  if (backend_of(dsn) == backend_kind::sqlite)
    throw error(error_code::usage, "the build registry is PostgreSQL's: a SQLite database has no rolling deploys");
  impl_->dsn = dsn;
  impl_->options = std::move(options);
  impl_->options.lease = std::max(impl_->options.lease, std::chrono::milliseconds(300));
  auto& e = impl_->entry;
  e.instance = detail::random_instance();
  e.build_id = build_id_of(set);
  e.known = known_versions_of(set);
  e.host = detail::host_name();
  e.pid = getpid();
  e.application_name = impl_->options.application_name;
  impl_->known_text = format_known_versions(e.known);
  try {
    impl_->connect();
    detail::ensure_table(*impl_->db, impl_->options.table, impl_->table);
    impl_->upsert();
  } catch (const database_error& f) {
    const std::string sqlstate = f.details().sqlstate.empty() ? "" : "SQLSTATE " + f.details().sqlstate + ": ";
    throw error(error_code::database, "registering this build in " + builds_table_of(impl_->options.table) +
                                          " failed: " + sqlstate + f.what(),
                f.details());
  }
  impl_->heartbeat = std::thread([this] { impl_->beat_loop(); });
}

build_registration::~build_registration() {
  {
    std::lock_guard<std::mutex> guard(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->heartbeat.joinable()) impl_->heartbeat.join();
  try {
    if (!impl_->db) impl_->connect();
    impl_->db->exec_params("DELETE FROM " + impl_->table + " WHERE instance = $1", {impl_->entry.instance});
  } catch (const std::exception& e) {
    // The entry expires with its lease.
    log(log_level::warn, std::string("build registry: removing this build's entry failed (it expires with its lease): ") +
                             e.what());
  }
}

const live_build& build_registration::entry() const { return impl_->entry; }

}  // namespace migrator
