// A PostgreSQL DSN as libpq reads it (PQconninfoParse), for the code that
// takes DSNs apart: checking and redacting them, handing pg_dump its password
// apart, pointing a DSN at another database. The one place outside the
// session that calls libpq.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace migrator::detail {

struct conninfo_entry {
  std::string keyword;  // libpq's: "host", "dbname", "password", ...
  std::string value;
};

// The keywords `dsn` sets (a URI or keyword/value string), in libpq's order.
// nullopt when libpq rejects it; then `why` (when given) receives libpq's
// message, which may quote the DSN: redact it before showing it.
std::optional<std::vector<conninfo_entry>> parse_conninfo(const std::string& dsn, std::string* why = nullptr);

// Back to a keyword/value string, each value single-quoted with ' and \ escaped.
std::string conninfo_string(const std::vector<conninfo_entry>& entries);

}  // namespace migrator::detail
