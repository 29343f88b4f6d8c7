// The side rows' digests: what lets `status` leave the "<table>_meta" rows
// unread. Reading one side row per migration cost a new server process about as
// much as everything else `status` asks of it; instead, at the end of each run
// that changed the history (under the lock), the store writes one row per
// module: how many side rows the module has and a SHA-256 of their versions,
// checksums and states, with goose's table's row count and highest id as they
// were then. `status` reads those rows and goose's table, and proves here that
// the side rows are exactly what the files and goose's rows say they should be.
// Anything else (a digest missing or written before goose's table last changed,
// a checksum or module that differs, a dirty or stray row, an applied version
// without a file) is no proof, and the store reads every side row instead.
//
// Pure: the store reads the rows; side_digest_text is the text the server
// hashes (PostgreSQL's store builds the same text in SQL, side_digest_sql).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "migrator/history.h"
#include "migrator/migration.h"

namespace migrator::detail {

// A row of "<table>_digest", as views into the store's query result.
struct side_digest_row {
  std::string_view module;  // "" for side rows without a module
  std::int64_t versions = 0;
  std::string_view digest;  // lowercase hex SHA-256 of side_digest_text
  std::int64_t goose_rows = 0;
  std::int64_t goose_last_id = 0;
};

// Goose's table as read with the digests: its row count and highest id (0 when empty).
struct goose_table_mark {
  std::int64_t rows = 0;
  std::int64_t last_id = 0;
};

// Appends one side row's line of the hashed text: "<version>:<checksum>:<state>\n".
void append_side_digest_line(std::string& text, std::int64_t version, std::string_view checksum,
                             std::string_view state);
// SHA-256 of `text` as lowercase hex.
std::string side_digest_of(std::string_view text);

// The SQL that writes the digests: "<table>_digest" emptied and filled from the
// side table and goose's table (all quoted), in one transaction.
std::string side_digest_sql(const std::string& digest_table, const std::string& meta, const std::string& goose);
// The columns of "<table>_digest" in the order side_digest_row holds them.
extern const char* const side_digest_columns;

// Whether the digests prove the side rows equal to what `applied` (goose's
// applied versions) and `migrations` (sorted by version) say: see the top of
// this file. `goose` is goose's table as read in the same request.
bool side_rows_proved(const std::vector<side_digest_row>& digests, goose_table_mark goose,
                      const std::vector<applied_row>& applied, const std::vector<migration>& migrations);

// Whether the digests were written since goose's table last changed (no rows: not written).
bool digests_current(const std::vector<side_digest_row>& digests, goose_table_mark goose);

}  // namespace migrator::detail
