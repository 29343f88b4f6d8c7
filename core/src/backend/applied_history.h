// The two sides of history_store::compare_applied (history.h): the text of a
// module set fully applied, and the comparison of the history's rows with it.
// Kept together so they cannot drift apart. Pure: the store reads the rows.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "migrator/history.h"

#include "migrator/migration.h"

namespace migrator::detail {

// "<version> <module> <checksum> applied\n" for each of `migrations`, by version.
std::string applied_history_text(const std::vector<migration>& migrations);

// "<module> <name> <checksum> <known_version>\n" for each repeatable migration, in set order.
std::string repeatable_history_text(const std::vector<migration>& repeatables);

// The rows the comparison reads, as views into the store's query results. A
// NULL reads as "" (so a goose row without a side row never equals a set's line).
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

// Whether the applied history equals `expected` (applied_history_text of the
// whole set): a version's latest goose row (by id) decides whether it is
// applied, version 0 is goose's own row, and each applied version's line is
// "<version> <module> <checksum> <state>" from its side row. A dirty side row
// makes it unequal, whatever its version (a newer build's NO TRANSACTION
// migration that stopped has no goose row). `repeatables` null: not consulted
// (`expected_repeatables` is empty); else each line of `expected_repeatables`
// (repeatable_history_text) must be recorded with its checksum, or by a newer
// build (a known_version above the line's). Rows of repeatables no longer in the
// set do not matter. `goose` and `side` are sorted in place.
history_comparison compare_applied_history(std::vector<goose_history_row>& goose,
                                           std::vector<side_history_row>& side,
                                           const std::vector<repeatable_history_row>* repeatables,
                                           std::string_view expected, std::string_view expected_repeatables);

}  // namespace migrator::detail
