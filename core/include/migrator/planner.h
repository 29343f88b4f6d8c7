// Pure: from (available migrations, applied history) to the ordered steps of a
// command, with goose v3's allow-missing semantics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "migrator/migration.h"

namespace migrator {

struct applied_version {
  std::int64_t version = 0;
  std::int64_t order = 0;  // application order (the history row's id); higher = later
};

enum class command_kind { up, up_by_one, up_to, down, down_to, redo, reset, stamp };

struct plan_request {
  command_kind kind = command_kind::up;
  std::int64_t target = 0;  // for up_to and down_to
};

enum class direction { up, down };

struct plan_step {
  direction dir = direction::up;
  std::int64_t version = 0;
  const migration* file = nullptr;  // points into `available`; never null in a returned plan
  // Recorded as applied without running its statements: every step of stamp,
  // and a baseline on a database that has every version it replaces.
  bool record_only = false;
  // A callback runs around the migrations of a run: it leaves no history and
  // is not counted or named as a migration.
  bool is_callback() const { return file->role == migration_role::callback; }
};

// - up: every pending version (including ones lower than the highest applied), ascending.
// - up_by_one: the lowest pending version.
// - up_to V: pending versions <= V, ascending.
// - down: the most recently applied migration (by order, not by version).
// - down_to V: every applied version > V, most recently applied first.
// - redo: down then up of the most recently applied migration.
// - reset: every applied migration, most recently applied first.
// - stamp V: pending versions <= V, ascending, each record_only.
// Baselines (baseline.h), when up, up_by_one or up_to reach one that is not
// applied: with none of its replaced versions applied it runs as usual; with
// all of them it is record_only; with some of them the plan is refused
// (error_code::refused, partial_history_refusal). stamp records them as any other.
// Applied versions with no file are skipped by up and are an error (error_code::plan)
// when a down step needs them. Version 0 (goose's initial row) is never planned.
std::vector<plan_step> make_plan(const std::vector<migration>& available,
                                 const std::vector<applied_version>& applied,
                                 const plan_request& request);

// Parses the bodies of `available` (sorted by version), newest first, while
// `keep_going()` holds; it is asked before each body. A command that waits for
// something else, its connection, spends the time on the parse its run does
// anyway, first for the migrations a deploy applies: the newest. Bodies parsed
// already are passed over; one that does not parse is left unparsed, and the run
// that plans it parses it again and reports why. Returns how many it parsed.
std::size_t parse_newest_while(const std::vector<migration>& available, const std::function<bool()>& keep_going);

}  // namespace migrator
