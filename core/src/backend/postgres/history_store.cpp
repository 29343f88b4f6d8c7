#include "backend/postgres/history_store.h"

#include "backend/postgres/build_registry.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "backend/applied_history.h"
#include "backend/history_rows.h"
#include "backend/side_digest.h"
#include "backend/postgres/goose_timestamp.h"
#include "backend/postgres/pg_session.h"
#include "migrator/postgres.h"
#include "support/host_name.h"

namespace migrator::detail {

namespace {

const char* const record_statement = "migrator_record_applied";
// The step mark of a request group (step_started_sql), prepared beside the
// record statement: as a plain SELECT each migration's mark was parsed, its
// functions looked up and planned afresh (in perf over a fleet of fresh
// databases, parse analysis and planning were about 5% of the server's samples).
const char* const step_mark_statement = "migrator_step_started";
const char* const step_mark_sql = "SELECT set_config('migrator.step_started', clock_timestamp()::text, true)";

// A migration's server-side duration: since its step_started_sql mark when it
// travelled in a batch of several, else since its request arrived.
const char* const duration_sql =
    "1000 * extract(epoch FROM clock_timestamp() - coalesce(nullif(current_setting('migrator.step_started', true), "
    "'')::timestamptz, statement_timestamp()))";

// What the digests were written against: goose's row count and highest id, of
// goose's rows (id first) as the read before the lock or status reads them.
template <typename Rows>
goose_table_mark goose_mark_of(const Rows& goose) {
  goose_table_mark mark{static_cast<std::int64_t>(goose.size()), 0};
  for (std::size_t i = 0; i < goose.size(); ++i) mark.last_id = std::max(mark.last_id, goose.integer(i, 0));
  return mark;
}

// Runs `statements` in one round trip and hands all their results to `read` at
// once, in order: in place on libpq's results when the session is libpq's (a row
// per migration, without a query_result's vector and strings per row), as
// result_rows over query_results otherwise (a session of the tests').
template <typename Reader>
void read_all(session& s, const std::vector<std::string>& statements, Reader&& read) {
  if (auto* pg = dynamic_cast<pg_session*>(&s)) {
    pg->read_results(statements, [&](const std::vector<pg_rows>& results) { read(results); });
    return;
  }
  std::vector<query_result> results = s.exec_each(statements);
  std::vector<result_rows> rows;
  rows.reserve(results.size());
  for (auto& r : results) rows.emplace_back(r);
  read(rows);
}

// A history table the query named does not exist (SQLSTATE 42P01,
// undefined_table, or, for a COPY of a table whose schema does not exist,
// 3F000, invalid_schema_name), as opposed to a failure of the query or the connection.
bool missing_table(const database_error& e) {
  const std::string& state = e.details().sqlstate;
  return (state == "42P01" || state == "3F000") && !e.connection_lost();
}

}  // namespace

goose_history_store::goose_history_store(session& session, const std::string& table, bool direct,
                                         bool tables_aside)
    : session_(session),
      table_name_(table),
      table_(session.quote_qualified(table)),
      meta_(session.quote_qualified(table + "_meta")),
      repeatable_(session.quote_qualified(repeatable_table_of(table))),
      digest_(session.quote_qualified(table + "_digest")),
      host_(detail::host_name()),
      tables_aside_(direct && tables_aside),
      prepare_(direct) {}

bool goose_history_store::times_as_iso() const {
  const auto* pg = dynamic_cast<const pg_session*>(&session_);
  return pg && pg->date_style_iso();
}

std::vector<std::string> goose_history_store::first_read_statements() const {
  return first_read_statements(times_as_iso());
}

std::vector<std::string> goose_history_store::first_read_statements(bool iso_times) const {
  std::vector<std::string> statements = row_statements(migrated, iso_times);
  statements.insert(statements.begin(), which_exist_sql());
  return statements;
}

std::string goose_history_store::which_exist_sql() const {
  return "SELECT to_regclass(" + session_.quote(table_) + ") IS NOT NULL, to_regclass(" + session_.quote(meta_) +
         ") IS NOT NULL, to_regclass(" + session_.quote(repeatable_) + ") IS NOT NULL";
}

history_snapshot goose_history_store::read() {
  // Goose's table and the side table exist once the tool has migrated the
  // database (ensure()), so which tables exist is asked in the same request as
  // their rows. Only when one is missing (SQLSTATE 42P01: a fresh database, or
  // goose's table without ours) is it asked alone first. The repeatables' table
  // exists once a set had repeatable migrations; its rows follow in a second request.
  // A table this session already found missing (a fresh database: the first
  // look, compare_applied or read_for_status, failed on it) is asked first
  // straight away, until ensure() has created the tables.
  const bool iso_times = times_as_iso();
  if (table_found_missing_) return read_existing_tables(iso_times);
  history_snapshot snap;
  snap.exists = true;
  bool repeatable_exists = false;
  try {
    read_all(session_, first_read_statements(iso_times), [&](auto& results) {
      repeatable_exists = results.at(0).boolean(0, 2);
      rows_into(results, 1, migrated, iso_times, snap);
    });
  } catch (const database_error& e) {
    if (!missing_table(e)) throw;
    return read_existing_tables(iso_times);
  }
  if (repeatable_exists) {
    const row_reads repeatables_only{false, false, true};
    read_all(session_, row_statements(repeatables_only, iso_times),
             [&](auto& results) { rows_into(results, 0, repeatables_only, iso_times, snap); });
  }
  return snap;
}

history_snapshot goose_history_store::read_existing_tables(bool iso_times) {
  auto exists = session_.exec(which_exist_sql());
  if (!exists.boolean(0, 0)) return history_snapshot{};
  history_snapshot snap;
  snap.exists = true;
  const row_reads existing{exists.boolean(0, 1), true, exists.boolean(0, 2)};
  read_all(session_, row_statements(existing, iso_times),
           [&](auto& results) { rows_into(results, 0, existing, iso_times, snap); });
  return snap;
}

std::vector<std::string> goose_history_store::row_statements(row_reads reads, bool iso_times) const {
  // The side rows before goose's: each statement sees what was committed when it
  // began, and a migration commits both rows together. Another runner committing
  // in between then shows as applied without its side row (a missing checksum,
  // harmless), never as a side row without goose's row, which reads as a pending
  // version (and made an older build starting beside a newer one refuse).
  // COPY, not SELECT, where the text serves (backend/postgres/copy_rows.h):
  // the side rows' columns as meta_rows_sql reads them, and goose's tstamp as its
  // own text when the server writes it as DateStyle ISO does. Under another
  // DateStyle, goose's rows come from a SELECT that turns tstamp into seconds.
  std::vector<std::string> statements;
  if (reads.side)
    statements.push_back("COPY " + meta_ + " (" + meta_row_columns + ") TO STDOUT");
  // goose v3 deletes the row on down; goose v2 appended is_applied=false rows.
  // The latest row of a version decides, which reads both correctly; the rows
  // are put in id order here, not by the server.
  if (reads.goose)
    statements.push_back(iso_times ? "COPY " + table_ + " (id, version_id, is_applied, tstamp) TO STDOUT"
                                   : "SELECT id, version_id, is_applied, " + goose_seconds_sql("tstamp") + " FROM " +
                                         table_);
  if (reads.repeatables)
    statements.push_back(repeatable_rows_sql(repeatable_, "to_char(applied_at, 'YYYY-MM-DD HH24:MI:SS')"));
  return statements;
}

template <typename Results>
void goose_history_store::rows_into(Results& results, std::size_t first, row_reads reads, bool iso_times,
                                    history_snapshot& snap) {
  std::size_t next = first;
  if (reads.side) meta_from_rows(results.at(next++), snap.meta);
  if (reads.goose) {
    auto& rows = results.at(next++);
    snap.applied = applied_from_goose_rows(rows, [&](std::size_t i) {
      // NULL: a row goose v2 wrote without a time (or, read as seconds, an
      // infinite one). Its applied-at stays empty, which status shows as no time.
      if (rows.is_null(i, 3)) return std::string();
      return iso_times ? goose_timestamp_from_iso(rows.text(i, 3)) : goose_timestamp_text(rows.integer(i, 3));
    });
  }
  if (reads.repeatables) repeatables_from_rows(results.at(next), snap.repeatables);
}

std::optional<history_comparison> goose_history_store::compare_applied(
    const std::vector<migration>& migrations, const std::vector<migration>& repeatables) {
  // The digests and goose's rows, in one round trip, compared here: the side
  // rows are left unread when the digests prove them (backend/side_digest.h),
  // which on 1,000 migrations is most of what the request would carry. The
  // digests are read first, as in read_for_status.
  const bool with_repeatables = !repeatables.empty();
  const auto text = [](const auto& rows, std::size_t row, std::size_t column) -> std::string_view {
    if (rows.is_null(row, column)) return {};
    return rows.text(row, column);
  };
  const auto repeatable_rows_of = [&](const auto& r) {
    std::vector<repeatable_history_row> out;
    for (std::size_t i = 0; i < r.size(); ++i)
      out.push_back({text(r, i, 0), text(r, i, 1), text(r, i, 2), r.is_null(i, 3) ? 0 : r.integer(i, 3)});
    return out;
  };
  std::optional<history_comparison> decided;
  try {
    read_all(session_, compare_statements(with_repeatables), [&](auto& results) {
      std::vector<side_digest_row> digests;
      digests_from_rows(results.at(0), digests);
      auto& rows = results.at(1);
      const goose_table_mark mark = goose_mark_of(rows);
      if (!digests_current(digests, mark)) return;
      const auto applied = applied_from_goose_rows(rows, [](std::size_t) { return std::string(); });
      decided = compare_applied_by_digests(digests, mark, applied,
                                           with_repeatables ? repeatable_rows_of(results.at(2))
                                                            : std::vector<repeatable_history_row>{},
                                           migrations, repeatables);
    });
    if (decided) return decided;
    // The digests prove nothing (goose changed the history since, a run
    // stopped): the side rows, compared one by one.
    history_comparison same;
    read_all(session_, side_compare_statements(with_repeatables), [&](auto& results) {
      const auto& meta = results.at(0);
      std::vector<side_history_row> side(meta.size());
      for (std::size_t i = 0; i < meta.size(); ++i)
        side[i] = {meta.integer(i, 0), text(meta, i, 1), text(meta, i, 2), text(meta, i, 3)};
      const auto& rows = results.at(1);
      std::vector<goose_history_row> goose(rows.size());
      for (std::size_t i = 0; i < rows.size(); ++i)
        goose[i] = {rows.integer(i, 0), rows.integer(i, 1), rows.boolean(i, 2)};
      const auto repeatable_rows =
          with_repeatables ? repeatable_rows_of(results.at(2)) : std::vector<repeatable_history_row>{};
      same = compare_applied_history(goose, side, repeatable_rows, migrations, repeatables);
    });
    return same;
  } catch (const database_error& e) {
    // A missing table (SQLSTATE 42P01, undefined_table): a fresh database, or a
    // history from before the digests, which read() tells apart. Asking first
    // would cost every start a round trip.
    if (!missing_table(e)) throw;
    table_found_missing_ = true;
    return std::nullopt;
  }
}

std::vector<std::string> goose_history_store::compare_statements(bool with_repeatables) const {
  std::vector<std::string> statements{digest_copy_sql(), "COPY " + table_ + " (id, version_id, is_applied) TO STDOUT"};
  if (with_repeatables) statements.push_back(repeatable_copy_sql());
  return statements;
}

std::vector<std::string> goose_history_store::side_compare_statements(bool with_repeatables) const {
  std::vector<std::string> statements{"COPY " + meta_ + " (version_id, module, checksum, state) TO STDOUT",
                                      "COPY " + table_ + " (id, version_id, is_applied) TO STDOUT"};
  if (with_repeatables) statements.push_back(repeatable_copy_sql());
  return statements;
}

std::string goose_history_store::repeatable_copy_sql() const {
  return "COPY " + repeatable_ + " (module, name, checksum, known_version) TO STDOUT";
}

std::string goose_history_store::digest_copy_sql() const {
  return "COPY " + digest_ + " (" + side_digest_columns + ") TO STDOUT";
}

std::vector<std::string> goose_history_store::status_statements() const {
  // Not which tables exist: the request fails when one is missing (SQLSTATE
  // 42P01), and read() then finds out. Asking cost a new server process as
  // much as reading goose's table.
  std::vector<std::string> statements{digest_copy_sql()};
  for (auto& statement : row_statements(row_reads{false, true, false}, times_as_iso()))
    statements.push_back(std::move(statement));
  return statements;
}

std::vector<std::string> goose_history_store::status_read_ahead_statements() const {
  auto statements = status_statements();
  for (auto& statement : row_statements(row_reads{false, false, true}, times_as_iso()))
    statements.push_back(std::move(statement));
  return statements;
}

history_snapshot goose_history_store::read_for_status(const std::vector<migration>& migrations) {
  // Goose's rows and the digests, not the side rows (backend/side_digest.h).
  // The digests are read first: another runner committing in between changes
  // goose's table, whose mark then no longer matches, and proves nothing.
  history_snapshot snap;
  snap.exists = true;
  bool proved = false;
  const bool iso_times = times_as_iso();
  try {
    read_all(session_, status_statements(), [&](auto& results) {
      std::vector<side_digest_row> digests;
      digests_from_rows(results.at(0), digests);
      const goose_table_mark mark = goose_mark_of(results.at(1));
      if (!digests_current(digests, mark)) return;  // proves nothing: read() reads goose's rows
      rows_into(results, 1, row_reads{false, true, false}, iso_times, snap);
      proved = side_rows_proved(digests, mark, snap.applied, migrations);
    });
  } catch (const database_error& e) {
    if (!missing_table(e)) throw;  // no history, or one from before the digests: read() tells
    table_found_missing_ = true;
  }
  if (!proved) return read();
  snap.side_rows_match_files = true;
  // The repeatables' rows (status lists recorded ones the set no longer has
  // too), in a request of their own: their table exists once one was applied.
  const row_reads repeatables_only{false, false, true};
  try {
    read_all(session_, row_statements(repeatables_only, iso_times),
             [&](auto& results) { rows_into(results, 0, repeatables_only, iso_times, snap); });
  } catch (const database_error& e) {
    if (!missing_table(e)) throw;  // none was ever applied
  }
  return snap;
}

template <typename Rows>
void goose_history_store::digests_from_rows(Rows& rows, std::vector<side_digest_row>& out) {
  out.resize(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i)
    out[i] = {rows.text(i, 0), rows.integer(i, 1), rows.text(i, 2), rows.integer(i, 3), rows.integer(i, 4)};
}

std::string goose_history_store::create_digest_table_sql() const {
  return "CREATE TABLE IF NOT EXISTS " + digest_ + " (\n"
         "  module text PRIMARY KEY,\n"
         "  versions bigint NOT NULL,\n"
         "  digest text NOT NULL,\n"
         "  goose_rows bigint NOT NULL,\n"
         "  goose_last_id bigint NOT NULL)";
}

void goose_history_store::refresh_digests() {
  // After ensure(), which created the table, under the same lock.
  session_.exec(side_digest_sql(digest_, meta_, table_));
}

std::vector<std::string> goose_history_store::ensure_statements(bool prepare) const {
  std::vector<std::string> statements;
  auto dot = table_name_.find('.');
  if (dot != std::string::npos)
    statements.push_back("CREATE SCHEMA IF NOT EXISTS " + session_.quote_name(table_name_.substr(0, dot)));
  // goose v3's own DDL and its version-0 row, so goose reads this table as its
  // own. The row goes in only when this request created the table: the
  // request is one transaction, and the table's pg_class row has the age 0
  // only when this transaction wrote it. A table that exists keeps what it
  // has, also when it is empty (goose refuses that; it is not repaired here).
  // Plain SQL, not a DO block: the block loaded PL/pgSQL into the new server
  // process, 0.9 ms of the first `up` (psql, fresh databases, 20 each).
  statements.push_back("CREATE TABLE IF NOT EXISTS " + table_ + " (\n"
                       "  id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY,\n"
                       "  version_id bigint NOT NULL,\n"
                       "  is_applied boolean NOT NULL,\n"
                       "  tstamp timestamp NOT NULL DEFAULT now())");
  statements.push_back("INSERT INTO " + table_ + " (version_id, is_applied) SELECT 0, true FROM pg_catalog.pg_class\n"
                       "  WHERE oid = " + session_.quote(table_) + "::regclass AND pg_catalog.age(xmin) = 0");
  statements.push_back("CREATE TABLE IF NOT EXISTS " + meta_ + " (\n"
                       "  version_id bigint PRIMARY KEY,\n"
                       "  module text,\n"
                       "  name text,\n"
                       "  checksum text,\n"
                       "  state text NOT NULL DEFAULT 'applied' CHECK (state IN ('applied', 'dirty')),\n"
                       "  statements_done integer,\n"
                       "  statements_total integer,\n"
                       "  duration_ms double precision,\n"
                       "  applied_by text NOT NULL DEFAULT current_user,\n"
                       "  applied_host text,\n"
                       "  recorded_at timestamptz NOT NULL DEFAULT now())");
  // A run is about to change the side rows: their digests go now, in a
  // transaction of their own, and come back when it ends (refresh_digests).
  statements.push_back(create_digest_table_sql());
  statements.push_back("DELETE FROM " + digest_);
  // Last, so they run only when the tables exist; in the same round trip.
  if (prepare && prepare_ && !prepared_)
    for (auto& statement : prepare_statements()) statements.push_back(std::move(statement));
  return statements;
}

void goose_history_store::ensure() {
  session_.exec_each(ensure_statements());  // one request
  ensured();
}

void goose_history_store::ensured() noexcept {
  prepared_ = prepare_;
  prepare_with_next_mark_ = false;  // ensure_statements() prepared them
  table_found_missing_ = false;
}

history_snapshot goose_history_store::ensure_and_read() {
  // BEGIN, ensure()'s statements and read()'s first request, as one request:
  // the tables exist by the time the history is read, so no table is missing.
  const bool iso_times = times_as_iso();
  std::vector<std::string> statements{"BEGIN"};
  for (auto& statement : ensure_statements()) statements.push_back(std::move(statement));
  const std::size_t which_exist = statements.size();
  for (auto& statement : first_read_statements(iso_times)) statements.push_back(std::move(statement));
  history_snapshot snap;
  snap.exists = true;
  try {
    bool repeatable_exists = false;
    read_all(session_, statements, [&](auto& results) {
      repeatable_exists = results.at(which_exist).boolean(0, 2);
      rows_into(results, which_exist + 1, migrated, iso_times, snap);
    });
    ensured();
    if (repeatable_exists) {
      const row_reads repeatables_only{false, false, true};
      read_all(session_, row_statements(repeatables_only, iso_times),
               [&](auto& results) { rows_into(results, 0, repeatables_only, iso_times, snap); });
    }
  } catch (...) {
    // The transaction is the caller's only once this returns: a failure ends it
    // here, so that the lock's release, next on this session, is not refused.
    rollback_quietly(session_);
    throw;
  }
  return snap;
}

// ensure()'s tables made in a transaction on a connection of their own, on
// a thread of their own, while the engine sends the first migration's
// statements: on a fresh database the tables' statements (4-5 ms of a new
// server process's time) then run beside the migration, not before it. The
// engine holds the advisory lock from before start() until after wait(). The
// record statement is PREPAREd at wait(), on the engine's session (a prepared
// statement is its session's). Where the other connection is refused (a
// connection limit), or has not made them within `patience` (a pool in
// session mode that has no server connection to spare until the engine's
// ends, or a first migration that creates, uncommitted, the schema the
// history table goes in, whose CREATE SCHEMA IF NOT EXISTS then waits for that
// transaction), its request is cancelled and the tables are made at wait() on
// the engine's session, inside its open transaction: with the migration they
// commit or roll back. ensure()'s statements make only what is missing, so
// making them twice is harmless.
class tables_made_aside final : public tables_in_making {
 public:
  static constexpr std::chrono::seconds patience{3};

  tables_made_aside(goose_history_store& store, const pg_session& main)
      : store_(store), main_(main), statements_(store.ensure_statements(/*prepare=*/false)) {}
  ~tables_made_aside() override {
    if (!thread_.joinable()) return;
    give_up();
    thread_.join();
  }
  tables_made_aside(const tables_made_aside&) = delete;
  tables_made_aside& operator=(const tables_made_aside&) = delete;

  void start() override {
    thread_ = std::thread([this] {
      make();
      const std::lock_guard<std::mutex> hold(mutex_);
      finished_ = true;
      finished_signal_.notify_all();
    });
  }

  void wait() override {
    if (thread_.joinable()) {
      {
        std::unique_lock<std::mutex> hold(mutex_);
        if (!finished_signal_.wait_for(hold, patience, [this] { return finished_; })) give_up_locked();
      }
      thread_.join();
    }
    if (failure_) std::rethrow_exception(failure_);
    // Not made aside (or never started): here, inside the engine's open
    // transaction, or in one of their own (one request) when none is open,
    // with ensure()'s PREPAREs. Made aside: the PREPAREs (a statement is
    // prepared on its own session) go at the head of the engine's next request
    // group (step_started_sql), which is the first to use them: the rest of
    // the current request was built before the tables existed, and a run of
    // one request (W2: one migration) never uses them (1.1 ms of the server's
    // time for the record statement's PREPARE alone, lab, W2).
    const bool prepare_later = made_ && !store_.prepared_;
    if (!made_) store_.session_.exec_each(store_.ensure_statements());
    made_ = true;
    store_.ensured();
    if (prepare_later && store_.prepared_) {
      store_.prepared_ = false;
      store_.prepare_with_next_mark_ = true;
    }
  }

 private:
  void make() {
    std::unique_ptr<pg_session> another;
    try {
      another = main_.open_another();
    } catch (const database_error&) {
      return;  // refused: made at wait(), on the engine's session
    } catch (...) {
      failure_ = std::current_exception();
      return;
    }
    {
      const std::lock_guard<std::mutex> hold(mutex_);
      if (given_up_) return;
      another_ = another.get();
    }
    std::vector<std::string> transaction{"BEGIN"};
    transaction.insert(transaction.end(), statements_.begin(), statements_.end());
    transaction.push_back("COMMIT");
    try {
      another->exec_each(transaction);
      made_ = true;
    } catch (...) {
      const std::lock_guard<std::mutex> hold(mutex_);
      if (!given_up_) failure_ = std::current_exception();  // given up: cancelled, made at wait()
    }
    const std::lock_guard<std::mutex> hold(mutex_);
    another_ = nullptr;
  }

  void give_up() {
    const std::lock_guard<std::mutex> hold(mutex_);
    give_up_locked();
  }
  void give_up_locked() {
    given_up_ = true;
    if (another_) another_->cancel();  // a request already done ignores it
  }

  goose_history_store& store_;
  const pg_session& main_;
  const std::vector<std::string> statements_;
  std::mutex mutex_;
  std::condition_variable finished_signal_;
  bool finished_ = false;
  bool given_up_ = false;
  pg_session* another_ = nullptr;  // while its request runs
  // Written by the thread, read after it is joined.
  std::exception_ptr failure_;
  bool made_ = false;
  std::thread thread_;
};

std::unique_ptr<tables_in_making> goose_history_store::tables_to_make_aside() {
  // Only after a read found a table missing (the first look at a fresh
  // database); asked again under the lock, as ensure_and_read() would read.
  auto* pg = dynamic_cast<pg_session*>(&session_);
  if (!pg || !tables_aside_ || !table_found_missing_ || !pg->names_one_server()) return nullptr;
  if (read_existing_tables(times_as_iso()).exists) return nullptr;  // goose's table without ours
  return std::make_unique<tables_made_aside>(*this, *pg);
}

std::optional<std::string> goose_history_store::record_applied_sql(const migration& m, int statements) {
  if (!prepared_) return applied_rows_sql(m, statements);
  return std::string("EXECUTE ") + record_statement + "(" + std::to_string(m.version) + ", " +
         session_.quote(m.module) + ", " + session_.quote(m.name) + ", " + session_.quote(m.checksum) + ", " +
         std::to_string(statements) + ", " + session_.quote(host_) + ");\n";
}

std::vector<std::string> goose_history_store::prepare_statements() const {
  return {prepare_recording_sql(), std::string("PREPARE ") + step_mark_statement + " AS " + step_mark_sql};
}

std::string goose_history_store::prepare_recording_sql() const {
  // The same two rows as applied_rows_sql, in one statement ($1 version, $2 module,
  // $3 name, $4 checksum, $5 statements, $6 host).
  return std::string("PREPARE ") + record_statement +
                "(bigint, text, text, text, integer, text) AS\n"
                "WITH goose AS (INSERT INTO " + table_ + " (version_id, is_applied) VALUES ($1, true))\n" +
                upsert_meta_sql("$1, $2, $3, $4, 'applied', $5, $5, " + std::string(duration_sql) + ", $6");
}

std::string goose_history_store::applied_rows_sql(const migration& m, int statements) {
  const std::string v = std::to_string(m.version);
  return "INSERT INTO " + table_ + " (version_id, is_applied) VALUES (" + v + ", true);\n" +
         upsert_meta_sql(v + ", " + session_.quote(m.module) + ", " + session_.quote(m.name) + ", " +
                         session_.quote(m.checksum) + ", 'applied', " + std::to_string(statements) + ", " +
                         std::to_string(statements) + ", " + duration_sql + ", " + session_.quote(host_)) +
         ";\n";
}

std::string goose_history_store::upsert_meta_sql(const std::string& values) const {
  return "INSERT INTO " + meta_ + " (version_id, module, name, checksum, state, statements_done, "
         "statements_total, duration_ms, applied_host) VALUES (" + values + ")\n"
         " ON CONFLICT (version_id) DO UPDATE SET module = EXCLUDED.module, name = EXCLUDED.name, "
         "checksum = EXCLUDED.checksum, state = EXCLUDED.state, statements_done = EXCLUDED.statements_done, "
         "statements_total = EXCLUDED.statements_total, duration_ms = EXCLUDED.duration_ms, "
         "applied_by = current_user, applied_host = EXCLUDED.applied_host, recorded_at = now()";
}

std::string goose_history_store::rolled_back_rows_sql(std::int64_t version) {
  const std::string v = std::to_string(version);
  return "DELETE FROM " + table_ + " WHERE version_id = " + v + ";\n"
         "DELETE FROM " + meta_ + " WHERE version_id = " + v + ";\n";
}

std::optional<std::string> goose_history_store::step_started_sql() {
  // Transaction-local: gone at COMMIT or ROLLBACK, so a later single step falls back to its request's time.
  if (prepare_with_next_mark_) {
    // Sent: step_started_sql opens every request group it is asked for.
    prepare_with_next_mark_ = false;
    prepared_ = true;
    std::string sql;
    for (const auto& statement : prepare_statements()) sql += statement + ";\n";
    return sql + "EXECUTE " + step_mark_statement + ";\n";
  }
  if (prepared_) return std::string("EXECUTE ") + step_mark_statement + ";\n";
  return std::string(step_mark_sql) + ";\n";
}

std::optional<std::string> goose_history_store::record_rolled_back_sql(std::int64_t version) {
  return rolled_back_rows_sql(version);
}

void goose_history_store::record_applied(const migration& m, int statements) {
  session_.exec(applied_rows_sql(m, statements));
}

void goose_history_store::record_rolled_back(std::int64_t version) { session_.exec(rolled_back_rows_sql(version)); }

void goose_history_store::ensure_repeatables() {
  session_.exec("CREATE TABLE IF NOT EXISTS " + repeatable_ + " (\n"
                "  module text NOT NULL,\n"
                "  name text NOT NULL,\n"
                "  checksum text NOT NULL,\n"
                "  known_version bigint NOT NULL DEFAULT 0,\n"
                "  duration_ms double precision,\n"
                "  applied_by text NOT NULL DEFAULT current_user,\n"
                "  applied_host text,\n"
                "  applied_at timestamptz NOT NULL DEFAULT now(),\n"
                "  PRIMARY KEY (module, name))");
}

std::optional<std::string> goose_history_store::record_repeatable_sql(const migration& m) {
  return "INSERT INTO " + repeatable_ + " (module, name, checksum, known_version, duration_ms, applied_host) VALUES (" +
         session_.quote(m.module) + ", " + session_.quote(m.name) + ", " + session_.quote(m.checksum) + ", " +
         std::to_string(m.known_version) + ", " + duration_sql + ", " + session_.quote(host_) +
         ")\n ON CONFLICT (module, name) DO UPDATE SET checksum = EXCLUDED.checksum, known_version = "
         "EXCLUDED.known_version, duration_ms = "
         "EXCLUDED.duration_ms, applied_by = current_user, applied_host = EXCLUDED.applied_host, applied_at = now();\n";
}

void goose_history_store::record_repeatable(const migration& m) { session_.exec(*record_repeatable_sql(m)); }

void goose_history_store::forget_repeatable(const migration& m) {
  session_.exec_params("DELETE FROM " + repeatable_ + " WHERE module = $1 AND name = $2", {m.module, m.name});
}

void goose_history_store::mark_dirty(const migration& m, int statements_done, int statements_total) {
  // No duration yet: the migration has not run (NULL, as after a rollback removed the row).
  session_.exec(upsert_meta_sql(std::to_string(m.version) + ", " + session_.quote(m.module) + ", " +
                                session_.quote(m.name) + ", " + session_.quote(m.checksum) + ", 'dirty', " +
                                std::to_string(statements_done) + ", " + std::to_string(statements_total) +
                                ", NULL, " + session_.quote(host_)));
}

void goose_history_store::update_progress(std::int64_t version, int statements_done) {
  session_.exec("UPDATE " + meta_ + " SET statements_done = " + std::to_string(statements_done) +
                ", recorded_at = now() WHERE version_id = " + std::to_string(version));
}

void goose_history_store::record_checksum(const migration& m) {
  session_.exec("INSERT INTO " + meta_ + " (version_id, module, name, checksum, state, applied_host) VALUES (" +
                std::to_string(m.version) + ", " + session_.quote(m.module) + ", " + session_.quote(m.name) +
                ", " + session_.quote(m.checksum) + ", 'applied', " + session_.quote(host_) +
                ") ON CONFLICT (version_id) DO UPDATE SET module = EXCLUDED.module, name = EXCLUDED.name, "
                "checksum = EXCLUDED.checksum");
}

void goose_history_store::force_applied(const migration* m, std::int64_t version) {
  const std::string v = std::to_string(version);
  std::string sql = "BEGIN;\nDELETE FROM " + table_ + " WHERE version_id = " + v + ";\n";
  if (m) {
    sql += applied_rows_sql(*m, static_cast<int>(m->body().up.size()));
  } else {
    sql += "INSERT INTO " + table_ + " (version_id, is_applied) VALUES (" + v + ", true);\n"
           "UPDATE " + meta_ + " SET state = 'applied' WHERE version_id = " + v + ";\n";
  }
  session_.exec(sql + "COMMIT;");
}

void goose_history_store::force_rolled_back(std::int64_t version) {
  session_.exec("BEGIN;\n" + rolled_back_rows_sql(version) + "COMMIT;");
}

std::optional<std::vector<live_build>> goose_history_store::live_builds() {
  return read_live_builds(session_, table_name_);
}

}  // namespace migrator::detail

namespace migrator {

std::unique_ptr<history_store> make_goose_history_store(session& s, const std::string& table, bool direct,
                                                        bool tables_aside) {
  return std::make_unique<detail::goose_history_store>(s, table, direct, tables_aside);
}

}  // namespace migrator
