#include "migrator/application.h"

#include <thread>
#include <vector>

#include "migrator/error.h"
#include "migrator/log.h"
#include "backend/postgres/pg_session.h"
#include "backend/postgres/postgres_backend.h"

namespace migrator {

using detail::pg_session;

namespace {

// A server that answers but refuses us (bad password, no such database) will
// not get better; one that is down (no SQLSTATE), dropped us, or is starting or
// stopping (57P0x) may.
bool refused_for_good(bool connection_lost, const std::string& sqlstate) {
  return !connection_lost && !sqlstate.empty() && sqlstate.rfind("57P0", 0) != 0;
}

}  // namespace

void wait_until_connected(const std::function<void()>& connect, std::chrono::milliseconds timeout,
                          const std::function<void(int, const std::string&)>& on_retry) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(100);
  for (int attempt = 1;; ++attempt) {
    std::string reason;
    try {
      connect();
      return;
    } catch (const error& f) {
      if (f.code() != error_code::database) throw;
      reason = f.what();
      const auto* failure = dynamic_cast<const database_error*>(&f);
      if (refused_for_good(failure && failure->connection_lost(), f.details().sqlstate)) throw;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline)
      throw error(error_code::database, "the database did not accept connections within " +
                                            std::to_string(timeout.count()) + " ms: " + reason);
    if (on_retry) on_retry(attempt, reason);
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::milliseconds(2000));
  }
}

void wait_for_database(const std::string& dsn, std::chrono::milliseconds timeout,
                       const std::function<void(int, const std::string&)>& on_retry,
                       const std::string& application_name) {
  wait_until_connected(
      [&] {
        try {
          pg_session session(dsn, application_name);
          session.exec("SELECT 1");
        } catch (const database_error& f) {
          if (refused_for_good(f.connection_lost(), f.details().sqlstate))
            throw error(error_code::database, std::string("cannot connect to the database: ") + f.what(), f.details());
          throw;
        }
      },
      timeout, on_retry);
}

struct application_connection::impl {
  impl(const std::string& dsn, const std::string& application_name) : session(dsn, application_name) {}
  pg_session session;
  // Through a transaction pooler: "SET LOCAL ..." statements each transaction
  // starts with; empty on a direct connection, whose session holds the settings.
  std::vector<std::string> transaction_settings;

  // `sql`'s one value, in a transaction of its own with the settings when pooled.
  std::string ask(const std::string& sql) {
    if (transaction_settings.empty()) return session.exec(sql).text(0, 0);
    std::vector<std::string> statements{"BEGIN"};
    statements.insert(statements.end(), transaction_settings.begin(), transaction_settings.end());
    statements.push_back(sql);
    statements.push_back("COMMIT");
    return session.exec_each(statements).at(statements.size() - 2).text(0, 0);
  }
};

application_connection::application_connection(const std::string& dsn, const module_set& set,
                                               const std::optional<std::string>& role,
                                               const std::string& application_name) {
  try {
    impl_ = std::make_unique<impl>(dsn, application_name);
    pg_session& session = impl_->session;
    std::string path;
    for (const auto& m : set.modules) path += session.quote_name(m.schema) + ", ";
    std::vector<std::string> settings{"search_path TO " + path + "public"};
    if (role) settings.push_back("ROLE " + session.quote_name(*role));
    // Through a pooler a session-level SET would stay on the server connection
    // for whichever client gets it next (a migration run included), and this
    // connection's next transaction may run on another server connection without it.
    if (detail::through_transaction_pooler(session, session.exec("SELECT pg_backend_pid()").integer(0, 0))) {
      for (const auto& setting : settings) impl_->transaction_settings.push_back("SET LOCAL " + setting);
      impl_->ask("SELECT 1");  // a setting the server refuses (no such role) is reported here
      log(log_level::info, "the application connection goes through a transaction pooler: its search_path and role "
                           "are set in each transaction (SET LOCAL), never on the session, which the pooler hands "
                           "to other clients");
    } else {
      std::string setup;
      for (const auto& setting : settings) setup += "SET " + setting + ";";
      session.exec(setup);
    }
  } catch (const database_error& f) {
    throw error(error_code::database, std::string("opening the application connection: ") + f.what(), f.details());
  }
}

application_connection::~application_connection() = default;

bool application_connection::pooled() const { return !impl_->transaction_settings.empty(); }

std::string application_connection::transaction_settings() const {
  std::string sql;
  for (const auto& setting : impl_->transaction_settings) sql += setting + ";\n";
  return sql;
}

std::string application_connection::search_path() {
  try {
    return impl_->ask("SHOW search_path");
  } catch (const database_error& f) {
    throw error(error_code::database, f.what(), f.details());
  }
}

std::string application_connection::current_role() {
  try {
    return impl_->ask("SELECT current_user");
  } catch (const database_error& f) {
    throw error(error_code::database, f.what(), f.details());
  }
}

}  // namespace migrator
