// Round-trip verification: on a scratch database, each migration in the global
// order is applied, rolled back, compared (catalog fingerprint before its up
// and after its down) and applied again; then each repeatable migration is
// applied and applied again over its own objects, as after its file changed.
// Runs through the engine's public API.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "migrator/assembler.h"
#include "migrator/catalog_fingerprint.h"
#include "migrator/engine.h"

namespace migrator {

struct verify_issue {
  enum class kind { up_failed, down_failed, down_differs, reup_failed };
  kind what = kind::up_failed;
  std::string message;                         // the engine's error, or a summary of the differences
  std::vector<catalog_difference> differences;  // down_differs: what the down left different
};
const char* to_string(verify_issue::kind kind) noexcept;

struct verify_result {
  std::string module;
  std::int64_t version = 0;
  std::string name;
  std::string path;
  bool irreversible = false;  // no Down section: applied once, not rolled back; not a failure
  bool skipped = false;       // not tried: an earlier migration could not be (re)applied
  std::vector<verify_issue> issues;
  // A repeatable migration (version 0): applied, then applied again over what it
  // made, as `up` does when its file changed (up_failed, reup_failed).
  bool repeatable = false;

  bool ok() const { return issues.empty() && !skipped; }
};

struct verify_report {
  std::vector<verify_result> migrations;  // in the global order
  bool ok() const;                        // every migration round-trips (irreversible ones count as ok)
};

// Receives each result as soon as it is known (the CLI logs progress).
class verify_observer {
 public:
  virtual ~verify_observer() = default;
  virtual void verified(const verify_result&) {}
};

// Verifies every migration of `set` on the database at `dsn`, which must have
// no applied migrations (error(refused) otherwise). Leaves it fully migrated.
verify_report verify_round_trips(const std::string& dsn, const module_set& set, const engine_options& options,
                                 verify_observer* observer = nullptr);

// A database created on the server of `server_dsn` for the lifetime of this
// object and dropped (WITH (FORCE)) afterwards: verify's default target.
class scratch_database {
 public:
  // Throws error(database) when it cannot be created (the message never holds the DSN).
  explicit scratch_database(const std::string& server_dsn);
  ~scratch_database();
  scratch_database(const scratch_database&) = delete;
  scratch_database& operator=(const scratch_database&) = delete;

  const std::string& name() const { return name_; }
  const std::string& dsn() const { return dsn_; }  // server_dsn with dbname replaced

 private:
  std::string server_dsn_;
  std::string name_;
  std::string dsn_;
};

// `dsn` (URI or keyword/value) with its database replaced; the result is in
// keyword/value form. Throws error(config) for a DSN libpq cannot parse.
std::string dsn_with_database(const std::string& dsn, const std::string& database);

}  // namespace migrator
