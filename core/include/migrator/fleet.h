// A fleet: many databases migrated by one run. Pure: the fleet file (YAML),
// its references (environment variables, modules directories), expansion
// entries (given the rows their query returned), target selection, sharding
// and canary order. No database here; the runner is migrator/fleet_runner.h.
// The file format: docs/fleet.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "migrator/environment.h"

namespace migrator {

// One database to migrate.
struct fleet_target {
  std::string name;                        // unique in the fleet ("iam", "tenants/tenant_0042")
  std::string dsn;                         // may hold a password: print only redact_dsn(dsn)
  std::optional<std::string> modules_dir;  // nullopt: the run's default set (--modules-dir or embedded)
  std::string group;                       // "" = none
  std::string entry;                       // the file entry it came from (its own name for a plain entry)
  std::string origin;                      // "fleet.yaml:12", for messages
};

// An entry that expands to many databases: `query` runs on the control database
// and returns one row per database. Its first column is the database name; a
// column named `dsn`, when present, is that database's whole DSN. Otherwise the
// DSN is `dsn_template` with {database} replaced by the name.
struct fleet_expansion {
  std::string control_dsn;   // from control_dsn (no password) or control_dsn_env
  std::string query;
  std::string dsn_template;  // from dsn_template (no password) or dsn_template_env; may be "" when rows give dsn
  int line = 0;
};

struct fleet_entry {
  std::string name;
  std::optional<std::string> dsn;  // a plain entry; nullopt for an expansion
  std::optional<fleet_expansion> expansion;
  std::optional<std::string> modules_dir;  // resolved against the file's directory
  std::string group;
  int line = 0;
};

struct fleet_file {
  std::string path;
  std::vector<fleet_entry> entries;  // in file order
};

// Whether a directory exists (so references are checked without touching the disk in tests).
using directory_check = std::function<bool(const std::string& path)>;

// Parses and checks a fleet file. Every reference is resolved: dsn_env,
// control_dsn_env and dsn_template_env must be set (and non-empty), modules
// directories must exist (relative ones are relative to the file's directory).
// Throws error(config) "path:line: message" for bad YAML, unknown keys,
// duplicate names, a missing or unresolvable reference, or a password written
// in the file (the message never holds it).
fleet_file parse_fleet_file(const std::string& text, const std::string& path, const env_lookup& env,
                            const directory_check& dir_exists);

// Rows returned by an expansion's query: column names, then rows of values (NULL as nullopt).
struct query_rows {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

// Runs `sql` on the database at `dsn`. Throws error(database) without the DSN.
using control_query = std::function<query_rows(const std::string& dsn, const std::string& sql)>;

// The targets of the file, in file order; an expansion entry contributes its rows
// in the order its query returned them, named "<entry>/<database>". Throws
// error(config) "path:line: ..." for an empty name, a NULL, a duplicate target
// name, or a template without {database}; error(database) when a query fails.
std::vector<fleet_target> expand_fleet(const fleet_file& file, const control_query& query);

// Plain entries only (no database is contacted); expansions are left out. For `validate`.
std::vector<fleet_target> plain_targets(const fleet_file& file);

// The shard a target belongs to: FNV-1a 64 of its name, modulo `count`. Stable
// across runs, machines and fleet changes (adding a target moves no other).
std::size_t shard_of(const std::string& target_name, std::size_t count);

struct shard_spec {
  std::size_t index = 0;
  std::size_t count = 1;
};

// "I/N" with 0 <= I < N; throws error(usage) otherwise.
shard_spec parse_shard(const std::string& text);

// Targets named in `names` (a target's own name, or an entry's name for all of
// its targets; empty = all), then those of the shard; file order kept. Throws
// error(usage) for a name that matches nothing ("did you mean").
std::vector<fleet_target> select_targets(const std::vector<fleet_target>& all, const std::vector<std::string>& names,
                                         const shard_spec& shard);

// --canary: a count K (the first K targets) or a group name (its targets).
struct canary_spec {
  std::size_t count = 0;
  std::string group;
  bool active() const { return count > 0 || !group.empty(); }
};

// "3" or "canary"; throws error(usage) for "" or "0".
canary_spec parse_canary(const std::string& text);

// Reorders `targets` so that the canaries come first (in file order); returns
// how many there are. Throws error(usage) when a canary group has no target.
std::size_t order_for_canary(std::vector<fleet_target>& targets, const canary_spec& canary);

// The DSN with libpq's connect_timeout set to `seconds` unless it already sets
// one (keyword/value or URI form), so a server that is down fails its targets quickly.
std::string with_connect_timeout(const std::string& dsn, int seconds);

}  // namespace migrator
