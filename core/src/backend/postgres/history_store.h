// The goose table history store: goose v3's table (id, version_id, is_applied,
// tstamp) exactly as goose writes and reads it; what goose lacks (module,
// checksum, dirty state, duration, who and where) lives in a side table
// "<table>_meta" that goose never looks at, repeatable migrations in
// "<table>_repeatable", and the side rows' digests `status` reads instead of
// them in "<table>_digest" (backend/side_digest.h). PostgreSQL SQL on any session.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "migrator/history.h"
#include "migrator/session.h"

namespace migrator::detail {

struct side_digest_row;

class goose_history_store : public history_store {
 public:
  // `direct`, `tables_aside`: make_goose_history_store's.
  goose_history_store(session& s, const std::string& table, bool direct = true, bool tables_aside = true);

  history_snapshot read() override;
  history_snapshot read_for_status(const std::vector<migration>& migrations) override;
  void refresh_digests() override;
  std::optional<history_comparison> compare_applied(const std::vector<migration>& migrations,
                                                    const std::vector<migration>& repeatables) override;
  // Also prepares the "record applied" statement on this session, in the same
  // round trip: from then on record_applied_sql is one EXECUTE (parsing and
  // planning the two INSERTs in every migration's batch cost about 55 us a migration).
  void ensure() override;
  history_snapshot ensure_and_read() override;
  // On a libpq session to one server, when the tables are missing: ensure()'s
  // tables made on another connection to it (tables_made_aside, history_store.cpp).
  std::unique_ptr<tables_in_making> tables_to_make_aside() override;
  bool ensures_in_transaction() const override { return true; }
  std::optional<std::vector<live_build>> live_builds() override;
  void record_applied(const migration& m, int statements) override;
  void record_rolled_back(std::int64_t version) override;
  std::optional<std::string> record_applied_sql(const migration& m, int statements) override;
  std::optional<std::string> record_rolled_back_sql(std::int64_t version) override;
  std::optional<std::string> step_started_sql() override;
  void ensure_repeatables() override;
  void record_repeatable(const migration& m) override;
  std::optional<std::string> record_repeatable_sql(const migration& m) override;
  void forget_repeatable(const migration& m) override;
  void mark_dirty(const migration& m, int statements_done, int statements_total) override;
  void update_progress(std::int64_t version, int statements_done) override;
  void record_checksum(const migration& m) override;
  void force_applied(const migration* m, std::int64_t version) override;
  void force_rolled_back(std::int64_t version) override;

  // The first request of read() and the one request of compare_applied, as
  // they send them (backend_opener reads them ahead, pg_session::read_ahead).
  // Both read with COPY TO STDOUT (backend/postgres/copy_rows.h).
  std::vector<std::string> first_read_statements() const;
  std::vector<std::string> compare_statements(bool with_repeatables) const;
  // compare_applied's second request, when the digests prove nothing: the side rows.
  std::vector<std::string> side_compare_statements(bool with_repeatables) const;
  // The request of read_for_status: the digests, goose's rows.
  std::vector<std::string> status_statements() const;
  // What `status` asks at connect: status_statements(), then the repeatables'
  // rows read_for_status asks next (their table exists once one was applied;
  // the error of a missing one is read ahead too).
  std::vector<std::string> status_read_ahead_statements() const;

 private:
  // Which tables' rows a request of read() reads.
  struct row_reads {
    bool side;         // "<table>_meta"
    bool goose;        // goose's table
    bool repeatables;  // "<table>_repeatable"
  };
  // What a migrated database's first request of read() reads, after which tables exist.
  static constexpr row_reads migrated{true, true, false};
  std::string which_exist_sql() const;
  // What ensure() sends, one statement each; ensured() notes it was done.
  // Without the PREPARE when `prepare` is false (a statement prepared on
  // another session is not this one's).
  std::vector<std::string> ensure_statements(bool prepare = true) const;
  void ensured() noexcept;
  friend class tables_made_aside;
  // read() after a table was missing: which tables exist, then the rows of those that do.
  history_snapshot read_existing_tables(bool iso_times);
  // Whether goose's tstamp can be read as its own text: the session is libpq's
  // and its server writes times as DateStyle ISO does (pg_session::date_style_iso).
  bool times_as_iso() const;
  std::vector<std::string> first_read_statements(bool iso_times) const;
  // The statements that read them, in the order rows_into takes their results;
  // `iso_times`: goose's tstamp as its text (else as seconds).
  std::vector<std::string> row_statements(row_reads reads, bool iso_times) const;
  // Fills `snap` from the results of row_statements(reads, iso_times), from results[first] on.
  template <typename Results>
  static void rows_into(Results& results, std::size_t first, row_reads reads, bool iso_times,
                        history_snapshot& snap);
  std::string applied_rows_sql(const migration& m, int statements);
  std::string rolled_back_rows_sql(std::int64_t version);
  // PREPAREs of the record statement and of step_started_sql's mark.
  std::vector<std::string> prepare_statements() const;
  std::string prepare_recording_sql() const;
  std::string digest_copy_sql() const;
  std::string repeatable_copy_sql() const;
  std::string create_digest_table_sql() const;
  // Reads digest_copy_sql's rows into `out` (views into `rows`).
  template <typename Rows>
  static void digests_from_rows(Rows& rows, std::vector<side_digest_row>& out);

  session& session_;
  std::string table_name_;  // as configured
  std::string table_;       // quoted
  std::string meta_;        // quoted side table
  std::string repeatable_;  // quoted repeatable migrations' table
  std::string digest_;      // quoted side rows' digests
  std::string host_;        // this machine's name, recorded with each row
  // The side table's row of a version, inserted or overwritten. `values`: SQL for
  // version_id, module, name, checksum, state, statements_done, statements_total,
  // duration_ms, applied_host.
  std::string upsert_meta_sql(const std::string& values) const;
  bool tables_aside_ = true;  // direct, and a fresh database's tables may be made on a second connection
  bool prepare_ = true;    // ensure() may prepare the record statement (direct)
  bool prepared_ = false;  // the record statement and the step mark are prepared on this session
  // Tables made aside: the PREPAREs go with the next step mark (tables_made_aside::wait).
  bool prepare_with_next_mark_ = false;
  // A history table was missing when this session last looked (until ensure()):
  // read() then asks which exist before reading rows, instead of failing first.
  bool table_found_missing_ = false;
};

}  // namespace migrator::detail
