// The application's configuration, resolved from command-line flags, the
// environment, a YAML file and defaults (in that order of precedence).
// Pure: the environment and the disk come in as functions, so tests need
// neither. Every key, its flag, variable and default: docs/configuration.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "migrator/environment.h"

namespace migrator {

// Reads a whole file, the path relative to the current directory; nullopt when
// it does not exist. Throws migrator::error when it exists but cannot be read.
using file_lookup = std::function<std::optional<std::string>(const std::string& path)>;

// Read when neither --config nor APP_CONFIG names a file, and only if it exists.
inline constexpr const char* default_config_file = "config/app.yaml";
// Written by `scripts/pg start .local/db` (scripts/run): the local development database.
inline constexpr const char* local_database_dsn_file = ".local/db/dsn";

struct settings {
  // Resolved and normalised (normalize_dsn); holds the password: print only
  // redact_dsn(dsn). Empty = libpq defaults (PG* variables, service file, .pgpass).
  std::string dsn;
  // Where dsn came from: "--dsn", "MIGRATE_DSN", "DATABASE_URL",
  // "<file>: database.url", "local development database (.local/db)" or
  // "libpq defaults (PG* variables)".
  std::string dsn_source;
  // The configuration file that was read; nullopt: none.
  std::optional<std::string> config_file;
  // Default: none (the embedded module set).
  std::optional<std::string> modules_dir;
  // The version table, NAME or SCHEMA.NAME. Default: goose_db_version.
  std::string table = "goose_db_version";
  // How long to wait for the migration lock. Default: 5m.
  std::chrono::milliseconds lock_timeout{std::chrono::minutes(5)};
  // PostgreSQL statement_timeout of migration sessions. Default: none (the server's).
  std::optional<std::chrono::milliseconds> statement_timeout;
  // PostgreSQL lock_timeout of migration sessions. Default: none (the server's).
  std::optional<std::chrono::milliseconds> db_lock_timeout;
  // At application start: how long to wait for the database to accept connections. Default: 60s.
  std::chrono::milliseconds wait_timeout{std::chrono::seconds(60)};
  // Whether the application migrates when it starts. Default: true.
  bool migrate_on_start = true;
  // SET ROLE for the application's own connection. Default: none.
  std::optional<std::string> app_role;
  // trace|debug|info|warn|error|off. Default: info.
  std::string log_level = "info";
  // text|json. Default: text.
  std::string log_format = "text";
  // Proceed although applied migrations differ from their files. Default: false.
  bool allow_drift = false;
  // A fleet file (docs/fleet.md): commands run over its targets instead of `dsn`. Default: none.
  std::optional<std::string> targets;
  // Fleet runs: targets migrated at the same time. Default: 4.
  std::size_t jobs = 4;
  // Fleet runs: libpq connect_timeout of each target that sets none. Default: 5s.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
};

// The global command-line flags as given; nullopt / false = not given. Values are
// the raw text (durations are parsed by resolve_settings, so every source gets
// the same checks and messages).
struct settings_flags {
  std::optional<std::string> dsn;                // --dsn
  std::optional<std::string> config;             // --config
  std::optional<std::string> modules_dir;        // --modules-dir ("" = embedded)
  std::optional<std::string> table;              // --table
  std::optional<std::string> lock_timeout;       // --lock-timeout
  std::optional<std::string> statement_timeout;  // --statement-timeout ("0"/"none" = none)
  std::optional<std::string> db_lock_timeout;    // --db-lock-timeout ("0"/"none" = none)
  std::optional<std::string> wait_timeout;       // --wait-timeout
  bool no_migrate = false;                       // --no-migrate
  std::optional<std::string> app_role;           // --app-role ("" = none)
  std::optional<std::string> log_level;          // --log-level
  std::optional<std::string> log_format;         // --log-format
  bool allow_drift = false;                      // --allow-drift
  std::optional<std::string> targets;            // --targets ("" = none)
  std::optional<std::string> jobs;               // --jobs
  std::optional<std::string> connect_timeout;    // --connect-timeout
};

// Resolves every setting: flag > environment > configuration file > default; the
// DSN: --dsn, MIGRATE_DSN, DATABASE_URL, the file's database.url, the local
// development database (.local/db/dsn), else libpq defaults; then normalize_dsn.
// Empty environment variables count as unset. The configuration file is
// --config, else APP_CONFIG, else config/app.yaml when it exists.
// Throws migrator::error(config) with a located message ("config/app.yaml:3:
// unknown key 'databse' (did you mean 'database'?)", "APP_LOCK_TIMEOUT: bad
// duration ..."); no message ever holds a password.
settings resolve_settings(const settings_flags& flags, const env_lookup& env, const file_lookup& read_file);

// "500ms", "30s", "5m", "1h", and sums such as "1h30m" or "1m30s"; "0" alone.
// nullopt for anything else (a number without a unit, fractions, signs, spaces)
// and for more than 596h (PostgreSQL's limit for timeouts, 2^31-1 ms).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The shortest text parse_duration reads back as `d`: "5m", "1m30s", "250ms", "0".
std::string format_duration(std::chrono::milliseconds d);

}  // namespace migrator
