// The goose v3 SQL migration format (pressly/goose internal/sqlparser), with
// one intended difference: a ';' at a line end inside a string, dollar-quoted
// body, quoted identifier or block comment does not end a statement.
// Pure: no I/O besides the environment lookup that ENVSUB needs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "migrator/error.h"
#include "migrator/migration.h"

namespace migrator {

// Looks a variable up for "-- +goose ENVSUB ON"; nullopt = unset.
using env_lookup = std::function<std::optional<std::string>(const std::string& name)>;

// Reads the process environment (getenv).
env_lookup process_environment();

struct file_name_parts {
  std::optional<std::int64_t> version;  // nullopt: the name has no numeric prefix
  std::string name;                     // title after "<version>_", without ".sql"
};

// Splits "04001_billing_init.sql" into {4001, "billing_init"}.
// Returns nullopt for names that do not end in ".sql" (they are not migrations).
std::optional<file_name_parts> parse_file_name(std::string_view file_name);

// Parses one migration file. `path` is used only in error messages.
// Throws parse_error ("path:line: message") on the first problem.
migration_body parse_migration(std::string_view text, std::string_view path,
                               const env_lookup& env);

// Hex SHA-256 of the text with a leading UTF-8 BOM removed and CRLF turned into
// LF, so a checkout with other line endings is not reported as modified.
std::string migration_checksum(std::string_view text);

}  // namespace migrator
