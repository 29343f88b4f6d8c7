// Pure: the state of every migration, from the module set and a history
// snapshot. No database: status, the engine's guards and tests share it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "migrator/assembler.h"
#include "migrator/baseline.h"
#include "migrator/builds.h"
#include "migrator/history.h"

namespace migrator {

enum class migration_state { applied, pending, modified, dirty, unknown, replaced };
const char* to_string(migration_state state) noexcept;

struct migration_status {
  std::string module;  // from the module set, or as recorded for unknown versions
  std::int64_t version = 0;
  std::string name;
  std::string path;  // empty for unknown versions
  migration_kind kind = migration_kind::sql;  // code: a C++ code migration (its dirty progress counts steps)
  migration_state state = migration_state::pending;
  bool contract = false;  // a contract migration ("-- +migrator contract")
  std::optional<std::string> applied_at;  // "YYYY-MM-DD HH:MM:SS" (goose's tstamp, UTC)
  bool has_checksum = false;              // false for rows written by goose itself
  std::optional<int> statements_done;     // dirty: how many statements ran before it stopped
  std::optional<int> statements_total;
  std::optional<std::string> recorded_module;  // the module the history row names, if any
  // A pending baseline: how much of the history it replaces this database has
  // (fresh: up runs it; complete: up records it without running; partial: refused).
  std::optional<baseline_check> baseline;
};

// A repeatable migration against its row in "<table>_repeatable":
// - applied: recorded with the file's checksum;
// - pending: never applied;
// - changed: applied with another checksum; the next `up` applies it again;
// - newer: recorded with another checksum by a newer build (one that knows a
//   higher version of the module); left as it is, so an older build starting
//   during a rolling deploy never puts its older view back;
// - missing: recorded, but the set has no such file (deleted or renamed); nothing runs.
enum class repeatable_state { applied, pending, changed, newer, missing };
const char* to_string(repeatable_state state) noexcept;

struct repeatable_status {
  std::string module;
  std::string name;
  std::string path;  // empty when missing
  repeatable_state state = repeatable_state::pending;
  std::optional<std::string> applied_at;  // when the recorded checksum was applied
};

struct status_report {
  bool history_exists = false;
  std::int64_t current_version = 0;  // highest applied version (0 when none)
  std::vector<migration_status> migrations;  // ascending by version
  // In run order (module order, then name); missing ones after them, by module and name.
  std::vector<repeatable_status> repeatables{};
  std::size_t without_checksum = 0;          // applied rows adopted from goose with no checksum yet
  // "version 3001 was recorded by module 'billing' but the current set gives it to 'organization'"
  std::vector<std::string> namespace_conflicts;
  // One partial_history_refusal per pending baseline whose history is partial.
  std::vector<std::string> baseline_refusals;

  // Pending migrations `up` would not apply yet: contract migrations that live
  // builds do not know, and what follows them in their module (builds.h).
  // Filled by engine::status(), not by compute_status (which reads no registry).
  std::vector<deferred_migration> deferred;

  // Nothing pending, modified, dirty or unknown (replaced is fine), and no
  // repeatable migration pending or changed (a missing one is fine).
  bool current() const;
  // Not current only because of deferred migrations: every pending one is deferred,
  // nothing is modified, dirty or unknown, and no repeatable is pending or changed.
  bool only_deferred_pending() const;
  bool is_deferred(std::int64_t version) const;
};

// - applied: in the history and in the set, checksum equal or not recorded;
// - pending: in the set, not in the history (also a side row left without goose's row);
// - modified: applied, but the recorded checksum differs from the file's;
// - dirty: a NO TRANSACTION migration marked dirty and not recorded as applied;
// - unknown: applied, but no file in the set has the version;
// - replaced: applied, no file, and a baseline in the set replaces the version.
// A side row naming another module than the one modules.yaml now gives the
// version's namespace to is a namespace conflict.
status_report compute_status(const module_set& set, const history_snapshot& history);
// The same, taking the snapshot's texts (applied-at times) instead of copying them.
status_report compute_status(const module_set& set, history_snapshot&& history);

// compute_status's repeatable part: each repeatable of the set against the
// rows recorded by (module, name), then the recorded ones the set lacks.
std::vector<repeatable_status> repeatable_statuses(
    const std::vector<migration>& repeatables,
    const std::map<std::pair<std::string, std::string>, repeatable_row>& recorded);

// The repeatable migrations `up` applies after the versioned ones, in set order:
// the pending and the changed ones (not the ones a newer build applied).
std::vector<const migration*> repeatables_to_apply(
    const std::vector<migration>& repeatables,
    const std::map<std::pair<std::string, std::string>, repeatable_row>& recorded);
// The ones `reset` (and `down-to 0`) takes back first, in reverse set order:
// every recorded one the set still has (its current file's Down runs).
std::vector<const migration*> repeatables_to_revert(
    const std::vector<migration>& repeatables,
    const std::map<std::pair<std::string, std::string>, repeatable_row>& recorded);

// The status of `version` when it is dirty, the one state `repair VERSION`
// clears. Otherwise throws error(refused) saying what it is (or that no
// migration has that version): the history is not touched.
const migration_status& dirty_for_repair(const status_report& report, std::int64_t version);

}  // namespace migrator
