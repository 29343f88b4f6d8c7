// Pure: what the text of a code migration (<version>_<title>.cpp) declares,
// read without compiling it, so the build, `validate` and `inspect` can check a
// .cpp migration like a .sql file and say where it is wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "migrator/error.h"
#include "migrator/parser.h"

namespace migrator {

struct code_source_info {
  int line = 0;                 // 1-based line of the MIGRATOR_CODE_MIGRATION macro
  bool use_transaction = true;  // false for MIGRATOR_CODE_MIGRATION_NO_TRANSACTION
  std::string up;               // the argument naming up
  std::string down;             // "" when there is none
};

// Splits "04003_backfill_invoice_totals.cpp" (or a path ending in it) like
// parse_file_name does a .sql name; nullopt for names not ending in ".cpp".
std::optional<file_name_parts> parse_code_file_name(std::string_view file_name);

// Finds the one MIGRATOR_CODE_MIGRATION(up[, down]) or
// MIGRATOR_CODE_MIGRATION_NO_TRANSACTION(up[, down]) outside comments and
// string literals. Throws parse_error ("path:line: message") when there is
// none, more than one, or one without an up.
code_source_info read_code_source(std::string_view text, std::string_view path);

}  // namespace migrator
