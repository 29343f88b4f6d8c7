#include "migrator/fleet.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include "migrator/dsn.h"
#include "migrator/error.h"
#include "migrator/suggest.h"

namespace migrator {

namespace {

[[noreturn]] void fail(error_code code, const std::string& message) {
  // Values are echoed in messages: hide anything that looks like a password.
  throw error(code, redact_secrets(message, ""));
}

std::string where(const std::string& path, int line) { return path + ":" + std::to_string(line); }

int line_of(const YAML::Node& node) { return node.Mark().line + 1; }

// A name usable in a target name and on the command line: letters, digits, '_', '-', '.'.
bool is_plain_name(const std::string& s) {
  return !s.empty() && s.size() <= 200 && std::all_of(s.begin(), s.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '_' || c == '-' || c == '.';
         });
}

struct yaml_reader {
  const std::string& path;

  std::vector<std::pair<std::string, YAML::Node>> entries(const YAML::Node& map, const std::string& what,
                                                          const std::vector<std::string>& known) const {
    std::vector<std::pair<std::string, YAML::Node>> out;
    std::map<std::string, int> seen;
    for (const auto& kv : map) {
      const YAML::Node key = kv.first;
      if (!key.IsScalar()) fail(error_code::config, where(path, line_of(key)) + ": keys must be plain words");
      const std::string name = key.Scalar();
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        auto guess = closest_match(name, known);
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        fail(error_code::config, where(path, line_of(key)) + ": unknown key '" + name + "' in " + what +
                                     (guess ? " (did you mean '" + *guess + "'?)" : " (known: " + list + ")"));
      }
      auto [previous, inserted] = seen.emplace(name, line_of(key));
      if (!inserted)
        fail(error_code::config, where(path, line_of(key)) + ": duplicate key '" + name + "' (first at line " +
                                     std::to_string(previous->second) + ")");
      out.emplace_back(name, kv.second);
    }
    return out;
  }

  std::string scalar(const YAML::Node& value, const std::string& key) const {
    if (!value.IsScalar() || value.Scalar().empty())
      fail(error_code::config, where(path, line_of(value)) + ": '" + key + "' must be a non-empty single value");
    return value.Scalar();
  }
};

// A DSN written in the file: no password allowed (it belongs in the environment).
std::string file_dsn(const std::string& text, const std::string& key, const std::string& path, int line) {
  if (redact_dsn(text) != text)
    fail(error_code::config, where(path, line) + ": '" + key +
                                 "' holds a password; a fleet file must not: put the DSN in an environment variable "
                                 "and name it with '" + key + "_env' (or use ~/.pgpass)");
  return text;
}

std::string env_dsn(const env_lookup& env, const std::string& variable, const std::string& key,
                    const std::string& path, int line) {
  std::optional<std::string> v = env(variable);
  if (!v || v->empty())
    fail(error_code::config, where(path, line) + ": '" + key + "' names " + variable + ", which is not set");
  return *v;
}

// A fleet runs PostgreSQL databases: its runner connects with connect_timeout,
// reads each target's history and checks for poolers and standbys, which a
// SQLite file has none of. Refused here, before any target is touched.
std::string normalized(const std::string& dsn, const std::string& path, int line) {
  if (backend_of(dsn) == backend_kind::sqlite)
    fail(error_code::config, where(path, line) + ": a fleet migrates PostgreSQL databases; a sqlite: DSN is not a "
                             "fleet target (migrate a SQLite file on its own: app migrate up --dsn sqlite:FILE)");
  try {
    return normalize_dsn(dsn);
  } catch (const error& e) {
    fail(error_code::config, where(path, line) + ": " + e.what());
  }
}

fleet_expansion parse_expansion(const yaml_reader& r, const YAML::Node& node, const env_lookup& env) {
  const std::string& path = r.path;
  if (!node.IsMap())
    fail(error_code::config, where(path, line_of(node)) +
                                 ": 'expand' must be a mapping (control_dsn or control_dsn_env, query, dsn_template "
                                 "or dsn_template_env)");
  fleet_expansion x;
  x.line = line_of(node);
  bool control = false, query = false;
  for (const auto& [key, value] : r.entries(node, "'expand'",
                                            {"control_dsn", "control_dsn_env", "query", "dsn_template",
                                             "dsn_template_env"})) {
    const std::string text = r.scalar(value, key);
    const int line = line_of(value);
    if (key == "control_dsn" || key == "control_dsn_env") {
      if (control)
        fail(error_code::config, where(path, line) + ": give one of control_dsn and control_dsn_env, not both");
      control = true;
      x.control_dsn = normalized(key == "control_dsn" ? file_dsn(text, key, path, line)
                                                      : env_dsn(env, text, key, path, line),
                                 path, line);
    } else if (key == "query") {
      query = true;
      x.query = text;
    } else {
      if (!x.dsn_template.empty())
        fail(error_code::config, where(path, line) + ": give one of dsn_template and dsn_template_env, not both");
      x.dsn_template = key == "dsn_template" ? file_dsn(text, key, path, line) : env_dsn(env, text, key, path, line);
      if (backend_of(x.dsn_template) == backend_kind::sqlite) normalized(x.dsn_template, path, line);  // refuses
      if (x.dsn_template.find("{database}") == std::string::npos)
        fail(error_code::config, where(path, line) + ": '" + key + "' must contain {database}");
    }
  }
  if (!control)
    fail(error_code::config, where(path, x.line) + ": 'expand' needs control_dsn or control_dsn_env");
  if (!query) fail(error_code::config, where(path, x.line) + ": 'expand' needs a query");
  return x;
}

}  // namespace

fleet_file parse_fleet_file(const std::string& text, const std::string& path, const env_lookup& env,
                            const directory_check& dir_exists) {
  fleet_file file{path, {}};
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    fail(error_code::config, where(path, e.mark.is_null() ? 0 : e.mark.line + 1) + ": not valid YAML: " + e.msg);
  }
  if (documents.empty() || documents[0].IsNull())
    fail(error_code::config, path + ": empty fleet file: it needs a 'targets' list");
  if (documents.size() > 1)
    fail(error_code::config, where(path, line_of(documents[1])) + ": only one YAML document is allowed");
  const YAML::Node& root = documents[0];
  if (!root.IsMap()) fail(error_code::config, where(path, line_of(root)) + ": the file must be a mapping with 'targets'");
  const yaml_reader r{path};
  auto top = r.entries(root, "the fleet file", {"targets"});
  if (top.empty()) fail(error_code::config, path + ": the file needs a 'targets' list");
  const YAML::Node list = top.front().second;
  if (!list.IsSequence() || list.size() == 0)
    fail(error_code::config, where(path, line_of(list)) + ": 'targets' must be a non-empty list");

  const std::filesystem::path base = std::filesystem::path(path).parent_path();
  std::map<std::string, int> names;
  for (const YAML::Node& item : list) {
    const int line = line_of(item);
    if (!item.IsMap())
      fail(error_code::config, where(path, line) + ": each target must be a mapping (name, dsn or dsn_env or "
                                                   "expand, modules, group)");
    fleet_entry e;
    e.line = line;
    int dsn_sources = 0;
    for (const auto& [key, value] : r.entries(item, "a target", {"name", "dsn", "dsn_env", "expand", "modules", "group"})) {
      const int at = line_of(value);
      if (key == "expand") {
        e.expansion = parse_expansion(r, value, env);
        ++dsn_sources;
        continue;
      }
      const std::string v = r.scalar(value, key);
      if (key == "name") {
        if (!is_plain_name(v))
          fail(error_code::config, where(path, at) + ": target name '" + v +
                                       "' must be letters, digits, '_', '-' or '.' (at most 200)");
        e.name = v;
      } else if (key == "dsn") {
        e.dsn = normalized(file_dsn(v, key, path, at), path, at);
        ++dsn_sources;
      } else if (key == "dsn_env") {
        e.dsn = normalized(env_dsn(env, v, key, path, at), path, at);
        ++dsn_sources;
      } else if (key == "modules") {
        std::filesystem::path dir(v);
        if (dir.is_relative() && !base.empty()) dir = base / dir;
        if (!dir_exists(dir.string()))
          fail(error_code::config, where(path, at) + ": modules directory '" + dir.string() + "' does not exist");
        e.modules_dir = dir.string();
      } else {
        if (!is_plain_name(v))
          fail(error_code::config, where(path, at) + ": group '" + v + "' must be letters, digits, '_', '-' or '.'");
        e.group = v;
      }
    }
    if (e.name.empty()) fail(error_code::config, where(path, line) + ": this target has no 'name'");
    if (dsn_sources != 1)
      fail(error_code::config, where(path, line) + ": target '" + e.name +
                                   "' needs exactly one of dsn, dsn_env and expand");
    auto [previous, inserted] = names.emplace(e.name, line);
    if (!inserted)
      fail(error_code::config, where(path, line) + ": duplicate target name '" + e.name + "' (first at line " +
                                   std::to_string(previous->second) + ")");
    file.entries.push_back(std::move(e));
  }
  return file;
}

namespace {

fleet_target target_of(const fleet_entry& e, const std::string& path) {
  return fleet_target{e.name, *e.dsn, e.modules_dir, e.group, e.name, where(path, e.line)};
}

}  // namespace

std::vector<fleet_target> plain_targets(const fleet_file& file) {
  std::vector<fleet_target> out;
  for (const auto& e : file.entries)
    if (e.dsn) out.push_back(target_of(e, file.path));
  return out;
}

std::vector<fleet_target> expand_fleet(const fleet_file& file, const control_query& query) {
  std::vector<fleet_target> out;
  std::map<std::string, std::string> seen;  // name -> origin
  auto add = [&](fleet_target t) {
    auto [previous, inserted] = seen.emplace(t.name, t.origin);
    if (!inserted)
      fail(error_code::config, t.origin + ": target name '" + t.name + "' is also given at " + previous->second);
    out.push_back(std::move(t));
  };
  for (const auto& e : file.entries) {
    if (e.dsn) {
      add(target_of(e, file.path));
      continue;
    }
    const fleet_expansion& x = *e.expansion;
    const std::string origin = where(file.path, x.line);
    query_rows result;
    try {
      result = query(x.control_dsn, x.query);
    } catch (const error& err) {
      fail(error_code::database, origin + ": target '" + e.name + "': the expansion query failed: " + err.what());
    }
    if (result.columns.empty()) fail(error_code::config, origin + ": target '" + e.name + "': the query returns no column");
    auto dsn_column = std::find(result.columns.begin(), result.columns.end(), "dsn");
    const bool has_dsn = dsn_column != result.columns.end();
    const std::size_t dsn_index = static_cast<std::size_t>(dsn_column - result.columns.begin());
    if (!has_dsn && x.dsn_template.empty())
      fail(error_code::config, origin + ": target '" + e.name +
                                   "': the query returns no 'dsn' column, so 'expand' needs dsn_template or "
                                   "dsn_template_env");
    std::size_t row_number = 0;
    for (const auto& row : result.rows) {
      ++row_number;
      const std::string at = origin + ": target '" + e.name + "', row " + std::to_string(row_number);
      if (!row[0] || !is_plain_name(*row[0]))
        fail(error_code::config, at + ": the database name " + (row[0] ? "'" + *row[0] + "'" : std::string("NULL")) +
                                     " must be letters, digits, '_', '-' or '.'");
      fleet_target t;
      t.name = e.name + "/" + *row[0];
      if (has_dsn) {
        if (!row[dsn_index]) fail(error_code::config, at + ": the dsn is NULL");
        t.dsn = *row[dsn_index];
      } else {
        t.dsn = x.dsn_template;
        for (std::size_t p; (p = t.dsn.find("{database}")) != std::string::npos;) t.dsn.replace(p, 10, *row[0]);
      }
      try {
        t.dsn = normalize_dsn(t.dsn);
      } catch (const error& err) {
        fail(error_code::config, at + ": " + err.what());
      }
      t.modules_dir = e.modules_dir;
      t.group = e.group;
      t.entry = e.name;
      t.origin = origin;
      add(std::move(t));
    }
  }
  return out;
}

std::size_t shard_of(const std::string& target_name, std::size_t count) {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : target_name) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return count == 0 ? 0 : static_cast<std::size_t>(h % count);
}

namespace {

std::optional<std::size_t> parse_count(const std::string& s) {
  if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); }))
    return std::nullopt;
  return static_cast<std::size_t>(std::stoul(s));
}

}  // namespace

shard_spec parse_shard(const std::string& text) {
  auto slash = text.find('/');
  std::optional<std::size_t> i, n;
  if (slash != std::string::npos) i = parse_count(text.substr(0, slash)), n = parse_count(text.substr(slash + 1));
  if (!i || !n || *n == 0 || *i >= *n)
    fail(error_code::usage, "--shard '" + text + "': expected I/N with 0 <= I < N, e.g. 0/4");
  return {*i, *n};
}

std::vector<fleet_target> select_targets(const std::vector<fleet_target>& all, const std::vector<std::string>& names,
                                         const shard_spec& shard) {
  std::set<std::string> wanted(names.begin(), names.end());
  if (!names.empty()) {
    std::vector<std::string> candidates;
    for (const auto& t : all) candidates.push_back(t.name), candidates.push_back(t.entry);
    for (const auto& n : wanted) {
      bool found = std::any_of(all.begin(), all.end(), [&](const fleet_target& t) { return t.name == n || t.entry == n; });
      if (!found) {
        auto guess = closest_match(n, candidates);
        fail(error_code::usage, "--target '" + n + "': no such target in the fleet" +
                                    (guess ? " (did you mean '" + *guess + "'?)" : ""));
      }
    }
  }
  std::vector<fleet_target> out;
  for (const auto& t : all) {
    if (!wanted.empty() && !wanted.count(t.name) && !wanted.count(t.entry)) continue;
    if (shard.count > 1 && shard_of(t.name, shard.count) != shard.index) continue;
    out.push_back(t);
  }
  return out;
}

canary_spec parse_canary(const std::string& text) {
  canary_spec c;
  if (auto n = parse_count(text)) {
    if (*n == 0) fail(error_code::usage, "--canary 0: give a count of at least 1, or a group name");
    c.count = *n;
  } else if (is_plain_name(text)) {
    c.group = text;
  } else {
    fail(error_code::usage, "--canary '" + text + "': expected a count (e.g. 3) or a group name");
  }
  return c;
}

std::size_t order_for_canary(std::vector<fleet_target>& targets, const canary_spec& canary) {
  if (canary.count > 0) return std::min(canary.count, targets.size());
  if (canary.group.empty()) return 0;
  auto split = std::stable_partition(targets.begin(), targets.end(),
                                     [&](const fleet_target& t) { return t.group == canary.group; });
  const auto n = static_cast<std::size_t>(split - targets.begin());
  if (n == 0) fail(error_code::usage, "--canary " + canary.group + ": no selected target is in group '" + canary.group + "'");
  return n;
}

std::string with_connect_timeout(const std::string& dsn, int seconds) {
  if (dsn.find("connect_timeout") != std::string::npos) return dsn;
  const std::string value = std::to_string(seconds);
  const bool uri = dsn.rfind("postgresql://", 0) == 0 || dsn.rfind("postgres://", 0) == 0;
  if (!uri) return dsn.empty() ? "connect_timeout=" + value : dsn + " connect_timeout=" + value;
  auto hash = dsn.find('#');
  std::string head = dsn.substr(0, hash), tail = hash == std::string::npos ? "" : dsn.substr(hash);
  head += (head.find('?') == std::string::npos ? "?" : "&") + std::string("connect_timeout=") + value;
  return head + tail;
}

}  // namespace migrator
