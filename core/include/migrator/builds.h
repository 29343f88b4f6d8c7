// Running builds of the application, for rolling deploys (docs/rolling-deploys.md).
//
// Each application start registers its build in "<table>_builds" beside the
// history table: which migrations it knows (the highest version per module),
// where it runs, and a lease its heartbeat renews while the process lives. A
// contract migration ("-- +migrator contract") removes what older builds still
// use, so `up` applies it only when every live build knows its version, and
// defers it otherwise (defer_contracts, pure).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "migrator/assembler.h"
#include "migrator/planner.h"

namespace migrator {

// The registry's table for history table `table` ("goose_db_version_builds").
inline std::string builds_table_of(const std::string& table) { return table + "_builds"; }

// What a build knows: module -> its highest version in the build's set.
using known_versions = std::map<std::string, std::int64_t>;

// A registered, live build (its lease not expired).
struct live_build {
  std::string instance;   // this registration (one per process start)
  std::string build_id;   // the same for every process of one migration set (build_id_of)
  known_versions known;
  std::string host;
  std::int64_t pid = 0;
  std::string application_name;
  std::string started_at;        // "YYYY-MM-DD HH:MM:SS" UTC, the server's clock
  std::string lease_expires_at;  // idem

  // "app start 1.4.0 on web-3 pid 4121 (build 3f2a9c1d07be)"
  std::string describe() const;
  // Whether this build knows `version` of `module`: its set reaches that far.
  bool knows(const std::string& module, std::int64_t version) const;
};

// A short id of a migration set: its versions and checksums, hashed. Two
// processes of one build have the same id; any added or edited migration changes it.
std::string build_id_of(const module_set& set);
known_versions known_versions_of(const module_set& set);
// "billing=4005,identity=2003" and back (the registry's column).
std::string format_known_versions(const known_versions& known);
known_versions parse_known_versions(const std::string& text);

// A pending migration `up` does not apply yet.
struct deferred_migration {
  std::int64_t version = 0;
  std::string module;
  std::string name;
  // 0: it is a contract migration itself, waiting for `waiting_for`. Otherwise
  // the deferred contract of its module it must not overtake.
  std::int64_t behind_contract = 0;
  std::vector<live_build> waiting_for;  // the live builds that do not know the contract
  // "billing 4003 drop_legacy_total (contract): waits for app start 1.3.0 on web-1 pid 77 (build ...)"
  std::string describe() const;
};

struct deferral {
  std::vector<plan_step> run;             // what may run now, in order
  std::vector<deferred_migration> deferred;  // ascending by version
};

// Pure. Of the `up` steps of a plan (ascending), defers each contract
// migration that a live build does not know, and every later step of its
// module. Down steps and record-only steps are never deferred.
deferral defer_contracts(std::vector<plan_step> steps, const std::vector<live_build>& live);

// How a process registers its build (build_registration).
struct registration_options {
  // The history table; the registry is "<table>_builds" in the same schema.
  std::string table = "goose_db_version";
  // What pg_stat_activity and `app migrate builds` show for the process.
  std::string application_name = "migrator";
  // How long an entry outlives its last heartbeat: a process killed with -9
  // holds contract migrations back this long. The heartbeat renews it every third of it.
  std::chrono::milliseconds lease{std::chrono::seconds(30)};
};

// This process's entry in the registry, for as long as the object lives: a
// connection and a thread of its own renew the lease (each renewal one
// autocommitted statement, so it holds through a transaction pooler); the
// destructor removes the entry. PostgreSQL only: error(usage) on SQLite.
// Throws error(database) when the entry cannot be written.
class build_registration {
 public:
  build_registration(const std::string& dsn, const module_set& set, registration_options options);
  ~build_registration();
  build_registration(const build_registration&) = delete;
  build_registration& operator=(const build_registration&) = delete;

  const live_build& entry() const;

  struct impl;  // backend/postgres/build_registry.cpp

 private:
  std::unique_ptr<impl> impl_;
};

// The live builds registered for history table `table` (none when the
// registry does not exist yet), oldest first. PostgreSQL only: error(usage) on SQLite.
std::vector<live_build> list_builds(const std::string& dsn, const std::string& table,
                                    const std::string& application_name = "migrator");

}  // namespace migrator
