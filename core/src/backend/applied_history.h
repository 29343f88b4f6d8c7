// history_store::compare_applied (history.h) without the database: the rows a
// store read, compared with a module set fully applied. Pure: the store reads
// the rows, the engine passes its set as it is.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "migrator/history.h"
#include "migrator/migration.h"
#include "backend/side_digest.h"

namespace migrator::detail {

// The rows the comparison reads, as views into the store's query results. A
// NULL reads as "" (so a goose row without a side row never matches a migration).
struct goose_history_row {  // goose's table, in any order
  std::int64_t id = 0;
  std::int64_t version = 0;
  bool applied = false;
};
struct side_history_row {  // "<table>_meta", in any order
  std::int64_t version = 0;
  std::string_view module, checksum, state;
};
struct repeatable_history_row {  // "<table>_repeatable"
  std::string_view module, name, checksum;
  std::int64_t known_version = 0;  // NULL reads as 0
};

// Whether the applied history is exactly `migrations` all applied: a version's
// latest goose row (by id) decides whether it is applied, version 0 is goose's
// own row, and the applied versions must be the set's versions, each with a
// side row of the migration's module and checksum in state "applied". A dirty
// side row makes it unequal, whatever its version (a newer build's NO
// TRANSACTION migration that stopped has no goose row). Each of `repeatables`
// must have a row with its checksum, or one recorded by a newer build (a
// known_version above its own); rows of repeatables no longer in the set do not
// matter. `goose` and `side` are sorted in place; `migrations` may be in any order.
history_comparison compare_applied_history(std::vector<goose_history_row>& goose,
                                           std::vector<side_history_row>& side,
                                           const std::vector<repeatable_history_row>& repeatable_rows,
                                           const std::vector<migration>& migrations,
                                           const std::vector<migration>& repeatables);

// The same comparison from the side rows' digests instead of the side rows
// (backend/side_digest.h): when the digests prove the side rows, the answer
// compare_applied_history would give (every applied version a file of the set,
// so equal when all of the set's versions are applied). nullopt when they prove
// nothing: the store then reads the side rows. `applied`: goose's applied
// versions (applied_from_goose_rows); `migrations` sorted by version.
std::optional<history_comparison> compare_applied_by_digests(
    const std::vector<side_digest_row>& digests, goose_table_mark goose, const std::vector<applied_row>& applied,
    const std::vector<repeatable_history_row>& repeatable_rows, const std::vector<migration>& migrations,
    const std::vector<migration>& repeatables);

}  // namespace migrator::detail
