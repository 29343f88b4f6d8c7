// The YAML configuration file: a mapping of sections to keys, checked strictly
// against the keys that exist (unknown, duplicate or misplaced keys are errors
// with path:line and a "did you mean").
#pragma once

#include <map>
#include <string>
#include <vector>

namespace app {

// section -> its keys, in documentation order.
struct config_schema {
  std::vector<std::pair<std::string, std::vector<std::string>>> sections;
};

struct config_value {
  std::string text;
  int line = 0;
};

struct config_file {
  std::string path;
  std::map<std::string, config_value> values;  // "migrations.lock_timeout" -> value; null values absent
};

// Parses `text` (the contents of `path`). Throws migrator::error(config).
config_file parse_config_file(const std::string& text, const std::string& path, const config_schema& schema);

// "path:line", or "path" when line is 0.
std::string where(const std::string& path, int line);

}  // namespace app
