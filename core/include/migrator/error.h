// The one error vocabulary of the core. Every failure the core reports is a
// migrator::error with a code; libpqxx exceptions are translated at the
// database layer and never leak past it. cmd/ maps codes to exit codes.
#pragma once

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
};

const char* to_string(error_code code) noexcept;

class error : public std::runtime_error {
 public:
  error(error_code code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  error_code code() const noexcept { return code_; }

 private:
  error_code code_;
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
