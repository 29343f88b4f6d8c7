// The application's configuration, resolved from command-line flags, the
// environment, a YAML file and defaults (in that order of precedence).
//
// Every setting is described once, in setting_table(): its flag, environment
// variable, file key, help text and how its value is read. That one table
// drives the resolution below, the flags and their --help
// (settings_options.cpp), the configuration file's schema (config_file.cpp)
// and the key table in docs/configuration.md (checked by a test).
//
// Pure: the environment and the disk come in as functions, so tests need neither.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "migrator/backend.h"
#include "migrator/engine.h"
#include "migrator/environment.h"
#include "migrator/fleet_runner.h"
#include "log_format.h"
#include "migrator/lint.h"
#include "migrator/log.h"
#include "migrator/startup.h"

namespace app {

// Reads a whole file, the path relative to the current directory; nullopt when
// it does not exist. Throws migrator::error when it exists but cannot be read.
using file_lookup = std::function<std::optional<std::string>(const std::string& path)>;

// Read when neither --config nor APP_CONFIG names a file, and only if it exists.
inline constexpr const char* default_config_file = "config/app.yaml";
// Written by `scripts/pg start .local/db` (scripts/run): the local development database.
inline constexpr const char* local_database_dsn_file = ".local/db/dsn";

// How the user writes each value of an enum setting, one table per enum, each
// checked to name every enumerator once (the first spelling of a value is the
// one shown). Values are parsed from these tables once, when settings resolve.
template <typename E>
struct spelling {
  std::string_view text;
  E value;
};
inline constexpr spelling<migrator::lock_mode> lock_mode_spellings[] = {
    {"auto", migrator::lock_mode::automatic}, {"advisory", migrator::lock_mode::advisory}, {"table", migrator::lock_mode::table}};
static_assert(std::size(lock_mode_spellings) == static_cast<std::size_t>(migrator::lock_mode::table) + 1);
inline constexpr spelling<migrator::unknown_versions> unknown_versions_spellings[] = {
    {"warn", migrator::unknown_versions::warn}, {"refuse", migrator::unknown_versions::refuse}};
static_assert(std::size(unknown_versions_spellings) == static_cast<std::size_t>(migrator::unknown_versions::refuse) + 1);
inline constexpr spelling<migrator::lint_severity> lint_severity_spellings[] = {
    {"off", migrator::lint_severity::off}, {"warn", migrator::lint_severity::warning}, {"error", migrator::lint_severity::error}};
static_assert(std::size(lint_severity_spellings) == static_cast<std::size_t>(migrator::lint_severity::error) + 1);
// Every level but critical: that is a level a line has, never one a user sets (the
// reader also takes "warning", spdlog's name, for warn).
inline constexpr spelling<migrator::log_level> log_level_spellings[] = {
    {"trace", migrator::log_level::trace}, {"debug", migrator::log_level::debug}, {"info", migrator::log_level::info},
    {"warn", migrator::log_level::warn},   {"error", migrator::log_level::error}, {"off", migrator::log_level::off}};
static_assert(std::size(log_level_spellings) + 1 == static_cast<std::size_t>(migrator::log_level::off) + 1,
              "every level once, critical left out");
inline constexpr spelling<log_format> log_format_spellings[] = {{"text", log_format::text}, {"json", log_format::json}};
static_assert(std::size(log_format_spellings) == static_cast<std::size_t>(log_format::json) + 1);

// The text of `value` in its table ("auto" for lock_mode::automatic).
template <typename E, std::size_t N>
constexpr std::string_view spelling_of(E value, const spelling<E> (&table)[N]) {
  for (const auto& s : table)
    if (s.value == value) return s.text;
  return "?";
}

// Every default below is read from the core's option structs, where it is written once.
struct settings {
  // Resolved and normalised (normalize_dsn); holds the password: print only
  // redact_dsn(dsn). Empty = libpq defaults (PG* variables, service file, .pgpass).
  std::string dsn;
  // Where dsn came from: the name of an entry of dsn_sources() ("MIGRATE_DSN"),
  // the configuration file's prefixed with the file ("config/app.yaml: database.url").
  std::string dsn_source;
  // The configuration file that was read; nullopt: none.
  std::optional<std::string> config_file;
  // Default: none (the embedded module set).
  std::optional<std::string> modules_dir;
  // Where `status` and `up` keep the checksums of --modules-dir's files between
  // runs (a file per modules directory). Default (nullopt): $XDG_CACHE_HOME/migrator,
  // else $HOME/.cache/migrator; "off": no cache.
  std::optional<std::string> digest_cache;
  // The version table, NAME or SCHEMA.NAME.
  std::string table = migrator::backend_options{}.table;
  // How long to wait for the migration lock.
  std::chrono::milliseconds lock_timeout = migrator::backend_options{}.lock_timeout;
  // The table lease's length (goose_lock), 1s to 1h.
  std::chrono::milliseconds lock_lease = migrator::postgres_options{}.lock_lease;
  // PostgreSQL statement_timeout of migration sessions. Default: none (the server's).
  std::optional<std::chrono::milliseconds> statement_timeout;
  // PostgreSQL lock_timeout of migration sessions. Default: none (the server's).
  std::optional<std::chrono::milliseconds> db_lock_timeout;
  // With db_lock_timeout: retries of a step that failed on a lock timeout, and their total time.
  int db_lock_retries = migrator::postgres_options{}.lock_retries;
  std::chrono::milliseconds db_lock_retry_for = migrator::postgres_options{}.lock_retry_for;
  // up: how long to wait for older builds before applying a contract migration. Default: 0 (defer).
  std::chrono::milliseconds wait_for_builds = migrator::engine_options{}.wait_for_builds;
  // At application start: the build registry entry's lease.
  std::chrono::milliseconds build_lease = migrator::startup_options{}.build_lease;
  // At application start: how long to wait for the database to accept connections.
  std::chrono::milliseconds wait_timeout = migrator::startup_options{}.wait_timeout;
  // Whether the application migrates when it starts.
  bool migrate_on_start = migrator::startup_options{}.migrate;
  // SET ROLE for the application's own connection. Default: none.
  std::optional<std::string> app_role;
  // The least level logged (log_level_spellings). Default: info.
  migrator::log_level log_level = migrator::log_level::info;
  // Default: text.
  app::log_format log_format = app::log_format::text;
  // Proceed although applied migrations differ from their files.
  bool allow_drift = migrator::engine_options{}.allow_drift;
  // up: the whole run in one transaction.
  bool single_transaction = migrator::engine_options{}.single_transaction;
  // At application start, versions applied by a newer build.
  migrator::unknown_versions on_unknown = migrator::startup_options{}.on_unknown;
  // A fleet file (docs/fleet.md): commands run over its targets instead of `dsn`. Default: none.
  std::optional<std::string> targets;
  // Fleet runs: targets migrated at the same time.
  std::size_t jobs = migrator::fleet_options{}.jobs;
  // Fleet runs: libpq connect_timeout of each target that sets none.
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(migrator::fleet_options{}.connect_timeout_seconds);
  // Lint rule id -> severity (the file's `lint` section; no flag or variable). Default: each rule's own.
  std::map<std::string, migrator::lint_severity> lint;
  // The migration lock.
  migrator::lock_mode lock = migrator::postgres_options{}.lock;
  // The id of the migration lock (advisory key and goose_lock row).
  std::int64_t lock_id = migrator::postgres_options{}.lock_id;
};

// A value as one source gave it, with where it came from for messages:
// "--table", "APP_TABLE", "config/app.yaml:3: database.table".
struct raw_value {
  std::string text;
  std::string origin;
};

// One setting, described once.
struct setting_spec {
  std::string_view file_key;    // "migrations.lock_timeout"; empty: not in the file
  std::string_view flag;        // "lock-timeout" (without dashes); empty: only in the file
  std::string_view value_name;  // "DURATION"; empty: a switch that takes no value
  std::string_view switch_sets; // a switch stands for this value ("false" for --no-migrate)
  std::string_view env;         // "APP_LOCK_TIMEOUT"; empty: none
  std::string_view help;        // what it does, one sentence, no default
  // The value in `s`, as the user would write it ("5m", "none"): with settings{} it is the default.
  std::function<std::string(const settings& s)> show;
  // Reads a value into `s`; throws migrator::error(config) naming v.origin. Empty for
  // the settings resolved by hand (the DSN's chain of sources, the file itself).
  std::function<void(settings& s, const raw_value& v)> read;
};

// Every setting, in the order of --help and the documentation.
const std::vector<setting_spec>& setting_table();

// The flags given on the command line: flag name (no dashes) -> value as
// typed; a switch maps to "". Flags not in setting_table() are ignored.
using settings_flags = std::map<std::string, std::string>;

struct config_file;  // config_file.h

// What the DSN's sources read.
struct dsn_inputs {
  const settings_flags& flags;
  const migrator::env_lookup& env;
  const config_file* file;  // nullptr: no configuration file was read
  const file_lookup& read_file;
};

// One place the DSN may come from, described once.
struct dsn_source_spec {
  // As settings::dsn_source shows it when this source wins ("MIGRATE_DSN").
  std::string_view name;
  // Shown as "<file>: <name>" (the configuration file's path first).
  bool in_config_file;
  // How the --dsn help names it among the defaults; empty for --dsn itself.
  std::string_view help;
  // Its item in docs/configuration.md's list (markdown; each line break continues the item).
  std::string_view doc;
  // The DSN as this source gives it, with its origin for messages; nullopt when the
  // source is unset or empty. Empty for libpq's defaults, the last, which always applies.
  std::function<std::optional<raw_value>(const dsn_inputs& in)> read;
};

// The DSN's sources in the order they are tried: the first that gives a value wins.
const std::vector<dsn_source_spec>& dsn_sources();

// Resolves every setting: flag > environment > configuration file > default; the
// DSN from the first of dsn_sources() that gives one, then normalize_dsn.
// Empty environment variables count as unset. The configuration file is
// --config, else APP_CONFIG, else config/app.yaml when it exists.
// Throws migrator::error(config) with a located message ("config/app.yaml:3:
// unknown key 'databse' (did you mean 'database'?)", "APP_LOCK_TIMEOUT: bad
// duration ..."); no message ever holds a password.
settings resolve_settings(const settings_flags& flags, const migrator::env_lookup& env, const file_lookup& read_file);

// The "## Keys" table of docs/configuration.md, rendered from setting_table().
std::string settings_markdown_table();

// The numbered list under "## The DSN" in docs/configuration.md, rendered from dsn_sources().
std::string dsn_sources_markdown_list();

}  // namespace app
