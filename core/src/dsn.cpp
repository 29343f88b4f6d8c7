#include "migrator/dsn.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "migrator/error.h"

namespace migrator {

namespace {

constexpr std::string_view mask = "***";

// libpq's keywords (PostgreSQL 15 to 17) plus asyncpg's "ssl": in a URI query a
// password value ends only at "&<one of these>=", so a raw '&' inside it stays hidden.
constexpr std::array<std::string_view, 48> libpq_keywords = {
    "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "channel_binding",
    "connect_timeout", "client_encoding", "options", "application_name",
    "fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval",
    "keepalives_count", "tcp_user_timeout", "replication", "sslmode", "sslnegotiation",
    "sslcompression", "sslcert", "sslkey", "sslpassword", "sslcertmode", "sslrootcert", "sslcrl",
    "sslcrldir", "sslsni", "requirepeer", "require_auth", "ssl_min_protocol_version",
    "ssl_max_protocol_version", "gssencmode", "krbsrvname", "gsslib", "gssdelegation", "service",
    "target_session_attrs", "load_balance_hosts", "requiressl", "authtype", "tty",
    "min_protocol_version", "max_protocol_version", "ssl", "sslpasswd"};

constexpr std::array<std::string_view, 6> ssl_modes = {"disable", "allow",     "prefer",
                                                       "require", "verify-ca", "verify-full"};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return lower(x) == lower(y);
         });
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX sequences decoded; malformed ones kept as written (libpq would reject them).
std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// Every byte but RFC 3986's unreserved ones as %XX: how a password is written into a URI.
std::string percent_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// The text before "://" when `s` starts like a URI ("postgresql+asyncpg",
// "jdbc:postgresql"); empty for keyword/value strings, whose first token always
// holds '=' before any "://".
std::string_view uri_prefix(std::string_view s) {
  std::size_t sep = s.find("://");
  if (sep == std::string_view::npos || sep == 0 || !std::isalpha(static_cast<unsigned char>(s[0])))
    return {};
  for (std::size_t i = 0; i < sep; ++i) {
    char c = s[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.' && c != ':')
      return {};
  }
  return s.substr(0, sep);
}

bool is_secret_key(std::string_view key) { return iequals(key, "password") || iequals(key, "sslpassword"); }

struct span {
  std::size_t begin;
  std::size_t end;
};

// Replaces each span (merged where they overlap or touch) with the mask.
std::string apply_spans(std::string_view s, std::vector<span> spans) {
  std::sort(spans.begin(), spans.end(), [](const span& a, const span& b) { return a.begin < b.begin; });
  std::string out;
  std::size_t pos = 0;
  for (std::size_t i = 0; i < spans.size();) {
    span merged = spans[i++];
    while (i < spans.size() && spans[i].begin <= merged.end) merged.end = std::max(merged.end, spans[i++].end);
    if (merged.begin < pos) merged.begin = pos;  // cannot happen after merging; defensive
    out.append(s.substr(pos, merged.begin - pos));
    out.append(mask);
    pos = std::max(pos, merged.end);
  }
  out.append(s.substr(std::min(pos, s.size())));
  return out;
}

// Where a URI query value that starts at `from` ends: at the next "&<keyword>=".
std::size_t query_value_end(std::string_view s, std::size_t from) {
  for (std::size_t j = from; j < s.size(); ++j) {
    if (s[j] != '&') continue;
    std::size_t eq = s.find('=', j + 1);
    if (eq == std::string_view::npos) continue;
    std::string_view key = s.substr(j + 1, eq - j - 1);
    for (std::string_view k : libpq_keywords)
      if (iequals(key, k)) return j;
  }
  return s.size();
}

// Password spans of a URI whose authority starts at `rest` (just after "://").
std::vector<span> uri_secret_spans(std::string_view s, std::size_t rest) {
  std::vector<span> spans;
  std::size_t at = s.rfind('@');
  if (at != std::string_view::npos && at >= rest) {
    std::size_t colon = s.find(':', rest);
    if (colon < at) spans.push_back({colon + 1, at});
  }
  for (std::size_t i = rest; i < s.size(); ++i) {
    if (s[i] != '?' && s[i] != '&') continue;
    std::size_t eq = i + 1;
    while (eq < s.size() && s[eq] != '=' && s[eq] != '&' && s[eq] != '?') ++eq;
    if (eq >= s.size() || s[eq] != '=') continue;
    if (!is_secret_key(percent_decode(s.substr(i + 1, eq - i - 1)))) continue;
    spans.push_back({eq + 1, query_value_end(s, eq + 1)});
  }
  return spans;
}

struct keyword_secret {
  span where;            // the value as written (with quotes), or a malformed tail
  std::string value;     // unescaped value; empty for a malformed tail
};

// Password values of a keyword/value string, parsed as libpq does. From a pair
// libpq would reject, everything to the end counts as secret.
std::vector<keyword_secret> keyword_secrets(std::string_view s) {
  std::vector<keyword_secret> secrets;
  std::size_t i = 0, n = s.size();
  auto skip_spaces = [&] {
    while (i < n && is_space(s[i])) ++i;
  };
  while (true) {
    skip_spaces();
    if (i == n) break;
    std::size_t key_begin = i;
    while (i < n && !is_space(s[i]) && s[i] != '=') ++i;
    std::string_view key = s.substr(key_begin, i - key_begin);
    skip_spaces();
    if (i == n || s[i] != '=') {
      secrets.push_back({{key_begin, n}, {}});
      break;
    }
    ++i;
    skip_spaces();
    std::size_t value_begin = i;
    std::string value;
    if (i < n && s[i] == '\'') {
      ++i;
      while (i < n && s[i] != '\'') {
        if (s[i] == '\\' && ++i == n) break;
        value += s[i++];
      }
      if (i >= n) {
        secrets.push_back({{key_begin, n}, {}});
        break;
      }
      ++i;
    } else {
      while (i < n && !is_space(s[i])) {
        if (s[i] == '\\' && ++i == n) break;
        value += s[i++];
      }
    }
    if (is_secret_key(key)) secrets.push_back({{value_begin, i}, std::move(value)});
  }
  return secrets;
}

// Spans of passwords that appear in free text: "scheme://user:pw@" and
// "password=..." pairs (any DSN quoted in a message, not only ours).
std::vector<span> embedded_secret_spans(std::string_view s) {
  std::vector<span> spans;
  auto token_end = [&](std::size_t from) {
    std::size_t j = from;
    while (j < s.size() && !is_space(s[j]) && s[j] != '"' && s[j] != '\'' && s[j] != '<' && s[j] != '>') ++j;
    return j;
  };
  for (std::size_t p = s.find("://"); p != std::string_view::npos; p = s.find("://", p + 3)) {
    std::size_t begin = p + 3, end = token_end(begin);
    std::string_view token = s.substr(begin, end - begin);
    std::size_t at = token.rfind('@');
    if (at == std::string_view::npos) continue;
    std::size_t colon = token.find(':');
    if (colon < at) spans.push_back({begin + colon + 1, begin + at});
  }
  const std::string lowered = lowercase(s);
  for (std::size_t p = 0; (p = lowered.find("password", p)) != std::string::npos; p += 8) {
    if (p > 0 && (std::isalnum(static_cast<unsigned char>(s[p - 1])) || s[p - 1] == '_') &&
        !(p >= 3 && iequals(s.substr(p - 3, 3), "ssl")))
      continue;
    std::size_t i = p + 8;
    while (i < s.size() && is_space(s[i])) ++i;
    if (i >= s.size() || s[i] != '=') continue;
    ++i;
    while (i < s.size() && is_space(s[i])) ++i;
    std::size_t begin = i;
    if (i < s.size() && s[i] == '\'') {
      ++i;
      while (i < s.size() && s[i] != '\'') i += s[i] == '\\' ? 2 : 1;
      i = std::min(i + 1, s.size());
    } else {
      while (i < s.size() && !is_space(s[i]) && s[i] != '&' && s[i] != ',' && s[i] != ';' &&
             s[i] != ')' && s[i] != '"')
        i += s[i] == '\\' ? 2 : 1;
      i = std::min(i, s.size());
    }
    spans.push_back({begin, i});
  }
  return spans;
}

// Every form in which the passwords of `dsn` could show up in a message.
std::vector<std::string> secrets_of(std::string_view dsn) {
  std::vector<std::string> secrets;
  auto add = [&](const std::string& s) {
    if (s.empty() || s == mask) return;
    secrets.push_back(s);
    secrets.push_back(percent_encode(s));  // as our own messages would write it into a URI
  };
  dsn = trim(dsn);
  std::string_view prefix = uri_prefix(dsn);
  if (!prefix.empty()) {
    for (const span& sp : uri_secret_spans(dsn, prefix.size() + 3)) {
      std::string_view raw = dsn.substr(sp.begin, sp.end - sp.begin);
      add(std::string(raw));
      add(percent_decode(raw));
    }
  } else {
    for (const keyword_secret& ks : keyword_secrets(dsn)) {
      std::string_view raw = dsn.substr(ks.where.begin, ks.where.end - ks.where.begin);
      add(std::string(raw));
      if (raw.size() >= 2 && raw.front() == '\'' && raw.back() == '\'')
        add(std::string(raw.substr(1, raw.size() - 2)));
      add(ks.value);
    }
  }
  std::sort(secrets.begin(), secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() != b.size() ? a.size() > b.size() : a < b; });
  secrets.erase(std::unique(secrets.begin(), secrets.end()), secrets.end());
  return secrets;
}

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

std::string redact_dsn(std::string_view dsn) {
  std::string_view prefix = uri_prefix(trim(dsn));
  if (!prefix.empty()) {
    std::size_t rest = dsn.find_first_not_of(" \t\n\r\f\v") + prefix.size() + 3;
    return apply_spans(dsn, uri_secret_spans(dsn, rest));
  }
  std::vector<span> spans;
  for (const keyword_secret& ks : keyword_secrets(dsn)) spans.push_back(ks.where);
  return apply_spans(dsn, spans);
}

std::string redact_secrets(std::string_view text, std::string_view dsn) {
  std::string out(text);
  for (const std::string& secret : secrets_of(dsn)) {
    std::string replaced;
    std::size_t pos = 0;
    for (std::size_t hit = out.find(secret); hit != std::string::npos; hit = out.find(secret, pos)) {
      replaced.append(out, pos, hit - pos);
      replaced.append(mask);
      pos = hit + secret.size();
    }
    if (pos == 0) continue;
    replaced.append(out, pos, std::string::npos);
    out = std::move(replaced);
  }
  return apply_spans(out, embedded_secret_spans(out));
}

}  // namespace migrator
