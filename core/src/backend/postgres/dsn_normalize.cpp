// normalize_dsn (migrator/dsn.h): URIs written for other drivers made into
// ones libpq accepts; and which backend a DSN names (sqlite: is SQLite).

#include <algorithm>
#include <array>
#include <memory>

#include "backend/postgres/conninfo.h"
#include "backend/postgres/dsn_syntax.h"
#include "migrator/dsn.h"
#include "migrator/error.h"

namespace migrator {

namespace {

using namespace dsn_syntax;

constexpr std::array<std::string_view, 6> ssl_modes = {"disable", "allow",     "prefer",
                                                       "require", "verify-ca", "verify-full"};

// A port list as libpq takes it ("5432", "5432,5433", "" = the default): each
// element empty or a number from 1 to 65535.
bool valid_ports(std::string_view ports) {
  while (true) {
    std::size_t comma = ports.find(',');
    std::string_view one = trim(ports.substr(0, comma));
    if (!one.empty()) {
      if (one.size() > 5 || !std::all_of(one.begin(), one.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
      const int port = std::stoi(std::string(one));
      if (port < 1 || port > 65535) return false;
    }
    if (comma == std::string_view::npos) return true;
    ports.remove_prefix(comma + 1);
  }
}

}  // namespace

void check_dsn(std::string_view dsn) {
  const std::string text(trim(dsn));
  if (text.empty()) return;
  if (backend_of(text) == backend_kind::sqlite) {
    sqlite_path(text);  // throws for a SQLite DSN that names no usable file
    return;
  }
  const char* const forms = " (use postgresql://user@host:5432/db or host=... port=... dbname=...)";
  std::string why;
  const auto entries = detail::parse_conninfo(text, &why);
  if (!entries) {
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    // libpq may quote the offending part, which can be the password.
    throw error(error_code::config, "the DSN cannot be parsed: " + redact_secrets(why, text) + forms);
  }
  for (const auto& e : *entries)
    if (e.keyword == "port" && !valid_ports(e.value))
      throw error(error_code::config, "the DSN's port '" + redact_secrets(e.value, text) +
                                          "' is not a number from 1 to 65535" + forms);
}

backend_kind backend_of(std::string_view dsn) {
  std::string_view s = trim(dsn);
  return s.size() >= 7 && iequals(s.substr(0, 7), "sqlite:") ? backend_kind::sqlite : backend_kind::postgres;
}

std::string sqlite_path(std::string_view dsn) {
  std::string_view s = trim(dsn);
  if (backend_of(s) != backend_kind::sqlite)
    throw error(error_code::config, "not a SQLite DSN (expected sqlite:PATH or sqlite::memory:)");
  s.remove_prefix(7);
  if (s.substr(0, 2) == "//") s.remove_prefix(2);  // sqlite:///abs/path
  if (s.empty()) throw error(error_code::config, "the SQLite DSN names no file: use sqlite:PATH or sqlite::memory:");
  // SQLite's URI parameters (?mode=ro, ?cache=shared) are not supported: the
  // file would be opened under a name with the '?' in it.
  if (s.find('?') != std::string_view::npos)
    throw error(error_code::config, "the SQLite DSN '" + std::string(trim(dsn)) +
                                        "' has a '?': query parameters (mode=, cache=, ...) are not supported; "
                                        "name the file only (sqlite:PATH)");
  return std::string(s);
}

std::string normalize_dsn(std::string_view dsn) {
  std::string_view s = trim(dsn);
  if (backend_of(s) == backend_kind::sqlite) return std::string(s);
  std::string_view prefix = uri_prefix(s);
  if (prefix.empty()) return std::string(s);

  std::string scheme = lowercase(prefix);
  std::string_view rest = s.substr(prefix.size() + 3);
  if (scheme == "postgresql" || scheme == "postgres") return scheme + "://" + std::string(rest);

  std::size_t plus = scheme.find('+');
  bool driver_suffix = plus != std::string::npos && plus + 1 < scheme.size() &&
                       (scheme.substr(0, plus) == "postgresql" || scheme.substr(0, plus) == "postgres") &&
                       scheme.find(':') == std::string::npos;
  if (!driver_suffix && scheme != "pgx" && scheme != "pgx4" && scheme != "pgx5") {
    // Name only the scheme: whatever follows may hold a password.
    std::string shown(prefix.substr(0, prefix.find(':')));
    if (prefix.find(':') != std::string_view::npos) shown += ":...";
    throw error(error_code::config,
                "unsupported DSN scheme '" + shown +
                    "://': use postgresql://, postgres:// or the keyword/value form (host=... dbname=...)");
  }

  // asyncpg spells sslmode "ssl"; translate only where no password can be (after the last '@').
  std::string out = "postgresql://";
  std::size_t at = rest.rfind('@');
  std::size_t query = rest.find('?', at == std::string_view::npos ? 0 : at + 1);
  if (query == std::string_view::npos) return out + std::string(rest);
  out.append(rest.substr(0, query + 1));
  std::string_view params = rest.substr(query + 1);
  bool first = true;
  while (true) {
    std::size_t amp = params.find('&');
    std::string_view param = params.substr(0, amp);
    if (!first) out += '&';
    first = false;
    bool translated = false;
    if (starts_with(param, "ssl=")) {
      std::string_view value = param.substr(4);
      if (std::find(ssl_modes.begin(), ssl_modes.end(), value) != ssl_modes.end()) {
        out += "sslmode=";
        out.append(value);
        translated = true;
      }
    }
    if (!translated) out.append(param);
    if (amp == std::string_view::npos) break;
    params.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace migrator
