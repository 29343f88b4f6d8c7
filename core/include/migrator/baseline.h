// Baselines: one migration file that holds a module's whole schema as of its
// version and replaces the module's earlier migrations, which are then deleted.
// It is marked before "-- +goose Up" by
//
//   -- +migrator baseline replaces 4001-4016
//
// (versions and inclusive ranges, comma-separated: "4001-4003,4005"), a line
// goose reads as a plain comment. What a database does with it depends on how
// much of the replaced history it has; pure, shared by the planner, status and
// the engine.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "migrator/migration.h"

namespace migrator {

enum class baseline_history {
  fresh,     // no replaced version applied: run the baseline like any migration
  complete,  // every replaced version applied: record the baseline without running it
  partial,   // some applied, some not: refused (the missing ones have no files any more)
};
const char* to_string(baseline_history kind) noexcept;

struct baseline_check {
  baseline_history kind = baseline_history::fresh;
  std::vector<std::int64_t> present;  // replaced versions in the history, ascending
  std::vector<std::int64_t> missing;  // replaced versions not in it, ascending
};

// `baseline` must have its baseline marker set.
baseline_check check_baseline(const migration& baseline, const std::unordered_set<std::int64_t>& applied);

// The refusal for a partial history: what is there, what is missing and the
// two ways out (an older build first, or a new database).
std::string partial_history_refusal(const migration& baseline, const baseline_check& check);

// "4001-4003, 4005" for messages; the annotation's form without spaces.
std::string format_versions(const std::vector<std::int64_t>& ascending, const char* separator = ", ");

// The annotation line for a baseline replacing `versions` (ascending).
std::string baseline_annotation(const std::vector<std::int64_t>& versions);

}  // namespace migrator
