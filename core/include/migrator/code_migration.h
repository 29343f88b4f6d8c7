// Code migrations: a migration written in C++ in a module's own sequence,
// beside its SQL files. A module author adds
// modules/<module>/migrations/04003_backfill_invoice_totals.cpp:
//
//   #include <migrator/code_migration.h>
//   namespace {
//   void up(migrator::code_transaction& tx) { tx.exec("UPDATE ... WHERE id = $1", {"7"}); }
//   void down(migrator::code_transaction& tx) { ... }
//   }  // namespace
//   MIGRATOR_CODE_MIGRATION(up, down);          // down is optional: MIGRATOR_CODE_MIGRATION(up);
//
// The version and title come from the file name (the build defines
// MIGRATOR_CODE_MIGRATION_VERSION and MIGRATOR_CODE_MIGRATION_FILE for each
// such file), so the version is checked against the module's namespace like a
// SQL file's. The embedded module set refers to each file's definition by
// name, so nothing depends on static initialisation or on the linker keeping
// an unreferenced object file.
//
// Transactional by default: up (or down) and its history row commit together
// or not at all. MIGRATOR_CODE_MIGRATION_NO_TRANSACTION(up, down) takes
// functions of a code_connection instead: for batch work that commits as it
// goes. The version is then marked dirty before up starts, exactly like a
// NO TRANSACTION SQL migration, and its progress is recorded as it goes.
//
// Only the session seam (session.h) is used, so code migrations run on every
// backend that implements it; nothing here names libpq or libpqxx.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "migrator/session.h"

namespace migrator {

class history_store;
struct migration;

// SQL inside the transaction the engine (or code_connection::in_transaction) opened.
class code_transaction {
 public:
  explicit code_transaction(session& db) : db_(db) {}
  code_transaction(const code_transaction&) = delete;
  code_transaction& operator=(const code_transaction&) = delete;

  // One statement with text parameters ($1, $2, ...; nullopt is NULL). Throws
  // database_error; the migration then fails and nothing of it is committed.
  query_result exec(const std::string& sql, const std::vector<field>& params = {}) {
    return db_.exec_params(sql, params);
  }
  std::string quote(const std::string& value) { return db_.quote(value); }
  std::string quote_name(const std::string& identifier) { return db_.quote_name(identifier); }
  std::string quote_qualified(const std::string& name) { return db_.quote_qualified(name); }

 private:
  session& db_;
};

// The connection of a no-transaction code migration: each statement commits on
// its own, in_transaction groups work, and progress outlives a crash.
// The engine's stop (engine::interrupt) as a code migration sees it: once
// `requested`, no new code_connection::in_transaction step starts (it throws
// error(interrupted) instead); while a step's transaction runs, `cancellable`
// is true so that interrupt() cancels it (it rolls back whole, with the
// position saved in it). Both null: never stopped.
struct code_stop_signals {
  const std::atomic<bool>* requested = nullptr;
  std::atomic<bool>* cancellable = nullptr;
};

class code_connection {
 public:
  // `progress_table` must exist (the engine creates it): version_id, task,
  // last_key, steps; see docs/module-authors.md.
  using stop_signals = code_stop_signals;
  code_connection(session& db, history_store& history, const migration& m, std::string progress_table,
                  stop_signals stop = {});
  code_connection(const code_connection&) = delete;
  code_connection& operator=(const code_connection&) = delete;

  // One statement, committed on its own.
  query_result exec(const std::string& sql, const std::vector<field>& params = {});
  std::string quote(const std::string& value) { return db_.quote(value); }
  std::string quote_name(const std::string& identifier) { return db_.quote_name(identifier); }
  std::string quote_qualified(const std::string& name) { return db_.quote_qualified(name); }

  // Runs `work` in a transaction of its own: committed when it returns, rolled
  // back (and the exception passed on) when it throws.
  void in_transaction(const std::function<void(code_transaction&)>& work);

  // What `status` shows while the migration is dirty: "stopped after step
  // `done` of `total`" (total 0: unknown). Committed at once.
  void record_progress(int done, int total);
  int steps_done() const noexcept { return steps_done_; }
  // Whether in_transaction refused a step because the engine was stopped.
  bool stopped() const noexcept { return stopped_; }

  // A resumable position of `task`, saved by save_position in an earlier
  // (possibly killed) run of this migration; nullopt when there is none.
  struct position {
    std::string last_key;
    std::int64_t steps = 0;
  };
  std::optional<position> saved_position(const std::string& task);
  // Saves the position inside `tx`, so it commits together with the work it
  // follows. The engine deletes the migration's positions when it records the
  // migration as applied (or rolled back).
  void save_position(code_transaction& tx, const std::string& task, const position& p);

  std::int64_t version() const noexcept;

 private:
  session& db_;
  history_store& history_;
  const migration& migration_;
  std::string progress_table_;
  stop_signals stop_;
  int steps_done_ = 0;
  bool stopped_ = false;
};

struct transactional_t {};
struct no_transaction_t {};
inline constexpr transactional_t transactional{};
inline constexpr no_transaction_t no_transaction{};

// One compiled code migration. Defined by MIGRATOR_CODE_MIGRATION in its file;
// the embedded set points at it.
struct code_migration {
  using transaction_function = void (*)(code_transaction&);
  using connection_function = void (*)(code_connection&);

  constexpr code_migration(const char* file_name, int line, transactional_t, transaction_function up,
                           transaction_function down = nullptr)
      : file(file_name), line(line), use_transaction(true), up_in_transaction(up), down_in_transaction(down) {}
  constexpr code_migration(const char* file_name, int line, no_transaction_t, connection_function up,
                           connection_function down = nullptr)
      : file(file_name), line(line), use_transaction(false), up_on_connection(up), down_on_connection(down) {}
  // An up is required: a migration that does nothing has no business in the sequence.
  code_migration(const char*, int, transactional_t, std::nullptr_t, transaction_function = nullptr) = delete;
  code_migration(const char*, int, no_transaction_t, std::nullptr_t, connection_function = nullptr) = delete;

  const char* file;  // the file name the build gave it ("04003_backfill_invoice_totals.cpp")
  int line;          // of the MIGRATOR_CODE_MIGRATION line
  bool use_transaction;
  transaction_function up_in_transaction = nullptr;
  transaction_function down_in_transaction = nullptr;
  connection_function up_on_connection = nullptr;
  connection_function down_on_connection = nullptr;

  bool has_up() const noexcept { return up_in_transaction || up_on_connection; }
  bool has_down() const noexcept { return down_in_transaction || down_on_connection; }
};

}  // namespace migrator

#define MIGRATOR_DETAIL_CAT2(a, b) a##b
#define MIGRATOR_DETAIL_CAT(a, b) MIGRATOR_DETAIL_CAT2(a, b)

#if defined(MIGRATOR_CODE_MIGRATION_VERSION) && defined(MIGRATOR_CODE_MIGRATION_FILE)
// The name the generated embedded set refers to: one per version and backend
// (a file in migrations/sqlite/ is compiled with MIGRATOR_CODE_MIGRATION_SQLITE),
// so two files with one version fail the link as well as the assembler.
#ifdef MIGRATOR_CODE_MIGRATION_SQLITE
#define MIGRATOR_CODE_MIGRATION_SYMBOL \
  MIGRATOR_DETAIL_CAT(migrator_code_migration_sqlite_, MIGRATOR_CODE_MIGRATION_VERSION)
#else
#define MIGRATOR_CODE_MIGRATION_SYMBOL MIGRATOR_DETAIL_CAT(migrator_code_migration_, MIGRATOR_CODE_MIGRATION_VERSION)
#endif
#define MIGRATOR_DETAIL_DEFINE_CODE_MIGRATION(mode, ...)                       \
  extern const ::migrator::code_migration MIGRATOR_CODE_MIGRATION_SYMBOL;     \
  const ::migrator::code_migration MIGRATOR_CODE_MIGRATION_SYMBOL(MIGRATOR_CODE_MIGRATION_FILE, __LINE__, \
                                                                  mode, __VA_ARGS__)
#else
#define MIGRATOR_DETAIL_DEFINE_CODE_MIGRATION(mode, ...)                                                   \
  static_assert(sizeof(#__VA_ARGS__) == 0,                                                                 \
                "a code migration is compiled by migrator_embed_modules (or this repository's module set), " \
                "which names it after its file: MIGRATOR_CODE_MIGRATION_VERSION is not defined here")
#endif

// At file scope (not inside a namespace): MIGRATOR_CODE_MIGRATION(up) or
// MIGRATOR_CODE_MIGRATION(up, down), with functions void(migrator::code_transaction&).
#define MIGRATOR_CODE_MIGRATION(...) MIGRATOR_DETAIL_DEFINE_CODE_MIGRATION(::migrator::transactional, __VA_ARGS__)
// The same with functions void(migrator::code_connection&): no transaction around them.
#define MIGRATOR_CODE_MIGRATION_NO_TRANSACTION(...) \
  MIGRATOR_DETAIL_DEFINE_CODE_MIGRATION(::migrator::no_transaction, __VA_ARGS__)
