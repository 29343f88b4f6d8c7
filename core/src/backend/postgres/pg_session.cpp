#include "backend/postgres/pg_session.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <exception>
#include <memory>
#include <string_view>
#include <system_error>
#include <utility>

#include "migrator/error.h"
#include "migrator/postgres.h"

namespace migrator::detail {

std::string clean_server_message(const std::string& what) {
  std::string m = what;
  for (const char* prefix : {"ERROR:  ", "FATAL:  "})
    if (m.rfind(prefix, 0) == 0) m = m.substr(std::char_traits<char>::length(prefix));
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

namespace {

// A deleter type, not &PQclear: a stored function address is bound when the
// process starts (a GOT entry), a call only when first made.
struct clear_result {
  void operator()(PGresult* r) const { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, clear_result>;

std::string diag(const PGresult* r, int code) {
  const char* v = PQresultErrorField(r, code);
  return v ? v : "";
}

// The message the engine shows: the primary message, then the server's other
// fields under their usual labels. The statement's "LINE n:" excerpt is left
// out: the engine turns the position into a file line.
std::string render(const error_details& d) {
  std::string m = d.server_message;
  if (!d.detail.empty()) m += "\nDETAIL:  " + d.detail;
  if (!d.hint.empty()) m += "\nHINT:  " + d.hint;
  if (!d.context.empty()) m += "\nCONTEXT:  " + d.context;
  return m;
}

// Notices (e.g. "relation already exists, skipping") are not errors and would
// otherwise go to stderr unformatted.
void ignore_notice(void*, const PGresult*) {}

}  // namespace

pg_session::pg_session(const std::string& dsn, const std::string& application_name)
    : dsn_(dsn), application_name_(application_name) {
  // The DSN goes in as "dbname" with expand_dbname, so a URI or keyword/value
  // string means the same as with PQconnectdb; fallback_application_name lets
  // an application_name the operator set (in the DSN or PGAPPNAME) win.
  const char* keys[] = {"dbname", "fallback_application_name", nullptr};
  const char* values[] = {dsn.c_str(), application_name.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (!conn_) throw database_error("out of memory opening a connection", {}, true);
  if (PQstatus(conn_) != CONNECTION_OK) {
    // libpq's message never echoes the password.
    std::string message = clean_server_message(PQerrorMessage(conn_));
    PQfinish(conn_);
    conn_ = nullptr;
    error_details d;
    d.server_message = message;
    throw database_error(message, d, true);
  }
  PQsetNoticeReceiver(conn_, ignore_notice, nullptr);
  cancel_ = PQgetCancel(conn_);
}

pg_session::~pg_session() {
  drop_read_ahead();
  if (cancel_) PQfreeCancel(cancel_);
  if (conn_) PQfinish(conn_);
}

void pg_session::cancel() noexcept {
  if (!cancel_) return;
  char message[256];
  PQcancel(cancel_, message, sizeof message);  // best effort: a failed request changes nothing
}

bool pg_session::names_one_server() const {
  // libpq's options of this connection: a comma in host, hostaddr or port is a
  // list, tried in turn until one server answers. The live connection's
  // options, not parse_conninfo() of the DSN: only they include what the
  // environment (PGHOST, PGPORT) supplied.
  const std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfo(conn_), &PQconninfoFree);
  if (!options) return false;
  for (const PQconninfoOption* o = options.get(); o->keyword; ++o) {
    const std::string_view keyword = o->keyword;
    if ((keyword == "host" || keyword == "hostaddr" || keyword == "port") && o->val && std::strchr(o->val, ','))
      return false;
  }
  return true;
}

std::unique_ptr<pg_session> pg_session::open_another() const {
  return std::make_unique<pg_session>(dsn_, application_name_);
}

std::int64_t pg_session::process_id_at_connect() const noexcept { return conn_ ? PQbackendPID(conn_) : 0; }

int pg_session::server_version() const noexcept { return conn_ ? PQserverVersion(conn_) : 0; }

namespace {

// The result of a query that succeeded; throws database_error for an error (and ends a COPY).
result_ptr checked(pg_conn* conn, PGresult* raw) {
  result_ptr r(raw);
  const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
    // COPY from or to the client has no data source here: end it and drain the rest.
    if (status == PGRES_COPY_IN) {
      PQputCopyEnd(conn, "COPY FROM STDIN is not supported by the migration runner");
    } else {
      char* buffer = nullptr;
      while (PQgetCopyData(conn, &buffer, 0) > 0) PQfreemem(buffer);
    }
    r.reset();
    while (PGresult* rest = PQgetResult(conn)) r.reset(rest);
    if (!r || PQresultStatus(r.get()) != PGRES_FATAL_ERROR)
      throw database_error("COPY to or from the client is not supported by the migration runner", {}, false);
  }
  if (!r || PQresultStatus(r.get()) == PGRES_FATAL_ERROR || PQresultStatus(r.get()) == PGRES_BAD_RESPONSE ||
      PQresultStatus(r.get()) == PGRES_NONFATAL_ERROR) {
    error_details d;
    if (r) {
      d.sqlstate = diag(r.get(), PG_DIAG_SQLSTATE);
      d.server_message = diag(r.get(), PG_DIAG_MESSAGE_PRIMARY);
      d.detail = diag(r.get(), PG_DIAG_MESSAGE_DETAIL);
      d.hint = diag(r.get(), PG_DIAG_MESSAGE_HINT);
      d.context = diag(r.get(), PG_DIAG_CONTEXT);
      const std::string position = diag(r.get(), PG_DIAG_STATEMENT_POSITION);
      if (!position.empty()) d.position = std::stoi(position);
    }
    // Errors libpq makes itself (a lost connection) have no fields, only a message.
    if (d.server_message.empty())
      d.server_message = clean_server_message(r ? PQresultErrorMessage(r.get()) : PQerrorMessage(conn));
    if (d.server_message.empty()) d.server_message = clean_server_message(PQerrorMessage(conn));
    // A backend terminated by the server (shutdown, pg_terminate_backend) answers
    // with SQLSTATE 57P01..57P03 and closes; a connection that just died has none.
    const bool lost = PQstatus(conn) == CONNECTION_BAD || d.sqlstate.rfind("57P0", 0) == 0 ||
                      d.sqlstate.rfind("08", 0) == 0;
    throw database_error(render(d), d, lost);
  }
  return r;
}

query_result take(pg_conn* conn, PGresult* raw) {
  const result_ptr r = checked(conn, raw);
  query_result out;
  const int columns = PQnfields(r.get());
  out.columns.reserve(columns);
  for (int c = 0; c < columns; ++c) out.columns.emplace_back(PQfname(r.get(), c));
  const int rows = PQntuples(r.get());
  out.rows.reserve(rows);
  for (int i = 0; i < rows; ++i) {
    row values;
    values.reserve(columns);
    for (int c = 0; c < columns; ++c) {
      if (PQgetisnull(r.get(), i, c))
        values.emplace_back(std::nullopt);
      else
        values.emplace_back(std::in_place, PQgetvalue(r.get(), i, c), PQgetlength(r.get(), i, c));
    }
    out.rows.push_back(std::move(values));
  }
  const char* affected = PQcmdTuples(r.get());
  if (affected && *affected) out.affected = std::stoll(affected);
  return out;
}

// A COPY's rows as a query_result (no column names: COPY sends none).
query_result take(copied_rows& copied) {
  query_result out;
  out.rows.reserve(copied.size());
  for (std::size_t i = 0; i < copied.size(); ++i) {
    row values;
    values.reserve(copied.columns());
    for (std::size_t c = 0; c < copied.columns(); ++c) {
      if (copied.is_null(i, c))
        values.emplace_back(std::nullopt);
      else
        values.emplace_back(std::in_place, copied.value(i, c));
    }
    out.rows.push_back(std::move(values));
  }
  return out;
}

query_result take(pg_conn* conn, pg_answer&& answer) {
  if (answer.copied) return take(*answer.copied);
  PGresult* result = answer.result;
  answer.result = nullptr;
  return take(conn, result);
}

// Reads the rows of the COPY TO STDOUT whose start `started` is, then that
// COPY's own result. Returns the rows, or, when the COPY failed, its error
// result (`failed`). Every row is read either way, so the request goes on.
std::unique_ptr<copied_rows> copy_out(pg_conn* conn, result_ptr started, result_ptr& failed) {
  started.reset();
  auto rows = std::make_unique<copied_rows>();
  std::exception_ptr undecodable;
  char* buffer = nullptr;
  int length;
  while ((length = PQgetCopyData(conn, &buffer, 0)) > 0) {
    const std::unique_ptr<char, decltype(&PQfreemem)> owned(buffer, &PQfreemem);
    if (undecodable) continue;
    try {
      rows->add_row(std::string_view(buffer, static_cast<std::size_t>(length)));
    } catch (...) {
      undecodable = std::current_exception();
    }
  }
  // -1: the COPY ended and its result follows; -2: the connection failed, and
  // PQgetResult then gives the error.
  result_ptr ended(PQgetResult(conn));
  if (!ended || PQresultStatus(ended.get()) != PGRES_COMMAND_OK) {
    failed = std::move(ended);
    if (!failed) failed.reset(PQmakeEmptyPGresult(conn, PGRES_FATAL_ERROR));
    return nullptr;
  }
  if (undecodable) std::rethrow_exception(undecodable);
  return rows;
}

}  // namespace

pg_answer::pg_answer(pg_answer&& other) noexcept : result(other.result), copied(std::move(other.copied)) {
  other.result = nullptr;
}

pg_answer& pg_answer::operator=(pg_answer&& other) noexcept {
  if (this != &other) {
    if (result) PQclear(result);
    result = other.result;
    other.result = nullptr;
    copied = std::move(other.copied);
  }
  return *this;
}

pg_answer::~pg_answer() {
  if (result) PQclear(result);
}

bool pg_session::date_style_iso() const noexcept {
  const char* style = conn_ ? PQparameterStatus(conn_, "DateStyle") : nullptr;
  return style && std::string_view(style).substr(0, 3) == "ISO";
}

query_result pg_session::exec(const std::string& sql) {
  if (!conn_) throw database_error("the connection is closed", {}, true);
  if (!read_ahead_.empty()) {
    auto kept = take_read_ahead({sql});
    if (!kept.empty()) return take(conn_, std::move(kept.front()));
  }
  // PQexec returns the last statement's result, or the first error.
  return take(conn_, PQexec(conn_, sql.c_str()));
}

namespace {

// `statements` as one simple-protocol request, each ended by a semicolon.
std::string one_request(const std::vector<std::string>& statements) {
  std::string sql;
  for (const auto& statement : statements) {
    sql += statement;
    sql += ";\n";
  }
  return sql;
}

// Sends `statements` as one simple query and collects each one's answer; throws
// as checked does at the first that failed. A COPY TO STDOUT answers with its rows.
std::vector<pg_answer> answers_of_each(pg_conn* conn, const std::vector<std::string>& statements) {
  const std::string sql = one_request(statements);
  if (!PQsendQuery(conn, sql.c_str())) checked(conn, nullptr);
  std::vector<pg_answer> answers;
  const auto fail = [&](result_ptr failed) {
    while (PGresult* rest = PQgetResult(conn)) PQclear(rest);  // ready for the next query
    checked(conn, failed.release());                           // throws
  };
  while (PGresult* next = PQgetResult(conn)) {
    const ExecStatusType status = PQresultStatus(next);
    if (status == PGRES_COPY_OUT) {
      result_ptr failed;
      pg_answer answer;
      try {
        answer.copied = copy_out(conn, result_ptr(next), failed);
      } catch (...) {  // rows it could not decode: the rest of the request is read first
        while (PGresult* rest = PQgetResult(conn)) PQclear(rest);
        throw;
      }
      if (failed) fail(std::move(failed));
      answers.push_back(std::move(answer));
    } else if (status == PGRES_COPY_IN || status == PGRES_COPY_BOTH) {
      checked(conn, next);  // ends the COPY, drains the rest and throws
    } else if (status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE || status == PGRES_NONFATAL_ERROR) {
      fail(result_ptr(next));
    } else if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
      answers.emplace_back(next);
    } else {
      PQclear(next);  // an empty statement
    }
  }
  return answers;
}

}  // namespace

std::vector<query_result> pg_session::exec_each(const std::vector<std::string>& statements) {
  if (!conn_) throw database_error("the connection is closed", {}, true);
  drop_read_ahead();
  std::vector<query_result> out;
  for (auto& answer : answers_of_each(conn_, statements)) out.push_back(take(conn_, std::move(answer)));
  return out;
}

void pg_session::read_results(const std::vector<std::string>& statements,
                              const std::function<void(const std::vector<pg_rows>&)>& read) {
  if (!conn_) throw database_error("the connection is closed", {}, true);
  std::vector<pg_answer> answers;
  if (!read_ahead_.empty()) answers = take_read_ahead(statements);
  if (answers.empty()) answers = answers_of_each(conn_, statements);
  for (auto& answer : answers)  // an error read ahead: the last answer kept
    if (answer.result && PQresultStatus(answer.result) == PGRES_FATAL_ERROR) {
      pg_result* failed = answer.result;
      answer.result = nullptr;
      checked(conn_, failed);  // throws
    }
  std::vector<pg_rows> rows;
  rows.reserve(answers.size());
  for (const auto& answer : answers) rows.push_back(pg_rows(answer));
  read(rows);
}

void pg_session::read_ahead(const std::vector<std::string>& statements) {
  drop_read_ahead();
  if (!conn_ || statements.empty()) return;
  const std::string sql = one_request(statements);
  if (!PQsendQuery(conn_, sql.c_str())) return;
  // Every result is read, so the connection is idle again whatever happened;
  // one answer per statement, up to the first error (the rest never ran).
  bool failed = false;
  while (PGresult* next = PQgetResult(conn_)) {
    const ExecStatusType status = PQresultStatus(next);
    const bool wanted = !failed && read_ahead_.size() < statements.size();
    if (status == PGRES_COPY_OUT) {
      result_ptr copy_failed;
      pg_answer answer;
      try {
        answer.copied = copy_out(conn_, result_ptr(next), copy_failed);
      } catch (...) {  // undecodable rows: asked again, the same request reports them
        copy_failed.reset(PQmakeEmptyPGresult(conn_, PGRES_FATAL_ERROR));
      }
      if (copy_failed || !wanted) {
        failed = true;
        continue;
      }
      read_ahead_.emplace_back(statements[read_ahead_.size()], std::move(answer));
      continue;
    }
    if (wanted && status == PGRES_TUPLES_OK) {
      read_ahead_.emplace_back(statements[read_ahead_.size()], pg_answer(next));
      continue;
    }
    // The server's error for the statement (the rest never ran): kept, and
    // thrown when the statement is asked for.
    if (wanted && status == PGRES_FATAL_ERROR) {
      read_ahead_.emplace_back(statements[read_ahead_.size()], pg_answer(next));
      failed = true;
      continue;
    }
    failed = true;  // a result a reading statement does not give: keep only what came before
    PQclear(next);
  }
  if (PQstatus(conn_) != CONNECTION_OK) drop_read_ahead();
}

std::vector<pg_answer> pg_session::take_read_ahead(const std::vector<std::string>& statements) {
  // Fewer kept than asked will do when the last kept is an error: the request
  // would have stopped there too.
  const auto& last = read_ahead_.back().second;
  const bool ends_in_error = last.result && PQresultStatus(last.result) == PGRES_FATAL_ERROR;
  const std::size_t count = std::min(statements.size(), read_ahead_.size());
  const bool next_ones = !statements.empty() && (read_ahead_.size() >= statements.size() || ends_in_error) &&
                         std::equal(statements.begin(), statements.begin() + count, read_ahead_.begin(),
                                    [](const std::string& asked, const auto& kept) { return asked == kept.first; });
  if (!next_ones) {
    drop_read_ahead();
    return {};
  }
  std::vector<pg_answer> taken;
  taken.reserve(count);  // before any answer leaves read_ahead_
  for (std::size_t i = 0; i < count; ++i) {
    taken.push_back(std::move(read_ahead_.front().second));
    read_ahead_.pop_front();
  }
  return taken;
}

void pg_session::drop_read_ahead() noexcept { read_ahead_.clear(); }

pg_rows::pg_rows(const pg_answer& answer)
    : result_(answer.copied ? nullptr : answer.result),
      copied_(answer.copied.get()),
      rows_(copied_ ? copied_->size() : static_cast<std::size_t>(PQntuples(result_))),
      columns_(copied_ ? copied_->columns() : static_cast<std::size_t>(PQnfields(result_))) {}

bool pg_rows::is_null(std::size_t row, std::size_t column) const noexcept {
  if (copied_) return copied_->is_null(row, column);
  return PQgetisnull(result_, static_cast<int>(row), static_cast<int>(column)) != 0;
}

std::string_view pg_rows::text(std::size_t row, std::size_t column) const {
  if (row >= rows_ || column >= columns_)
    throw error(error_code::database, "the query returned no value at row " + std::to_string(row) +
                                          ", column " + std::to_string(column));
  const auto null_value = [&] {
    return error(error_code::database,
                 "the query returned NULL at row " + std::to_string(row) + ", column " + std::to_string(column));
  };
  if (copied_) {
    if (copied_->is_null(row, column)) throw null_value();
    return copied_->value(row, column);
  }
  const int r = static_cast<int>(row), c = static_cast<int>(column);
  // A text-format value is NUL-terminated and holds no NUL, and only an empty
  // one can be NULL: one call into libpq per value instead of three, over the
  // history's thousands.
  const char* value = PQgetvalue(result_, r, c);
  if (*value == '\0' && PQgetisnull(result_, r, c)) throw null_value();
  return {value, std::char_traits<char>::length(value)};
}

std::int64_t pg_rows::integer(std::size_t row, std::size_t column) const {
  const std::string_view v = text(row, column);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
  if (ec == std::errc() && end == v.data() + v.size() && !v.empty()) return value;
  return std::stoll(std::string(v));  // query_result::integer's rules and exceptions
}

bool pg_rows::boolean(std::size_t row, std::size_t column) const {
  const std::string_view v = text(row, column);
  return v == "t" || v == "true" || v == "1";
}

query_result pg_session::exec_params(const std::string& sql, const std::vector<field>& params) {
  if (!conn_) throw database_error("the connection is closed", {}, true);
  drop_read_ahead();
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return take(conn_, PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                                  nullptr, nullptr, 0));
}

std::string pg_session::quote(const std::string& value) {
  std::unique_ptr<char, decltype(&PQfreemem)> q(PQescapeLiteral(conn_, value.data(), value.size()),
                                                &PQfreemem);
  if (!q)
    throw database_error("cannot quote a value: " + clean_server_message(PQerrorMessage(conn_)), {}, false);
  return q.get();
}

std::string pg_session::quote_name(const std::string& identifier) {
  std::unique_ptr<char, decltype(&PQfreemem)> q(
      PQescapeIdentifier(conn_, identifier.data(), identifier.size()), &PQfreemem);
  if (!q)
    throw database_error("cannot quote a name: " + clean_server_message(PQerrorMessage(conn_)), {}, false);
  return q.get();
}

}  // namespace migrator::detail

namespace migrator {

std::unique_ptr<session> connect_postgres(const std::string& dsn, const std::string& application_name) {
  return std::make_unique<detail::pg_session>(dsn, application_name);
}

}  // namespace migrator
