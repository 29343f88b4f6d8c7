// Pure: the state of every migration, from the module set and a history
// snapshot. No database: status, the engine's guards and tests share it.
#pragma once

#include <cstdint>
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

struct status_report {
  bool history_exists = false;
  std::int64_t current_version = 0;  // highest applied version (0 when none)
  std::vector<migration_status> migrations;  // ascending by version
  std::size_t without_checksum = 0;          // applied rows adopted from goose with no checksum yet
  // "version 3001 was recorded by module 'billing' but the current set gives it to 'organization'"
  std::vector<std::string> namespace_conflicts;
  // One partial_history_refusal per pending baseline whose history is partial.
  std::vector<std::string> baseline_refusals;

  // Pending migrations `up` would not apply yet: contract migrations that live
  // builds do not know, and what follows them in their module (builds.h).
  // Filled by engine::status(), not by compute_status (which reads no registry).
  std::vector<deferred_migration> deferred;

  bool current() const;  // nothing pending, modified, dirty or unknown (replaced is fine)
  // Not current only because of deferred migrations: every pending one is deferred,
  // and nothing is modified, dirty or unknown.
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

// The status of `version` when it is dirty, the one state `repair VERSION`
// clears. Otherwise throws error(refused) saying what it is (or that no
// migration has that version): the history is not touched.
const migration_status& dirty_for_repair(const status_report& report, std::int64_t version);

}  // namespace migrator
