// What the application itself needs at startup, besides migrating: waiting for
// the database, and its own connection (module schemas on the search_path,
// optionally a role), which is never the one migrations run on.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "migrator/assembler.h"

namespace migrator {

// Tries to connect until it succeeds or `timeout` passes (backoff from 100 ms
// to 2 s, like `dbmate wait`). `on_retry(attempt, reason)` runs after each failed
// try. Throws error(database) with the last reason when the time is up.
// `application_name` as in engine_options.
void wait_for_database(const std::string& dsn, std::chrono::milliseconds timeout,
                       const std::function<void(int attempt, const std::string& reason)>& on_retry,
                       const std::string& application_name = "");

// The same waiting around `connect`, which opens a connection the caller goes
// on to use (the start's migration session: waiting costs no connection of
// its own). A failure of `connect` that waiting may cure (error(database)
// with no SQLSTATE, a lost connection, or 57P0x: the server is down, starting
// or stopping) is tried again; any other is thrown as it is.
void wait_until_connected(const std::function<void()>& connect, std::chrono::milliseconds timeout,
                          const std::function<void(int attempt, const std::string& reason)>& on_retry);

class application_connection {
 public:
  // Connects, sets the search_path to every module's schema in manifest order,
  // then public ("identity", "organization", "billing", public), and, when
  // `role` is given, SET ROLE. Through a transaction pooler (the server's
  // pg_backend_pid() is not the process id libpq was given) a session-level
  // SET would reach the pool's other clients and miss this connection's later
  // transactions: the settings then go in each transaction (SET LOCAL), and a
  // role the server refuses is still reported here.
  // `application_name` as in engine_options.
  application_connection(const std::string& dsn, const module_set& set, const std::optional<std::string>& role,
                         const std::string& application_name = "");
  ~application_connection();
  application_connection(const application_connection&) = delete;
  application_connection& operator=(const application_connection&) = delete;

  // Through a transaction pooler: true, and the application starts each of
  // its transactions with transaction_settings() ("SET LOCAL search_path TO
  // ...;\nSET LOCAL ROLE ...;\n"). On a direct connection: false and empty
  // (the session holds the settings).
  bool pooled() const;
  std::string transaction_settings() const;

  // `SHOW search_path` and `current_user` as the server reports them (through
  // a pooler, in a transaction that starts with transaction_settings()).
  std::string search_path();
  std::string current_role();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace migrator
