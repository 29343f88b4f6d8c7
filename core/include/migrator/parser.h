// The goose v3 SQL migration format (pressly/goose internal/sqlparser), with
// one intended difference: a ';' at a line end inside a string, dollar-quoted
// body, quoted identifier or block comment does not end a statement.
// Pure: no I/O besides the environment lookup that ENVSUB needs.
//
// Splitting is goose's, byte for byte: outside StatementBegin/End a statement
// ends on a line whose last word (before a word starting with "--") ends in
// ';'; comments and blank lines before a statement are dropped, the rest is
// kept, and each statement is trimmed of (Unicode) whitespace. PostgreSQL's
// lexical state (strings, E'' strings, $tag$ bodies, "identifiers", nested
// /* */ comments, -- comments) is tracked across the lines of a statement, so
// that quoting decides whether a ';' or a "--" counts. Also unlike goose: a
// UTF-8 BOM is accepted, lines may be longer than 4 MB, an empty
// StatementBegin/End block yields no statement, and NUL bytes or invalid UTF-8
// are errors. CRLF files give the statements of their LF twin.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "migrator/environment.h"
#include "migrator/error.h"
#include "migrator/migration.h"

namespace migrator {

struct file_name_parts {
  std::optional<std::int64_t> version;  // nullopt: the name has no numeric prefix
  std::string name;                     // title after "<version>_", without ".sql"
};

// Splits "04001_billing_init.sql" (or a path ending in it) into {4001, "billing_init"}.
// Returns nullopt for names that do not end in ".sql" (they are not migrations).
// A name without a positive decimal "<version>_" prefix (e.g. "init.sql",
// "0_x.sql") gives version nullopt and the whole stem as name.
std::optional<file_name_parts> parse_file_name(std::string_view file_name);

// Parses one migration file. `path` is used only in error messages.
// Throws parse_error ("path:line: message", line 1-based) on the first problem.
// Every returned statement is non-empty; statement::line is where its text begins.
// ENVSUB looks variables up in `env` (an empty function: every variable unset).
migration_body parse_migration(std::string_view text, std::string_view path,
                               const env_lookup& env);

// The baseline annotation ("-- +migrator baseline replaces ...") among the
// comments before "-- +goose Up", or nullopt. Reads only that header, so the
// assembler can call it without parsing the body. Throws parse_error for a
// malformed or second annotation.
std::optional<baseline_marker> read_baseline_marker(std::string_view text, std::string_view path);

// Every "-- +migrator" annotation of that header: a baseline marker and a
// contract marker. Throws parse_error for a malformed or repeated annotation,
// and for a file that is both (a baseline rebuilds a module; it removes nothing).
migrator_header read_migrator_header(std::string_view text, std::string_view path);
// False when `text` holds no "+migrator" at all: then read_migrator_header
// returns an empty header without looking further.
bool may_have_migrator_header(std::string_view text) noexcept;

// Hex SHA-256 of the text with a leading UTF-8 BOM removed and CRLF turned into
// LF, so a checkout with other line endings is not reported as modified.
std::string migration_checksum(std::string_view text);

}  // namespace migrator
