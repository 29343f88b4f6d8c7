// A comparable picture of a database's catalog: every schema, table, column
// (type, nullability, default), constraint, index, sequence, view, function,
// trigger, type (with enum labels), RLS policy and grant outside PostgreSQL's
// own schemas, each as a name and a definition. Two fingerprints compare
// equal when the catalogs are the same; `diff` names what differs. Used by
// `app migrate verify` (round trips) and by schema baselines.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace migrator {

struct catalog_fingerprint {
  // "table billing.accounts" -> its definition ("relkind=r rls=off acl=..."),
  // "column billing.accounts.id" -> "uuid not null default gen_random_uuid()", ...
  std::map<std::string, std::string> objects;

  bool operator==(const catalog_fingerprint& other) const { return objects == other.objects; }
  bool operator!=(const catalog_fingerprint& other) const { return !(*this == other); }
};

struct catalog_difference {
  enum class change { added, removed, changed };
  change kind = change::changed;
  std::string object;  // "index billing.prices_product_id_idx"
  std::string before;  // empty when added
  std::string after;   // empty when removed

  // "added index billing.x_idx: CREATE INDEX ...", "changed column a.t.c: int4 -> int8"
  std::string str() const;
};

// What changed from `before` to `after`, sorted by object name.
std::vector<catalog_difference> diff(const catalog_fingerprint& before, const catalog_fingerprint& after);

// Reads fingerprints over its own connection to one database.
class catalog_inspector {
 public:
  // Throws error(database); the message never holds the DSN.
  // `ignored_tables` (NAME or SCHEMA.NAME, e.g. the version tables) are left
  // out, with their columns, constraints, indexes, sequences and triggers.
  catalog_inspector(const std::string& dsn, std::vector<std::string> ignored_tables = {});
  ~catalog_inspector();
  catalog_inspector(const catalog_inspector&) = delete;
  catalog_inspector& operator=(const catalog_inspector&) = delete;

  catalog_fingerprint fingerprint();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace migrator
