#include "engine/remedies.h"

#include <sstream>

#include "engine/failure_report.h"
#include "migrator/elapsed_text.h"

namespace migrator::detail {

std::string namespace_shift_refusal(const std::vector<std::string>& conflicts) {
  std::string msg = "refusing to write: the module order changed since these migrations were applied:\n";
  for (const auto& c : conflicts) msg += "  " + c + "\n";
  msg += "A module was inserted, removed or moved in modules.yaml; modules are append-only. "
         "Restore the previous order in modules.yaml and add new modules at the end.";
  return msg;
}

std::string drift_refusal(const std::vector<const migration_status*>& drift) {
  std::string msg = "refusing to migrate: the database does not match its migrations:";
  for (const auto* s : drift) {
    msg += "\n  " + s->module + " " + std::to_string(s->version) + " " + (s->path.empty() ? s->name : s->path);
    if (s->state == migration_state::modified) {
      msg += ": modified since it was applied. Revert the file and put the change in a new migration "
             "(app migrate create " + s->module + " <title>), or pass --allow-drift to go on anyway.";
    } else {
      msg += std::string(s->kind == migration_kind::code ? ": dirty: a no-transaction code migration stopped after step "
                                                         : ": dirty: a NO TRANSACTION migration stopped after statement ") +
             std::to_string(s->statements_done.value_or(0)) + " of " +
             std::to_string(s->statements_total.value_or(0)) +
             ". Fix the database by hand, then run 'app migrate repair " + std::to_string(s->version) +
             " --mark-applied' or 'app migrate repair " + std::to_string(s->version) + " --mark-rolled-back'.";
    }
  }
  return msg;
}

std::string repair_command(std::int64_t version, direction dir) {
  return "'app migrate repair " + std::to_string(version) +
         (dir == direction::up ? " --mark-applied'" : " --mark-rolled-back'");
}

std::string dirty_after_failure_remedy(std::int64_t version) {
  return "The version is marked dirty: fix the database by hand, then run 'app migrate repair " +
         std::to_string(version) + " --mark-applied' or '--mark-rolled-back'.";
}

std::string code_dirty_after_failure_remedy(std::int64_t version) {
  return "What it committed stays committed, and so do its saved batch positions. The version is marked dirty: "
         "look at the cause, then run 'app migrate repair " + std::to_string(version) +
         " --mark-rolled-back' and 'app migrate up': it resumes after its last committed batch.";
}

std::string in_doubt_commit_remedy() {
  return "The change and its history row are committed together or not at all: "
         "run 'app migrate status' once the database is reachable, then run the command again.";
}

std::string in_doubt_recording_remedy(std::int64_t version, direction dir) {
  return "Run 'app migrate status' once the database is reachable: if the version is dirty, run " +
         repair_command(version, dir) + ".";
}

std::string failed_recording_remedy(std::int64_t version, direction dir) {
  return "The version stays dirty; check it, then run " + repair_command(version, dir) + ".";
}

std::string standby_refusal() {
  return "the server is a read-only standby (pg_is_in_recovery() is true); nothing was changed. Point the DSN at "
         "the primary, or use a multi-host DSN with target_session_attrs=read-write (e.g. "
         "postgresql://db1,db2/app?target_session_attrs=read-write) so that libpq picks the primary.";
}

std::string reads_only_refusal() {
  return "this engine was opened only to read (backend_options::reads_only), so it does not know whether the "
         "server takes writes; nothing was changed. Open the engine without reads_only to migrate or repair.";
}

std::string server_too_old_refusal(const module_spec& module, const std::string& server_version,
                                   const std::vector<std::string>& pending) {
  std::string list;
  for (const auto& p : pending) list += (list.empty() ? "" : ", ") + p;
  return "module " + module.name + " needs PostgreSQL " + std::to_string(module.requires_postgres) +
         " or newer (requires_postgres in modules.yaml), and the server runs PostgreSQL " + server_version +
         ": refusing to apply " + list + "; nothing was changed. Upgrade the server, or leave the module out of the "
         "set for this database.";
}

std::string interrupted_report(const std::vector<std::string>& applied, const std::string& in_flight,
                               const std::vector<std::string>& not_applied) {
  auto list = [](const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
  };
  std::string m = "interrupted: ";
  m += applied.empty() ? "no migration was completed by this run" : "completed before the signal: " + list(applied);
  if (!in_flight.empty()) m += ". " + in_flight;
  if (!not_applied.empty()) m += ". Not started: " + list(not_applied);
  return m + ". The migration lock was released.";
}

std::string completed_step(const step_result& step) {
  const std::string key =
      step.role == migration_role::repeatable ? std::string("repeatable") : std::to_string(step.version);
  return std::string(step.dir == direction::up ? "applied " : "rolled back ") + step.module + " " + key + " " +
         step.name;
}

std::string stamp_conflict(const migration_status& s, const migration& file) {
  std::string why;
  if (s.state == migration_state::modified)
    why = "recorded with another checksum (the file changed after it was applied)";
  else if (s.state == migration_state::dirty)
    why = "recorded as dirty (a NO TRANSACTION migration stopped after statement " +
          std::to_string(s.statements_done.value_or(0)) + "; see 'app migrate repair')";
  else if (s.recorded_module && *s.recorded_module != file.module)
    why = "recorded for module '" + *s.recorded_module + "'";
  if (why.empty()) return why;
  return "\n  " + std::to_string(s.version) + " " + file.name + " (module " + file.module + ", " + file.path +
         "): " + why;
}

std::string stamp_refusal(std::int64_t through, const std::string& conflicts) {
  return "stamp " + std::to_string(through) +
         " refused: these versions are already recorded differently than the "
         "module set has them; nothing was recorded:" +
         conflicts;
}

std::string database_failure_while(const std::string& doing, const error& e) {
  return doing + ": " + sqlstate_part(e) + e.what();
}

std::string run_failure(const database_error& e) {
  return std::string("migration run failed: ") +
         (e.connection_lost() ? "the connection to the database was lost: " : "") + sqlstate_part(e) + e.what();
}

std::string history_tables_not_made(const database_error& e) {
  return std::string("migration run failed: creating the history tables: ") +
         (e.connection_lost() ? "the connection to the database was lost: " : "") + sqlstate_part(e) + e.what() +
         " (nothing was applied)";
}

std::string group_history_read_failure(const database_error& e) {
  return std::string("migration run failed: reading the history after a failed batch: ") + sqlstate_part(e) +
         e.what();
}

std::string record_only_in_doubt(const migration& m, const database_error& f) {
  return describe(m) + ": the connection was lost while recording it (" + f.what() +
         "), so whether it is recorded as applied is unknown. Run 'app migrate status'.";
}

std::string record_only_failed(const migration& m, const database_error& f) {
  return describe(m) + ": recording it as applied failed: " + sqlstate_part(f) + f.what();
}

namespace {

const char* up_or_down(direction dir) { return dir == direction::up ? "up" : "down"; }
const char* applied_or_rolled_back(direction dir) { return dir == direction::up ? "applied" : "rolled back"; }

// The last line of a failure that rolled the whole migration back.
std::string nothing_of(const migration& m, direction dir) {
  return "\nNothing of " + describe_short(m) + " was " + applied_or_rolled_back(dir) + ".";
}

}  // namespace

std::string transactional_failure(const migration& m, direction dir, const database_error& reported,
                                  const std::vector<statement>& statements, std::optional<std::size_t> index,
                                  int line) {
  std::ostringstream msg;
  if (index) {
    msg << m.path << ":" << line << ": " << describe_short(m) << " failed (" << up_or_down(dir) << ") at statement "
        << (*index + 1) << " of " << statements.size() << " (\"" << first_line(statements[*index].sql)
        << "\"): " << sqlstate_part(reported) << reported.what();
  } else {
    msg << m.path << ": " << describe_short(m) << " failed (" << up_or_down(dir) << "): " << sqlstate_part(reported)
        << reported.what();
  }
  return msg.str() + nothing_of(m, dir);
}

std::string statements_and_commit_in_doubt(const migration& m, direction dir, const database_error& f) {
  return describe(m) + ": the connection was lost while its statements and COMMIT were running (" + f.what() +
         "), so whether it was " + applied_or_rolled_back(dir) + " is unknown. " + in_doubt_commit_remedy();
}

std::string cancelled_and_rolled_back(const migration& m) {
  return step_name(m) + " was cancelled on the server and rolled back: nothing of it remains";
}

std::string no_transaction_settings_warning() {
  return "through a transaction pooler, NO TRANSACTION statements run with the server's "
         "statement_timeout and lock_timeout (set them on the role: ALTER ROLE ... SET); "
         "--statement-timeout and --db-lock-timeout apply to transactional migrations only";
}

std::string no_transaction_stopped(const migration& m, int ran, int total) {
  return step_name(m) + " (NO TRANSACTION) was stopped between statements: " +
         (ran == 0 ? std::string("none of its ") + std::to_string(total) + " statements ran"
                   : "statements 1.." + std::to_string(ran) + " of " + std::to_string(total) +
                         " ran and stay applied") +
         ", progress recorded. " + dirty_after_failure_remedy(m.version);
}

std::string no_transaction_statement_failure(const migration& m, direction dir, int line, int index,
                                             const std::vector<statement>& statements, const database_error& f,
                                             const std::optional<std::string>& remedy) {
  const statement& s = statements[static_cast<std::size_t>(index)];
  std::ostringstream msg;
  msg << m.path << ":" << line << ": " << describe_short(m)
      << (f.connection_lost() ? " lost the connection to the database (" : " failed (") << up_or_down(dir)
      << ", NO TRANSACTION) at statement " << (index + 1) << " of " << statements.size() << " (\""
      << first_line(s.sql) << "\"): " << sqlstate_part(f) << f.what() << "\n";
  if (index > 0) msg << "Statements 1.." << index << " ran and stay applied.";
  // The statement (or the progress update after it) was in flight: it may have run.
  if (f.connection_lost())
    msg << (index > 0 ? " " : "") << "Whether statement " << (index + 1) << " ran is unknown.";
  else if (index == 0)
    msg << "No statement of it ran.";
  msg << " " << (remedy ? *remedy : dirty_after_failure_remedy(m.version));
  return msg.str();
}

std::string lock_blocker(std::int64_t pid, const std::string& application_name, const std::string& state,
                         std::int64_t transaction_age_ms, const std::string& query_start, const std::string& locks) {
  // state and query_start are NULL (empty here) for another role's session without pg_read_all_stats.
  return "pid " + std::to_string(pid) + " (application_name '" + application_name + "', state '" +
         (state.empty() ? "unknown" : state) + "', transaction age " +
         elapsed_text(std::chrono::milliseconds(transaction_age_ms)) + ", query_start " +
         (query_start.empty() ? "unknown" : query_start) + ", holds " + locks + ")";
}

std::string lock_retry_notice(const migration& m, const database_error& f, int retry, int retries,
                              std::chrono::milliseconds delay, const std::string& blockers) {
  return describe(m) + " gave way on a lock timeout (" + sqlstate_part(f) + f.what() + "); retry " +
         std::to_string(retry) + " of " + std::to_string(retries) + " in " + elapsed_text(delay) + ". " +
         (blockers.empty() ? "No other session of this database has held a table lock since before the attempt "
                             "(the holder has ended, or it is another role's session this role cannot see)."
                           : "Sessions holding table locks since before the attempt: " + blockers + ".");
}

std::string lock_retries_exhausted(const migration& m, int retried, std::chrono::milliseconds spent) {
  return describe(m) + ": still failing on a lock timeout after " + std::to_string(retried) + " retr" +
         (retried == 1 ? "y" : "ies") + " over " + elapsed_text(spent) +
         " (--db-lock-retries, --db-lock-retry-for): giving up; end or wait out the sessions named above, then run "
         "it again.";
}

std::string invalid_index_dropped(const migration& m, int index, const std::string& name) {
  return describe(m) + ": dropped the INVALID index " + name + " left by a failed concurrent build, before running "
         "statement " + std::to_string(index + 1) + " again";
}

std::string dirty_resumed(const migration& m, int index, int total, const statement& s) {
  return describe(m) + " is dirty at statement " + std::to_string(index + 1) + " of " + std::to_string(total) +
         " (\"" + first_line(s.sql) + "\"), a concurrent index build whose earlier statements all ran: resuming "
         "there, after dropping the invalid index the failed build left";
}

std::string concurrent_index_remedy(const migration& m, int index, bool cleanable, bool unnamed_create) {
  const std::string v = std::to_string(m.version);
  if (cleanable)
    return "The version is marked dirty at this statement. The failed concurrent build may leave an INVALID "
           "index; remove the cause (the duplicate rows, the long transaction), then run 'app migrate up' again: "
           "it drops that index (by its name, only while it is invalid) and resumes at statement " +
           std::to_string(index + 1) + ".";
  return std::string("The version is marked dirty. ") +
         (unnamed_create ? "This CREATE INDEX CONCURRENTLY names no index, so the INVALID index it may leave "
                           "cannot be told apart by name and is not dropped automatically (name the index in the "
                           "migration to have it cleaned up). "
                         : "This REINDEX CONCURRENTLY covers a whole schema or database, so the invalid "
                           "_ccnew/_ccold indexes it may leave are not dropped automatically. ") +
         "Find them (SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid), drop them with DROP INDEX "
         "CONCURRENTLY, run the statement by hand, then 'app migrate repair " + v + " --mark-applied'.";
}

std::string no_transaction_recording_in_doubt(const migration& m, direction dir, const database_error& f) {
  return describe(m) + ": every statement ran, but the connection to the database was lost while recording it (" +
         f.what() + "), so whether it is recorded as " + applied_or_rolled_back(dir) + " is unknown. " +
         in_doubt_recording_remedy(m.version, dir);
}

std::string no_transaction_recording_failed(const migration& m, direction dir, const database_error& f) {
  return describe(m) + ": every statement ran but recording it failed: " + sqlstate_part(f) + f.what() + "\n" +
         failed_recording_remedy(m.version, dir);
}

std::string code_not_built_in(const migration& m) {
  return m.path + ": " + describe_short(m) +
         " is a code migration this program was not built with (it was read from a directory); "
         "run it with the program whose build embeds it. Nothing was changed.";
}

std::string non_standard_exception_cause() { return "an exception that is not a std::exception"; }

std::string code_step_failure(const migration& m, direction dir, const std::string& cause) {
  return m.path + ": " + describe_short(m) + " failed (" + up_or_down(dir) + "): " + cause + nothing_of(m, dir);
}

std::string commit_in_doubt(const migration& m, direction dir, const database_error& f) {
  return describe(m) + ": the connection was lost during COMMIT (" + f.what() + "), so whether it was " +
         applied_or_rolled_back(dir) + " is unknown. " + in_doubt_commit_remedy();
}

std::string commit_failure(const migration& m, direction dir, const database_error& f) {
  return m.path + ": " + describe_short(m) + " failed (" + up_or_down(dir) + ") at COMMIT: " + sqlstate_part(f) +
         f.what() + nothing_of(m, dir);
}

std::string code_stopped(const migration& m, int steps_done) {
  return step_name(m) + " (NO TRANSACTION code) was stopped after step " + std::to_string(steps_done) +
         ": its step in flight, if any, was cancelled and rolled back. " + code_dirty_after_failure_remedy(m.version);
}

std::string code_no_transaction_failure(const migration& m, direction dir, int steps_done, const std::string& cause,
                                        bool connection_lost) {
  return m.path + ": " + describe_short(m) +
         (connection_lost ? " lost the connection to the database (" : " failed (") + up_or_down(dir) +
         ", NO TRANSACTION) after step " + std::to_string(steps_done) + ": " + cause + "\n" +
         code_dirty_after_failure_remedy(m.version);
}

std::string code_step_refused_after_stop() { return "stopped before its next step (SIGTERM/SIGINT)"; }

std::string group_in_doubt(std::size_t count, const migration& first, const migration& last, direction dir,
                           const database_error& f) {
  return std::to_string(count) +
         " migrations sent in one request, each in its own transaction (its statements, its history rows, COMMIT), "
         "from " + describe(first) + " to " + describe(last) + ": the connection was lost while they ran (" +
         f.what() + "), so which of them were " + applied_or_rolled_back(dir) +
         " is unknown; each one that committed is recorded. " + in_doubt_commit_remedy();
}

std::string single_transaction_refusal(const migration& m) {
  const bool code = m.kind == migration_kind::code;
  if (m.role != migration_role::versioned)
    return "refusing --single-transaction: " + describe(m) +
           " runs without a transaction (-- +goose NO TRANSACTION), so the run cannot be one transaction. Nothing "
           "was applied. Run without --single-transaction, or drop NO TRANSACTION from the file.";
  return "refusing --single-transaction: " + describe(m) +
         (code ? " is a code migration that runs without a transaction (it commits its own steps)"
               : " runs without a transaction (-- +goose NO TRANSACTION)") +
         ", so the run cannot be one transaction. Nothing was applied. Apply the migrations before it with "
         "'app migrate up-to " + std::to_string(m.version - 1) + " --single-transaction' and it alone with "
         "'app migrate up-by-one', or run without --single-transaction.";
}

std::string single_transaction_failure(const migration& m, direction dir, const std::string& cause,
                                       const std::vector<statement>* statements, std::optional<std::size_t> index,
                                       int line, std::size_t before) {
  std::ostringstream msg;
  msg << m.path;
  if (index && statements)
    msg << ":" << line << ": " << describe_short(m) << " failed (" << up_or_down(dir) << ") at statement "
        << (*index + 1) << " of " << statements->size() << " (\"" << first_line((*statements)[*index].sql)
        << "\"): ";
  else
    msg << ": " << describe_short(m) << " failed (" << up_or_down(dir) << "): ";
  msg << cause << "\n--single-transaction: the whole run was rolled back; nothing of it was applied ("
      << before << " migration(s) before this one in the run were rolled back with it).";
  return msg.str();
}

std::string single_transaction_in_doubt(std::size_t count, const database_error& f) {
  return "--single-transaction: the connection was lost during the COMMIT of the run's " + std::to_string(count) +
         " migration(s) (" + f.what() + "), so whether they were applied is unknown: all of them or none. " +
         in_doubt_commit_remedy();
}

}  // namespace migrator::detail
