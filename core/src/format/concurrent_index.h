// Which index a CREATE INDEX CONCURRENTLY or REINDEX ... CONCURRENTLY statement
// builds, read from its text alone. Pure (no database).
//
// Why: such a statement commits in several transactions. When it fails after
// the first one (a lock timeout while it waits for older transactions, a
// duplicate key), it leaves an INVALID index behind: under the name it was
// given for CREATE INDEX, under "<index>_ccnew" (or "_ccold", with a number
// appended when the name is taken) for REINDEX. The engine drops exactly those
// names, and only when the server says they are invalid, before running the
// statement again (engine/invalid_index.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace migrator::parsing {

// A name as the server stores it: unquoted words folded to lower case, quoted
// ones as written, each part cut to 63 bytes (PostgreSQL's NAMEDATALEN - 1).
struct qualified_name {
  std::optional<std::string> schema;  // nullopt: found through search_path
  std::string name;
};

enum class concurrent_index_kind {
  create_index,   // CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] [name] ON [ONLY] table ...
  reindex_index,  // REINDEX [(...)] INDEX CONCURRENTLY index, or REINDEX (CONCURRENTLY) INDEX index
  reindex_table,  // the same with TABLE: every index of the table (and of its TOAST table)
  reindex_other,  // SCHEMA, DATABASE or SYSTEM: too many indexes to name
};

struct concurrent_index_statement {
  concurrent_index_kind kind = concurrent_index_kind::create_index;
  // create_index: the new index (it has no schema of its own: it goes into the
  // table's), nullopt when the statement names none (the server chooses one, so
  // a leftover cannot be told apart by name); reindex_index: the index.
  std::optional<qualified_name> index;
  // create_index and reindex_table: the table.
  std::optional<qualified_name> table;
};

// nullopt when `sql` (one statement, comments allowed) is not one of the
// statements above, or is written in a way this reader does not follow
// (U&"..." identifiers, say): such a statement is treated like any other.
std::optional<concurrent_index_statement> concurrent_index_of(std::string_view sql);

// The names REINDEX CONCURRENTLY gives the transient indexes of `index`, as
// PostgreSQL's ChooseRelationName does with the labels "ccnew" and "ccold":
// "<index>_ccnew", then "<index>_ccnew1", "<index>_ccnew2", ... when the name
// is taken, the index name cut (at a character boundary) so that the whole
// stays within 63 bytes. `numbered` such names per label, after the plain one.
std::vector<std::string> reindex_leftover_names(const std::string& index, int numbered = 20);

}  // namespace migrator::parsing
