// normalize_dsn (migrator/dsn.h): URIs written for other drivers made into
// ones libpq accepts; and which backend a DSN names (sqlite: is SQLite).
#include <algorithm>
#include <array>

#include "dsn_syntax.h"
#include "migrator/dsn.h"
#include "migrator/error.h"

namespace migrator {

namespace {

using namespace dsn_syntax;

constexpr std::array<std::string_view, 6> ssl_modes = {"disable", "allow",     "prefer",
                                                       "require", "verify-ca", "verify-full"};

}  // namespace

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
