// redact_dsn and redact_secrets (migrator/dsn.h): passwords out of everything
// that is printed. Where libpq can say what a password is (PQconninfoParse on
// a DSN it accepts), its answer is used too; the hand-written scanning below
// finds where passwords are written, so that the rest stays as written, and
// covers the strings libpq rejects.

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <vector>

#include "backend/postgres/conninfo.h"
#include "backend/postgres/dsn_syntax.h"
#include "migrator/dsn.h"
#include "migrator/error.h"

namespace migrator {

namespace {

using namespace dsn_syntax;

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


// The password values libpq itself would use for `dsn` (after normalisation),
// decoded from the URI's percent-encoding or the keyword/value quoting. None
// when libpq rejects the string or its scheme is not one we accept.
std::vector<std::string> libpq_secrets(std::string_view dsn) {
  std::string normalized;
  try {
    normalized = normalize_dsn(dsn);
  } catch (const error&) {
    return {};
  }
  if (normalized.empty()) return {};
  std::vector<std::string> values;
  const auto entries = detail::parse_conninfo(normalized);  // its message may quote the DSN: never shown
  if (!entries) return values;
  for (const auto& e : *entries)
    if (is_secret_key(e.keyword)) values.push_back(e.value);
  return values;
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
  // A SQLite DSN is a file name and holds no password: redacting parts of it
  // would only hide "sqlite:" from messages about it.
  if (backend_of(dsn) == backend_kind::sqlite) return secrets;
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
  for (const std::string& value : libpq_secrets(dsn)) add(value);
  std::sort(secrets.begin(), secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() != b.size() ? a.size() > b.size() : a < b; });
  secrets.erase(std::unique(secrets.begin(), secrets.end()), secrets.end());
  return secrets;
}

}  // namespace

std::string redact_dsn(std::string_view dsn) {
  if (backend_of(dsn) == backend_kind::sqlite) return std::string(dsn);  // no password in a file name
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
