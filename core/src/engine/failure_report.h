// The pieces a failure report is made of: how a migration and a statement are
// named in messages, and where the server's error lies in the migration's file.
// Shared by the engine's step executors and the message texts (remedies.h).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "migrator/error.h"
#include "migrator/migration.h"

namespace migrator::detail {

// A statement's first line, cut to 80 characters.
std::string first_line(const std::string& sql);

// "migration V (module M, PATH)".
std::string describe(const migration& m);

// "migration V (module M)": for messages that already start with "path:line: ".
std::string describe_short(const migration& m);

// "MODULE VERSION NAME": a step in the lists of an interrupted run.
std::string step_name(const migration& m);

// The file line of the server's error position (a 1-based count of characters,
// not bytes, into the statement as sent); the statement's first line without one.
int file_line_of(const statement& s, int position);

// "SQLSTATE 42P01: " before the server's message; empty when the error has none.
std::string sqlstate_part(const error& f);

// The server's fields, placed in a migration (and, given both, one of its statements).
error_details located(const migration& m, const error_details& server, const std::vector<statement>* statements,
                      std::optional<std::size_t> index);

}  // namespace migrator::detail
