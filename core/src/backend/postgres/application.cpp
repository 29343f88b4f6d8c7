#include "migrator/application.h"

#include <thread>

#include "migrator/error.h"
#include "backend/postgres/pg_session.h"

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
};

application_connection::application_connection(const std::string& dsn, const module_set& set,
                                               const std::optional<std::string>& role,
                                               const std::string& application_name) {
  try {
    impl_ = std::make_unique<impl>(dsn, application_name);
    std::string path;
    for (const auto& m : set.modules) path += impl_->session.quote_name(m.schema) + ", ";
    std::string setup = "SET search_path TO " + path + "public;";
    if (role) setup += "SET ROLE " + impl_->session.quote_name(*role) + ";";
    impl_->session.exec(setup);
  } catch (const database_error& f) {
    throw error(error_code::database, std::string("opening the application connection: ") + f.what(), f.details());
  }
}

application_connection::~application_connection() = default;

std::string application_connection::search_path() {
  try {
    return impl_->session.exec("SHOW search_path").text(0, 0);
  } catch (const database_error& f) {
    throw error(error_code::database, f.what(), f.details());
  }
}

std::string application_connection::current_role() {
  try {
    return impl_->session.exec("SELECT current_user").text(0, 0);
  } catch (const database_error& f) {
    throw error(error_code::database, f.what(), f.details());
  }
}

}  // namespace migrator
