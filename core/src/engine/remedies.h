// Every text the engine shows: refusals, failures, warnings, and the fix-it
// that tells the operator what to do next. Kept apart from the engine's
// control flow so each reads as a whole and is tested on its own
// (tests/unit/remedies_test.cpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "migrator/engine.h"
#include "migrator/error.h"
#include "migrator/migration.h"
#include "migrator/planner.h"
#include "migrator/status.h"

namespace migrator::detail {

// The module order changed under applied migrations (namespace_conflicts).
std::string namespace_shift_refusal(const std::vector<std::string>& conflicts);

// Applied migrations that are modified or dirty; each line says how to fix it.
std::string drift_refusal(const std::vector<const migration_status*>& drift);

// 'app migrate repair V --mark-applied' (up) or '... --mark-rolled-back' (down).
std::string repair_command(std::int64_t version, direction dir);

// A NO TRANSACTION migration stopped part way: fix by hand, then repair.
std::string dirty_after_failure_remedy(std::int64_t version);

// A no-transaction code migration stopped part way: what it committed stays,
// its saved positions too, so after repair it resumes where it stopped.
std::string code_dirty_after_failure_remedy(std::int64_t version);

// The connection broke during a transactional migration's COMMIT.
std::string in_doubt_commit_remedy();

// Every statement of a NO TRANSACTION migration ran, recording it was in doubt or failed.
std::string in_doubt_recording_remedy(std::int64_t version, direction dir);
std::string failed_recording_remedy(std::int64_t version, direction dir);

// A writing command on a read-only standby (pg_is_in_recovery()), refused before any statement.
std::string standby_refusal();
// A writing call on an engine opened with backend_options::reads_only, refused before any statement.
std::string reads_only_refusal();
// A module's requires_postgres is newer than the server; `pending` names the
// migrations the run would have applied ("08001 (modules/x/migrations/08001_a.sql)").
std::string server_too_old_refusal(const module_spec& module, const std::string& server_version,
                                   const std::vector<std::string>& pending);

// A run stopped by a signal: what was applied before it, what happened to the
// step in flight (`in_flight`, may be empty) and what was not applied.
std::string interrupted_report(const std::vector<std::string>& applied, const std::string& in_flight,
                               const std::vector<std::string>& not_applied);
// "applied MODULE VERSION NAME" (or "rolled back ..."): a completed step in interrupted_report.
std::string completed_step(const step_result& step);

// stamp: why `s` is recorded differently than `file` has it, as a line of
// stamp_refusal ("\n  VERSION NAME (module M, PATH): why"); empty when it is not.
std::string stamp_conflict(const migration_status& s, const migration& file);
std::string stamp_refusal(std::int64_t through, const std::string& conflicts);

// A database failure outside a migration step: "DOING: SQLSTATE ...: what the server said".
std::string database_failure_while(const std::string& doing, const error& e);
// A run stopped by a database failure between or around its steps.
std::string run_failure(const database_error& e);
// The history tables made beside the first migration could not be made: that
// migration was rolled back.
std::string history_tables_not_made(const database_error& e);
// After a request group failed, the history that says which of its migrations committed could not be read.
std::string group_history_read_failure(const database_error& e);

// Recording a step without running it (stamp, an adopted baseline).
std::string record_only_in_doubt(const migration& m, const database_error& f);
std::string record_only_failed(const migration& m, const database_error& f);

// A transactional migration failed, at statement `index` (on file line `line`)
// when it is known, and was rolled back whole.
std::string transactional_failure(const migration& m, direction dir, const database_error& reported,
                                  const std::vector<statement>& statements, std::optional<std::size_t> index,
                                  int line);
// The connection broke while a transactional migration's statements and COMMIT ran.
std::string statements_and_commit_in_doubt(const migration& m, direction dir, const database_error& f);
// A transactional step cancelled by engine::interrupt(), for interrupted_report.
std::string cancelled_and_rolled_back(const migration& m);

// Through a transaction pooler, NO TRANSACTION statements run without the per-transaction settings.
std::string no_transaction_settings_warning();
// A NO TRANSACTION migration stopped by engine::interrupt() before statement `ran` + 1 of `total`.
std::string no_transaction_stopped(const migration& m, int ran, int total);
// A NO TRANSACTION migration failed at statement `index` (0-based, on file line `line`).
// `remedy`: what to do next, when not dirty_after_failure_remedy (a concurrent index build's).
std::string no_transaction_statement_failure(const migration& m, direction dir, int line, int index,
                                             const std::vector<statement>& statements, const database_error& f,
                                             const std::optional<std::string>& remedy = std::nullopt);

// Lock-timeout retries and concurrent index builds (engine/lock_retry.cpp, engine/invalid_index.cpp).
// One session that held a lock on a relation of the database since before the failed attempt.
std::string lock_blocker(std::int64_t pid, const std::string& application_name, const std::string& state,
                         std::int64_t transaction_age_ms, const std::string& query_start, const std::string& locks);
// `m` failed on a lock timeout: retry `retry` of `retries` in `delay`; `blockers` from lock_blocker, "; "-joined.
std::string lock_retry_notice(const migration& m, const database_error& f, int retry, int retries,
                              std::chrono::milliseconds delay, const std::string& blockers);
// No retry left for `m` (`retried` times, `spent` since its first lock timeout): the failure is reported as usual.
std::string lock_retries_exhausted(const migration& m, int retried, std::chrono::milliseconds spent);
// Before running statement `index` of `m` again: the invalid index `name` its failed build left was dropped.
std::string invalid_index_dropped(const migration& m, int index, const std::string& name);
// Under the lock: a dirty `m` resumes at statement `index` of `total`, a concurrent index build.
std::string dirty_resumed(const migration& m, int index, int total, const statement& s);
// A failed concurrent index build of `m` (statement `index`) leaves the version dirty: what the next up does
// (`cleanable`: it names its index, so the next up drops the invalid one and resumes), or why a person must act.
std::string concurrent_index_remedy(const migration& m, int index, bool cleanable, bool unnamed_create);
// Every statement of a NO TRANSACTION migration (or a no-transaction code migration) ran; recording it did not.
std::string no_transaction_recording_in_doubt(const migration& m, direction dir, const database_error& f);
std::string no_transaction_recording_failed(const migration& m, direction dir, const database_error& f);

// A code migration read from a directory: its code is not in this program.
std::string code_not_built_in(const migration& m);
// What a code migration threw that is not a std::exception, as its cause.
std::string non_standard_exception_cause();
// A transactional code migration threw `cause`; nothing of it was committed.
std::string code_step_failure(const migration& m, direction dir, const std::string& cause);
// A transactional code migration's COMMIT: the connection broke, or the server refused it.
std::string commit_in_doubt(const migration& m, direction dir, const database_error& f);
std::string commit_failure(const migration& m, direction dir, const database_error& f);
// A no-transaction code migration stopped by engine::interrupt() after step `steps_done`.
std::string code_stopped(const migration& m, int steps_done);
// A no-transaction code migration threw `cause` after step `steps_done`.
std::string code_no_transaction_failure(const migration& m, direction dir, int steps_done, const std::string& cause,
                                        bool connection_lost);
// code_connection::in_transaction refuses the next step after engine::interrupt().
std::string code_step_refused_after_stop();

// Several migrations sent in one request: the connection broke while they ran.
std::string group_in_doubt(std::size_t count, const migration& first, const migration& last, direction dir,
                           const database_error& f);

// --single-transaction: a pending migration that cannot run inside the run's one
// transaction (NO TRANSACTION SQL, a no-transaction code migration).
std::string single_transaction_refusal(const migration& m);
// --single-transaction: the run failed at `m` (statement `index` of `statements`,
// or a code migration's `cause`); the whole run was rolled back.
std::string single_transaction_failure(const migration& m, direction dir, const std::string& cause,
                                       const std::vector<statement>* statements, std::optional<std::size_t> index,
                                       int line, std::size_t before);
// --single-transaction: the connection broke during the run's COMMIT.
std::string single_transaction_in_doubt(std::size_t count, const database_error& f);

}  // namespace migrator::detail
