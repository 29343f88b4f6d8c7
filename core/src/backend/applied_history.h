// The two sides of history_store::compare_applied (history.h): the text of a
// module set fully applied, and the PostgreSQL query that builds the same text
// from the applied history and compares. Kept together so they cannot drift apart.
#pragma once

#include <string>
#include <vector>

#include "migrator/migration.h"

namespace migrator::detail {

// "<version> <module> <checksum> applied\n" for each of `migrations`, by version.
std::string applied_history_text(const std::vector<migration>& migrations);

// One row: whether the applied history's text equals $1, and the highest applied
// version; for goose's table and its side table (both quoted). Fails with
// SQLSTATE 42P01 when either table is missing.
std::string applied_history_comparison_sql(const std::string& table, const std::string& meta);

// "<module> <name> <checksum> <known_version>\n" for each repeatable migration, in set order.
std::string repeatable_history_text(const std::vector<migration>& repeatables);

// The same comparison, also requiring each line of $2 (repeatable_history_text)
// recorded in repeatable table `repeatable` (quoted) with that checksum. Rows of
// repeatables no longer in the set do not matter. Fails with 42P01 when the
// repeatable table is missing too.
std::string applied_history_comparison_sql(const std::string& table, const std::string& meta,
                                           const std::string& repeatable);

}  // namespace migrator::detail
