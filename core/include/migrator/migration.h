// What a migration is once it has been read from a module: the pure data that
// the parser produces, the assembler orders and the engine executes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "migrator/environment.h"

namespace migrator {

struct code_migration;  // migrator/code_migration.h

struct statement {
  std::string sql;  // exactly the text sent to the server (trimmed, as goose sends it)
  int line = 0;     // 1-based line in the file where the statement's text starts
};

// "-- +migrator baseline replaces 4001-4016" before "-- +goose Up": the file
// holds its module's whole schema as of its version and replaces the listed
// earlier versions (see baseline.h). goose reads the line as a plain comment.
struct baseline_marker {
  std::vector<std::int64_t> replaces;  // ascending, no duplicates, never empty
  int line = 0;                        // the annotation's line in the file
};

// "-- +migrator contract" before "-- +goose Up": the migration removes what
// older builds of the application still use (a column, a table), so `up`
// defers it until every live build knows it (docs/rolling-deploys.md).
struct contract_marker {
  int line = 0;  // the annotation's line in the file
};

// What "-- +migrator" annotations say in a file's header.
struct migrator_header {
  std::optional<baseline_marker> baseline;
  std::optional<contract_marker> contract;
};

struct migration_body {
  bool use_transaction = true;  // false with "-- +goose NO TRANSACTION"
  std::vector<statement> up;
  std::vector<statement> down;
};

enum class migration_kind {
  sql,   // a goose .sql file
  code,  // a C++ code migration (<version>_<title>.cpp, migrator/code_migration.h)
};

// What a goose-format file of a module is for (docs/module-authors.md).
enum class migration_role {
  versioned,   // migrations/<version>_<title>.sql: applied once, recorded in goose's table
  repeatable,  // migrations/repeatable/<name>.sql: re-applied whenever its checksum changes,
               // recorded in the "<table>_repeatable" side table, never in goose's
  callback,    // migrations/callbacks/<event>.sql: run around a run that applies something,
               // never recorded
};

struct migration {
  std::int64_t version = 0;  // 0 for repeatables and callbacks, which have none
  std::string name;      // the file name's title: "billing_init" for 04001_billing_init.sql;
                         // a repeatable's or callback's file name without ".sql"
  std::string module;    // owning module's name
  std::string path;      // display path, e.g. "modules/billing/migrations/04001_billing_init.sql"
  std::string checksum;  // hex SHA-256 of the file text with CRLF normalised to LF
  // For code migrations, body() has no statements and use_transaction says
  // whether up and down run inside a transaction.
  migration_kind kind = migration_kind::sql;
  migration_role role = migration_role::versioned;
  // A repeatable's: the highest version of its module in the set (0 when it has
  // none), recorded with its checksum. A recorded one higher than this build's
  // was applied by a newer build, which this one leaves alone (rolling deploys).
  std::int64_t known_version = 0;
  // The compiled code of a code migration; null for SQL, and for a code
  // migration read from a directory that this program was not built with (it
  // can be validated, listed and planned, but not run).
  const code_migration* code = nullptr;
  // Set for a baseline; read from the file's header when the set is assembled
  // (read_baseline_marker), without parsing the body.
  std::optional<baseline_marker> baseline;
  // Set for a contract migration; read from the header like `baseline`.
  std::optional<contract_marker> contract;

  // The Up and Down statements. An applied migration whose checksum matches is
  // never run, so a start need not parse it: the file's text is parsed on the
  // first call (once, also when threads share the module set) and kept.
  // Throws parse_error ("path:line: message") for a malformed file, on every call.
  const migration_body& body() const;
  // True once body() has parsed the text (or a body was given).
  bool parsed() const noexcept;

  // body() parses `text` (path for messages, ENVSUB through `env`) on first use.
  void set_text(std::string text, std::shared_ptr<const env_lookup> env);
  // The same with a text not read yet: body() first calls read(*this), which
  // returns the text (a plain function, not a closure: a migration carries its
  // path and checksum already, and a start sets up thousands of these), then
  // check(*this, text), which throws parse_error when the text is not the one
  // the migration was loaded with. A large text's check runs beside its parse,
  // on a thread of its own; a failed check is reported before a parse error.
  // A read, check or parse that throws is tried again on the next body().
  using text_reader = std::string (*)(const migration& m);
  using text_check = void (*)(const migration& m, std::string_view text);
  void set_text_reader(text_reader read, text_check check, std::shared_ptr<const env_lookup> env);
  // body() returns `parsed_body` (already parsed, e.g. by a test).
  void set_body(migration_body parsed_body);

 private:
  struct lazy_body;
  std::shared_ptr<lazy_body> body_;  // shared by copies: parsed once for all of them
};

}  // namespace migrator
