// The fix-it texts: what a refusal or a failure tells the operator to do next.
// Kept apart from the engine's control flow so each reads as a whole and is
// tested on its own (tests/unit/remedies_test.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

// A run stopped by a signal: what was applied before it, what happened to the
// step in flight (`in_flight`, may be empty) and what was not applied.
std::string interrupted_report(const std::vector<std::string>& applied, const std::string& in_flight,
                               const std::vector<std::string>& not_applied);

}  // namespace migrator::detail
