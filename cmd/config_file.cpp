#include "config_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "migrator/dsn.h"
#include "migrator/error.h"
#include "migrator/suggest.h"

namespace app {

namespace {

[[noreturn]] void fail(const std::string& message) {
  // Keys and values are echoed in messages: hide anything that looks like a password.
  throw migrator::error(migrator::error_code::config, migrator::redact_secrets(message, ""));
}

int line_of(const YAML::Node& node) { return node.Mark().line + 1; }

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
                                                                const std::vector<std::string>& known,
                                                                const config_schema& schema) {
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
      std::string hint;
      if (auto best = migrator::closest_match(qualified, qualified_known)) hint = " (did you mean '" + *best + "'?)";
      if (hint.empty()) {  // a key of another section?
        for (const auto& [other, keys] : schema.sections)
          if (hint.empty() && std::find(keys.begin(), keys.end(), name) != keys.end())
            hint = " (did you mean '" + other + "." + name + "'?)";
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

}  // namespace

std::string where(const std::string& path, int line) {
  return line > 0 ? path + ":" + std::to_string(line) : path;
}

config_file parse_config_file(const std::string& text, const std::string& path, const config_schema& schema) {
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
  std::string section_list;
  for (const auto& [name, keys] : schema.sections) {
    sections.push_back(name);
    section_list += (section_list.empty() ? "" : ", ") + name;
  }
  if (!root.IsMap())
    fail(where(path, line_of(root)) + ": the file must be a mapping of sections (" + section_list + "), not " +
         kind_of(root));

  for (const auto& [name, body] : checked_entries(root, path, "", sections, schema)) {
    std::vector<std::string> keys;
    for (const auto& [section, section_keys] : schema.sections)
      if (name == section) keys = section_keys;
    if (body.IsNull()) continue;
    if (!body.IsMap()) {
      std::string list;
      for (const std::string& k : keys) list += (list.empty() ? "" : ", ") + k;
      fail(where(path, line_of(body)) + ": '" + name + "' must be a mapping (" + list + "), not " + kind_of(body));
    }
    for (const auto& [key, value] : checked_entries(body, path, name, keys, schema)) {
      if (value.IsNull()) continue;
      const std::string qualified = name + "." + key;
      if (!value.IsScalar())
        fail(where(path, line_of(value)) + ": '" + qualified + "' must be a single value, not " + kind_of(value));
      file.values[qualified] = config_value{value.Scalar(), line_of(value)};
    }
  }
  return file;
}

}  // namespace app
