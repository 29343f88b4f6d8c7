#include "engine/remedies.h"

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

}  // namespace migrator::detail
