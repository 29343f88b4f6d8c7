// The one error vocabulary of the core. Every failure the core reports is a
// migrator::error with a code and, where known, structured fields (module,
// version, file, line, statement, and what the server said). Database
// libraries' exceptions are translated at the session and never leak past it.
// cmd/ maps codes to exit codes.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace migrator {

enum class error_code {
  parse,         // a migration file is malformed (path:line: message)
  layout,        // the module set is malformed (manifest, folders, namespaces)
  plan,          // the request cannot be planned (e.g. down of a migration with no file)
  database,      // the server rejected a statement or the connection failed
  in_doubt,      // the connection broke during COMMIT: outcome unknown
  lock_timeout,  // another runner held the migration lock past --lock-timeout
  refused,       // a safety guard refused to write (drift, dirty, namespace shift)
  not_current,   // the schema is not current (startup check)
  config,        // bad configuration file, environment or DSN
  usage,         // bad command line
  io,            // a file could not be read or written
  read_only,     // the server is a read-only standby: a writing command refused before any statement
  interrupted,   // SIGTERM/SIGINT (engine::interrupt) stopped a run
};

const char* to_string(error_code code) noexcept;

// Where a failure happened and what the server said. Every field is optional:
// empty, or 0, when unknown or not applicable.
struct error_details {
  // The migration that failed.
  std::string module;
  std::int64_t version = 0;
  std::string file;  // the migration's display path
  int line = 0;      // 1-based line in `file` of the failing statement (of the error position when known)
  int statement = 0;  // 1-based index of the failing statement in the migration's up or down part

  // The server's diagnostic fields (libpq's PG_DIAG_*), never parsed from message text,
  // so they stay right when the server speaks another language.
  std::string sqlstate;        // e.g. "42P01"
  std::string server_message;  // the primary message
  std::string detail;
  std::string hint;
  std::string context;  // e.g. the PL/pgSQL line of a DO block
  int position = 0;     // 1-based character position of the error in the statement as sent
};

class error : public std::runtime_error {
 public:
  error(error_code code, const std::string& message, error_details details = {})
      : std::runtime_error(message), code_(code), details_(std::move(details)) {}
  error_code code() const noexcept { return code_; }
  const error_details& details() const noexcept { return details_; }

 private:
  error_code code_;
  error_details details_;
};

// What a session throws when the database fails: code database; the server's
// fields in details(). what() is the server's message with its DETAIL, HINT
// and CONTEXT lines.
class database_error : public error {
 public:
  database_error(const std::string& message, error_details details, bool connection_lost)
      : error(error_code::database, message, std::move(details)), connection_lost_(connection_lost) {}
  // The connection broke: whatever was in flight may or may not have happened.
  bool connection_lost() const noexcept { return connection_lost_; }

 private:
  bool connection_lost_;
};

// A problem found in a file: rendered as "path:line: message" (line 0 = no line).
struct problem {
  std::string path;
  int line = 0;
  std::string message;

  std::string str() const;
};

// Thrown by the parser; what() is problem.str().
class parse_error : public error {
 public:
  explicit parse_error(problem p) : error(error_code::parse, p.str()), problem_(std::move(p)) {}
  const problem& where() const noexcept { return problem_; }

 private:
  problem problem_;
};

}  // namespace migrator
