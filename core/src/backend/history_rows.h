// What both history stores (PostgreSQL's and SQLite's) read the same way: goose's
// rows into the applied versions, and the "<table>_meta" rows. Pure: the stores
// send the queries, these read their results.
#pragma once

#include <string>

#include "migrator/history.h"
#include "migrator/session.h"

namespace migrator::detail {

// `rows`: id, version_id, is_applied, applied-at text, ordered by id. goose v3
// deletes the row on down; goose v2 appended is_applied = false rows. The latest
// row of a version decides, which reads both. Returns the applied versions by id
// (their applied-at texts are moved out of `rows`).
std::vector<applied_row> applied_from_goose_rows(query_result& rows);

// The query for the meta rows of side table `meta` (quoted), in the column
// order meta_from_rows reads.
std::string meta_rows_sql(const std::string& meta);

// Reads meta_rows_sql's result (its texts are moved out) into `out`.
void meta_from_rows(query_result& meta, std::map<std::int64_t, meta_row>& out);

}  // namespace migrator::detail
