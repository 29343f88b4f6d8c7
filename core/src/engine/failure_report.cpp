#include "engine/failure_report.h"

namespace migrator::detail {

std::string first_line(const std::string& sql) {
  std::string line = sql.substr(0, sql.find('\n'));
  if (line.size() > 80) line = line.substr(0, 77) + "...";
  return line;
}

namespace {

// "migration 4001", "repeatable migration active_users", "callback after_migrate".
std::string kind_and_key(const migration& m) {
  switch (m.role) {
    case migration_role::repeatable: return "repeatable migration " + m.name;
    case migration_role::callback: return "callback " + m.name;
    case migration_role::versioned: break;
  }
  return "migration " + std::to_string(m.version);
}

}  // namespace

std::string describe(const migration& m) { return kind_and_key(m) + " (module " + m.module + ", " + m.path + ")"; }

std::string describe_short(const migration& m) { return kind_and_key(m) + " (module " + m.module + ")"; }

std::string step_name(const migration& m) {
  switch (m.role) {
    case migration_role::repeatable: return m.module + " repeatable " + m.name;
    case migration_role::callback: return m.module + " callback " + m.name;
    case migration_role::versioned: break;
  }
  return m.module + " " + std::to_string(m.version) + " " + m.name;
}

int file_line_of(const statement& s, int position) {
  int line = s.line;
  int characters = 0;
  for (unsigned char c : s.sql) {
    if ((c & 0xC0) != 0x80 && ++characters >= position) break;  // a UTF-8 continuation byte is no character
    if (c == '\n') ++line;
  }
  return line;
}

// SQLite's sessions put the result code's name there ("SQLITE_CONSTRAINT_UNIQUE"), not a SQLSTATE.
std::string sqlstate_part(const error& f) {
  const std::string& code = f.details().sqlstate;
  if (code.empty()) return std::string();
  return (code.rfind("SQLITE_", 0) == 0 ? code : "SQLSTATE " + code) + ": ";
}

error_details located(const migration& m, const error_details& server, const std::vector<statement>* statements,
                      std::optional<std::size_t> index) {
  error_details d = server;
  d.module = m.module;
  d.version = m.version;
  d.file = m.path;
  if (statements && index) {
    const statement& s = (*statements)[*index];
    d.statement = static_cast<int>(*index + 1);
    d.line = server.position > 0 ? file_line_of(s, server.position) : s.line;
  } else {
    d.position = 0;  // a position in a request of several statements says nothing to the reader
  }
  return d;
}

}  // namespace migrator::detail
