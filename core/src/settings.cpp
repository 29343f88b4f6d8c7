#include "migrator/settings.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <map>
#include <vector>

#include "migrator/dsn.h"
#include "migrator/error.h"
#include "migrator/suggest.h"

namespace migrator {

namespace {

using std::chrono::milliseconds;

// The file's shape: section -> keys. Documented in docs/configuration.md.
struct section_spec {
  const char* name;
  std::vector<const char*> keys;
};

const std::array<section_spec, 5>& file_schema() {
  static const std::array<section_spec, 5> schema = {{
      {"database", {"url", "table", "app_role"}},
      {"migrations",
       {"on_start", "modules_dir", "lock_timeout", "statement_timeout", "db_lock_timeout", "allow_drift"}},
      {"startup", {"wait_timeout"}},
      {"log", {"level", "format"}},
      {"fleet", {"targets", "jobs", "connect_timeout"}},
  }};
  return schema;
}

[[noreturn]] void fail(const std::string& message) {
  // Keys and values are echoed in messages: hide anything that looks like a password.
  throw error(error_code::config, redact_secrets(message, ""));
}

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// " (did you mean 'x'?)" for a near miss among `candidates`, else "".
std::string suggestion(const std::string& word, const std::vector<std::string>& candidates) {
  auto best = closest_match(word, candidates);
  return best ? " (did you mean '" + *best + "'?)" : "";
}

// ---- the configuration file ------------------------------------------------

struct file_value {
  std::string text;
  int line = 0;
};

struct config_file {
  std::string path;
  std::map<std::string, file_value> values;  // "migrations.lock_timeout" -> value; null values absent
};

int line_of(const YAML::Node& node) { return node.Mark().line + 1; }

std::string where(const std::string& path, int line) {
  return line > 0 ? path + ":" + std::to_string(line) : path;
}

const char* kind_of(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a single value";
    default: return "empty";
  }
}

// Checks a mapping's keys: strings, no duplicates, known. Returns (key, value) pairs.
std::vector<std::pair<std::string, YAML::Node>> checked_entries(const YAML::Node& map, const std::string& path,
                                                                const std::string& section,
                                                                const std::vector<std::string>& known) {
  std::vector<std::pair<std::string, YAML::Node>> entries;
  std::map<std::string, int> seen;
  for (const auto& entry : map) {
    const YAML::Node key = entry.first;  // copies: the iterator's pair is a temporary
    if (!key.IsScalar()) fail(where(path, line_of(key)) + ": keys must be plain words, not " + kind_of(key));
    const std::string name = key.Scalar();
    const std::string qualified = section.empty() ? name : section + "." + name;
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::vector<std::string> qualified_known;
      for (const std::string& k : known) qualified_known.push_back(section.empty() ? k : section + "." + k);
      std::string hint = suggestion(qualified, qualified_known);
      if (hint.empty()) {  // a key of another section?
        std::vector<std::string> elsewhere;
        for (const section_spec& s : file_schema())
          for (const char* k : s.keys)
            if (name == k) elsewhere.push_back(std::string(s.name) + "." + k);
        if (!elsewhere.empty()) hint = " (did you mean '" + elsewhere.front() + "'?)";
      }
      fail(where(path, line_of(key)) + ": unknown key '" + qualified + "'" + hint);
    }
    auto [previous, inserted] = seen.emplace(name, line_of(key));
    if (!inserted)
      fail(where(path, line_of(key)) + ": duplicate key '" + qualified + "' (first at line " +
           std::to_string(previous->second) + ")");
    entries.emplace_back(name, entry.second);
  }
  return entries;
}

config_file parse_config(const std::string& text, const std::string& path) {
  config_file file{path, {}};
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    fail(where(path, e.mark.is_null() ? 0 : e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
  if (documents.empty() || documents[0].IsNull()) return file;
  if (documents.size() > 1) fail(where(path, line_of(documents[1])) + ": only one YAML document is allowed");
  const YAML::Node& root = documents[0];

  std::vector<std::string> sections;
  for (const section_spec& s : file_schema()) sections.emplace_back(s.name);
  if (!root.IsMap())
    fail(where(path, line_of(root)) + ": the file must be a mapping of sections (database, migrations, startup, log, fleet), not " +
         kind_of(root));

  for (const auto& [name, body] : checked_entries(root, path, "", sections)) {
    std::vector<std::string> keys;
    for (const section_spec& s : file_schema())
      if (name == s.name) keys.assign(s.keys.begin(), s.keys.end());
    if (body.IsNull()) continue;
    if (!body.IsMap()) {
      std::string list;
      for (const std::string& k : keys) list += (list.empty() ? "" : ", ") + k;
      fail(where(path, line_of(body)) + ": '" + name + "' must be a mapping (" + list + "), not " + kind_of(body));
    }
    for (const auto& [key, value] : checked_entries(body, path, name, keys)) {
      if (value.IsNull()) continue;
      const std::string qualified = name + "." + key;
      if (!value.IsScalar()) fail(where(path, line_of(value)) + ": '" + qualified + "' must be a single value, not " + kind_of(value));
      file.values[qualified] = file_value{value.Scalar(), line_of(value)};
    }
  }
  return file;
}

// ---- sources and precedence ------------------------------------------------

struct raw_value {
  std::string text;
  std::string origin;  // for messages: "--table", "APP_TABLE", "config/app.yaml:3: database.table"
};

// VAR= counts as unset, as in scripts/run.
std::optional<std::string> env_value(const env_lookup& env, const std::string& name) {
  std::optional<std::string> v = env(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

class sources {
 public:
  sources(const env_lookup& env, const std::optional<config_file>& file) : env_(env), file_(file) {}

  std::optional<std::string> env(const std::string& name) const { return env_value(env_, name); }

  std::optional<raw_value> file(const std::string& key) const {
    if (!file_) return std::nullopt;
    auto it = file_->values.find(key);
    if (it == file_->values.end()) return std::nullopt;
    return raw_value{it->second.text, where(file_->path, it->second.line) + ": " + key};
  }

  // flag > environment > file.
  std::optional<raw_value> pick(const std::optional<std::string>& flag, const char* flag_name, const char* env_name,
                                const char* file_key) const {
    if (flag) return raw_value{*flag, flag_name};
    if (auto v = env(env_name)) return raw_value{*v, env_name};
    return file(file_key);
  }

 private:
  const env_lookup& env_;
  const std::optional<config_file>& file_;
};

milliseconds duration_value(const raw_value& v) {
  if (auto d = parse_duration(v.text)) return *d;
  bool digits_only = !v.text.empty() && std::all_of(v.text.begin(), v.text.end(), [](unsigned char c) { return std::isdigit(c); });
  if (digits_only)
    fail(v.origin + ": bad duration '" + v.text + "': add a unit (ms, s, m or h), e.g. " + v.text + "s");
  fail(v.origin + ": bad duration '" + v.text + "': use e.g. 500ms, 30s, 5m, 1h or 1m30s (at most 596h)");
}

std::optional<milliseconds> optional_duration_value(const raw_value& v) {
  if (lowercase(v.text) == "none") return std::nullopt;
  milliseconds d = duration_value(v);
  if (d.count() == 0) return std::nullopt;
  return d;
}

bool bool_value(const raw_value& v) {
  std::string t = lowercase(v.text);
  if (t == "true" || t == "yes" || t == "on" || t == "1") return true;
  if (t == "false" || t == "no" || t == "off" || t == "0") return false;
  fail(v.origin + ": expected true or false, got '" + v.text + "'");
}

std::string choice_value(const raw_value& v, const std::vector<std::string>& choices) {
  std::string t = lowercase(v.text);
  if (std::find(choices.begin(), choices.end(), t) != choices.end()) return t;
  std::string list;
  for (const std::string& c : choices) list += (list.empty() ? "" : "|") + c;
  fail(v.origin + ": '" + v.text + "' is not one of " + list + suggestion(t, choices));
}

bool is_identifier(const std::string& s) {
  if (s.empty() || s.size() > 63 || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

std::string table_value(const raw_value& v) {
  std::size_t dot = v.text.find('.');
  bool ok = dot == std::string::npos ? is_identifier(v.text)
                                     : is_identifier(v.text.substr(0, dot)) && is_identifier(v.text.substr(dot + 1));
  if (!ok)
    fail(v.origin + ": bad table name '" + v.text +
         "': expected NAME or SCHEMA.NAME (letters, digits and _, not starting with a digit, at most 63 each)");
  return v.text;
}

std::size_t jobs_value(const raw_value& v) {
  const bool digits = !v.text.empty() && v.text.size() <= 4 &&
                      std::all_of(v.text.begin(), v.text.end(), [](unsigned char c) { return std::isdigit(c); });
  const int n = digits ? std::stoi(v.text) : 0;
  if (n < 1 || n > 256) fail(v.origin + ": bad job count '" + v.text + "': expected a number from 1 to 256");
  return static_cast<std::size_t>(n);
}

std::optional<std::string> role_value(const raw_value& v) {
  if (v.text.empty()) return std::nullopt;
  bool ok = v.text.size() <= 63 &&
            std::none_of(v.text.begin(), v.text.end(), [](unsigned char c) { return std::iscntrl(c); });
  if (!ok) fail(v.origin + ": bad role name: at most 63 bytes, no control characters");
  return v.text;
}

std::optional<config_file> load_config_file(const settings_flags& flags, const env_lookup& env,
                                            const file_lookup& read_file) {
  std::string path = default_config_file, origin;
  if (flags.config) {
    path = *flags.config, origin = "--config";
  } else if (auto v = env_value(env, "APP_CONFIG")) {
    path = *v, origin = "APP_CONFIG";
  }
  if (path.empty()) fail(origin + ": empty file name");
  std::optional<std::string> text = read_file(path);
  if (!text) {
    if (origin.empty()) return std::nullopt;  // the default file is optional
    fail(origin + ": " + path + ": no such file");
  }
  return parse_config(*text, path);
}

void resolve_dsn(settings& s, const settings_flags& flags, const sources& src, const file_lookup& read_file) {
  struct candidate {
    std::string text;
    std::string origin;  // for error messages
    std::string source;  // for settings::dsn_source
  };
  std::optional<candidate> chosen;
  if (flags.dsn) {
    chosen = candidate{*flags.dsn, "--dsn", "--dsn"};
  } else if (auto v = src.env("MIGRATE_DSN")) {
    chosen = candidate{*v, "MIGRATE_DSN", "MIGRATE_DSN"};
  } else if (auto v = src.env("DATABASE_URL")) {
    chosen = candidate{*v, "DATABASE_URL", "DATABASE_URL"};
  } else if (auto f = src.file("database.url"); f && !f->text.empty()) {
    chosen = candidate{f->text, f->origin, *s.config_file + ": database.url"};
  } else if (auto local = read_file(local_database_dsn_file);
             local && local->find_first_not_of(" \t\r\n") != std::string::npos) {
    chosen = candidate{*local, local_database_dsn_file, "local development database (.local/db)"};
  }
  if (!chosen) {
    s.dsn.clear();
    s.dsn_source = "libpq defaults (PG* variables)";
    return;
  }
  try {
    s.dsn = normalize_dsn(chosen->text);
  } catch (const error& e) {
    fail(chosen->origin + ": " + e.what());
  }
  s.dsn_source = chosen->source;
}

}  // namespace

settings resolve_settings(const settings_flags& flags, const env_lookup& env, const file_lookup& read_file) {
  const std::optional<config_file> file = load_config_file(flags, env, read_file);
  const sources src(env, file);

  settings s;
  if (file) s.config_file = file->path;
  resolve_dsn(s, flags, src, read_file);

  if (auto v = src.pick(flags.modules_dir, "--modules-dir", "APP_MODULES_DIR", "migrations.modules_dir"))
    s.modules_dir = v->text.empty() ? std::nullopt : std::optional<std::string>(v->text);
  if (auto v = src.pick(flags.table, "--table", "APP_TABLE", "database.table")) s.table = table_value(*v);
  if (auto v = src.pick(flags.lock_timeout, "--lock-timeout", "APP_LOCK_TIMEOUT", "migrations.lock_timeout"))
    s.lock_timeout = duration_value(*v);
  if (auto v = src.pick(flags.statement_timeout, "--statement-timeout", "APP_STATEMENT_TIMEOUT",
                        "migrations.statement_timeout"))
    s.statement_timeout = optional_duration_value(*v);
  if (auto v = src.pick(flags.db_lock_timeout, "--db-lock-timeout", "APP_DB_LOCK_TIMEOUT",
                        "migrations.db_lock_timeout"))
    s.db_lock_timeout = optional_duration_value(*v);
  if (auto v = src.pick(flags.wait_timeout, "--wait-timeout", "APP_WAIT_TIMEOUT", "startup.wait_timeout"))
    s.wait_timeout = duration_value(*v);
  std::optional<std::string> no_migrate;
  if (flags.no_migrate) no_migrate = "false";
  if (auto v = src.pick(no_migrate, "--no-migrate", "APP_MIGRATE_ON_START", "migrations.on_start"))
    s.migrate_on_start = bool_value(*v);
  if (auto v = src.pick(flags.app_role, "--app-role", "APP_ROLE", "database.app_role")) s.app_role = role_value(*v);
  if (auto v = src.pick(flags.log_level, "--log-level", "APP_LOG_LEVEL", "log.level")) {
    if (lowercase(v->text) == "warning") v->text = "warn";  // spdlog's name for it
    s.log_level = choice_value(*v, {"trace", "debug", "info", "warn", "error", "off"});
  }
  if (auto v = src.pick(flags.log_format, "--log-format", "APP_LOG_FORMAT", "log.format"))
    s.log_format = choice_value(*v, {"text", "json"});
  std::optional<std::string> allow_drift;
  if (flags.allow_drift) allow_drift = "true";
  if (auto v = src.pick(allow_drift, "--allow-drift", "APP_ALLOW_DRIFT", "migrations.allow_drift"))
    s.allow_drift = bool_value(*v);
  if (auto v = src.pick(flags.targets, "--targets", "APP_TARGETS", "fleet.targets"))
    s.targets = v->text.empty() ? std::nullopt : std::optional<std::string>(v->text);
  if (auto v = src.pick(flags.jobs, "--jobs", "APP_JOBS", "fleet.jobs")) s.jobs = jobs_value(*v);
  if (auto v = src.pick(flags.connect_timeout, "--connect-timeout", "APP_CONNECT_TIMEOUT", "fleet.connect_timeout")) {
    s.connect_timeout = duration_value(*v);
    if (s.connect_timeout.count() < 1000)
      fail(v->origin + ": the connect timeout must be at least 1s (libpq counts whole seconds)");
  }
  return s;
}

std::optional<milliseconds> parse_duration(std::string_view text) {
  if (text == "0") return milliseconds(0);
  if (text.empty()) return std::nullopt;
  constexpr long long max_ms = INT_MAX;  // PostgreSQL's timeouts are int milliseconds
  long long total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t digits = i;
    long long n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      n = n * 10 + (text[i++] - '0');
      if (n > max_ms) return std::nullopt;
    }
    if (i == digits) return std::nullopt;
    long long unit;
    if (text.substr(i, 2) == "ms") {
      unit = 1, i += 2;
    } else if (i < text.size() && text[i] == 's') {
      unit = 1000, ++i;
    } else if (i < text.size() && text[i] == 'm') {
      unit = 60'000, ++i;
    } else if (i < text.size() && text[i] == 'h') {
      unit = 3'600'000, ++i;
    } else {
      return std::nullopt;
    }
    total += n * unit;
    if (total > max_ms) return std::nullopt;
  }
  return milliseconds(total);
}

std::string format_duration(milliseconds d) {
  long long ms = d.count();
  if (ms <= 0) return "0";
  std::string out;
  for (auto [unit, name] : {std::pair<long long, const char*>{3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}}) {
    if (ms >= unit) out += std::to_string(ms / unit) + name, ms %= unit;
  }
  return out;
}

}  // namespace migrator
