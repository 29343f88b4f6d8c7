// The PostgreSQL session on libpq: the only file that runs SQL on PostgreSQL
// for the engine, the history store and the lock. libpq is used directly
// (not libpqxx) because its result carries the server's diagnostic fields
// (PQresultErrorField), which libpqxx 6 reduces to the SQLSTATE.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/postgres/copy_rows.h"
#include "migrator/session.h"

struct pg_conn;
struct pg_cancel;
struct pg_result;

namespace migrator::detail {

// One reading statement's answer: libpq's result, or, for a COPY ... TO STDOUT,
// the rows it sent. Owns both.
struct pg_answer {
  pg_answer() = default;
  explicit pg_answer(pg_result* r) noexcept : result(r) {}
  pg_answer(pg_answer&& other) noexcept;
  pg_answer& operator=(pg_answer&& other) noexcept;
  ~pg_answer();
  pg_result* result = nullptr;
  std::unique_ptr<copied_rows> copied;
};

// A result read in place: each value is a view into libpq's result (or into
// the rows a COPY sent), valid while the reader runs. For results of thousands
// of rows (the history), where a query_result costs a vector and strings per
// row. Values read as query_result's do: text throws on NULL, integer and
// boolean parse the same way.
class pg_rows {
 public:
  std::size_t size() const noexcept { return rows_; }
  bool is_null(std::size_t row, std::size_t column) const noexcept;
  std::string_view text(std::size_t row, std::size_t column) const;
  std::int64_t integer(std::size_t row, std::size_t column) const;
  bool boolean(std::size_t row, std::size_t column) const;
  std::string owned_text(std::size_t row, std::size_t column) const { return std::string(text(row, column)); }

 private:
  friend class pg_session;
  explicit pg_rows(const pg_answer& answer);
  const pg_result* result_;
  const copied_rows* copied_;   // instead of result_, for a COPY
  std::size_t rows_, columns_;  // asked once, not at each value
};

class pg_session : public session {
 public:
  // Throws database_error (connection_lost) when the server cannot be reached.
  explicit pg_session(const std::string& dsn, const std::string& application_name = "");
  ~pg_session() override;
  pg_session(const pg_session&) = delete;
  pg_session& operator=(const pg_session&) = delete;

  query_result exec(const std::string& sql) override;
  query_result exec_params(const std::string& sql, const std::vector<field>& params) override;
  std::vector<query_result> exec_each(const std::vector<std::string>& statements) override;
  std::string quote(const std::string& value) override;
  std::string quote_name(const std::string& identifier) override;
  void cancel() noexcept override;
  std::int64_t process_id_at_connect() const noexcept override;
  int server_version() const noexcept override;
  // Runs `statements` in one round trip and hands their results to `read` at
  // once, in order, in place. A failing statement throws as exec does (the
  // statements after it never run). A statement may be a COPY ... TO STDOUT
  // (text format): its rows are its result (exec_each takes them too).
  void read_results(const std::vector<std::string>& statements,
                    const std::function<void(const std::vector<pg_rows>&)>& read);

  // Sends `statements` (each a single query that reads) as one request now and
  // keeps their results, so that the session's next requests, when they are
  // these statements in this order, are answered without a round trip.
  // backend_opener asks, on its connecting thread, what opening and the engine
  // will ask first, so the server answers while the module set loads. Kept are
  // the results up to the first statement that failed, that one's error
  // included: asked for, it is thrown as if the statement had just been sent
  // (a missing table, SQLSTATE 42P01, is how `status` learns there is none). Any
  // request that is not the next kept statement drops every kept result, so
  // nothing read ahead is used after another request (a lock taken, a write).
  // Never throws for the server's answer: the same requests come again.
  void read_ahead(const std::vector<std::string>& statements);

  // Whether the server writes dates and times as DateStyle ISO does, as it
  // last reported (at connect, and after every SET of DateStyle).
  bool date_style_iso() const noexcept;

  // Whether the DSN names one server: not a list of hosts (or addresses, or
  // ports) tried in turn, where another connection might reach another one.
  bool names_one_server() const;
  // Another connection made as this one was (same DSN, same application
  // name). Touches nothing of this session's connection: callable from another
  // thread while this session is in use. Throws as the constructor does.
  std::unique_ptr<pg_session> open_another() const;

 private:
  // The kept results of `statements`, in order, if they are the next ones read
  // ahead (removed from what is kept); otherwise drops every kept result and
  // returns none.
  std::vector<pg_answer> take_read_ahead(const std::vector<std::string>& statements);
  void drop_read_ahead() noexcept;

  // As given, for open_another(); never shown (it may hold a password).
  std::string dsn_;
  std::string application_name_;
  pg_conn* conn_ = nullptr;
  pg_cancel* cancel_ = nullptr;  // made once at connect: PQcancel on it is async-signal-safe
  std::deque<std::pair<std::string, pg_answer>> read_ahead_;  // statement and its answer, in order
};

// The server's message without libpq's "ERROR:  " prefix and trailing newline.
std::string clean_server_message(const std::string& what);

}  // namespace migrator::detail
