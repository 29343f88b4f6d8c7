#include "migrator/schema_dump.h"

#include <vector>

#include "backend/postgres/conninfo.h"
#include "migrator/dsn.h"
#include "migrator/error.h"
#include "support/child_process.h"

namespace migrator {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// The DSN without its password (keyword/value form) and the password: pg_dump
// gets the password through PGPASSWORD, so it never shows in the process list.
std::pair<std::string, std::string> split_password(const std::string& dsn) {
  auto entries = detail::parse_conninfo(dsn);
  if (!entries) throw error(error_code::config, "the DSN cannot be parsed");
  std::string password;
  std::vector<detail::conninfo_entry> rest;
  for (auto& e : *entries) {
    if (e.keyword == "password")
      password = std::move(e.value);
    else
      rest.push_back(std::move(e));
  }
  return {detail::conninfo_string(rest), password};
}

}  // namespace

std::string normalize_schema_dump(std::string_view raw) {
  std::string out;
  bool blank = true;  // drops leading blank lines and runs of them
  std::size_t start = 0;
  while (start < raw.size()) {
    std::size_t end = raw.find('\n', start);
    if (end == std::string_view::npos) end = raw.size();
    std::string line(raw.substr(start, end - start));
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (starts_with(line, "-- Dumped from database version") || starts_with(line, "-- Dumped by pg_dump version") ||
        line == "-- PostgreSQL database dump" || line == "-- PostgreSQL database dump complete" ||
        starts_with(line, "SET ") || starts_with(line, "SELECT pg_catalog.set_config(") ||
        starts_with(line, "\\restrict") || starts_with(line, "\\unrestrict") || line.find(" OWNER TO ") != std::string::npos)
      continue;
    if (auto owner = line.find("; Owner: "); starts_with(line, "-- ") && owner != std::string::npos)
      line.erase(owner);
    // Comment lines that were only "--" around a dropped header.
    const bool empty = line.empty() || line == "--";
    if (empty && blank) continue;
    if (line == "--") line.clear();
    blank = line.empty();
    out += line;
    out += '\n';
  }
  while (out.size() >= 2 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n') out.pop_back();
  return out;
}

std::string dump_schema(const std::string& dsn, const std::string& schema, const std::string& pg_dump) {
  const auto [conninfo, password] = dsn.empty() ? std::pair<std::string, std::string>{} : split_password(dsn);
  std::vector<std::string> args{pg_dump, "--schema-only", "--no-owner", "--no-tablespaces", "--schema=" + schema};
  if (!conninfo.empty()) args.push_back("--dbname=" + conninfo);  // else libpq's defaults (PG* variables)
  std::vector<std::string> environment;
  for (auto& e : detail::current_environment())
    if (password.empty() || e.rfind("PGPASSWORD=", 0) != 0) environment.push_back(std::move(e));
  if (!password.empty()) environment.push_back("PGPASSWORD=" + password);
  const auto result = detail::run_program(args, environment);
  if (!result.exited_ok)
    throw error(error_code::io, "pg_dump of schema " + schema + " failed: " + redact_secrets(result.err, dsn));
  return normalize_schema_dump(result.out);
}

}  // namespace migrator
