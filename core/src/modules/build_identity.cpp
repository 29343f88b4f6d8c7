// Which migrations a build knows: the identity a running build registers
// (builds.h) and the rule by which a contract migration waits for it. Pure.
#include <cstdlib>

#include "migrator/builds.h"
#include "migrator/parser.h"

namespace migrator {

std::string live_build::describe() const {
  std::string text = application_name.empty() ? std::string("a build") : application_name;
  if (!host.empty()) text += " on " + host;
  if (pid != 0) text += " pid " + std::to_string(pid);
  if (!build_id.empty()) text += " (build " + build_id + ")";
  return text;
}

bool live_build::knows(const std::string& module, std::int64_t version) const {
  const auto it = known.find(module);
  return it != known.end() && it->second >= version;
}

std::string build_id_of(const module_set& set) {
  std::string listing;
  listing.reserve(set.migrations.size() * 80);
  for (const auto& m : set.migrations) {
    listing += std::to_string(m.version);
    listing += ' ';
    listing += m.checksum;
    listing += '\n';
  }
  // Twelve hex digits (48 bits): enough to tell the builds of one deploy apart,
  // short enough to read in a log line.
  return migration_checksum(listing).substr(0, 12);
}

known_versions known_versions_of(const module_set& set) {
  known_versions known;
  for (const auto& module : set.modules) known.emplace(module.name, 0);
  for (const auto& m : set.migrations) {
    auto& highest = known[m.module];
    if (m.version > highest) highest = m.version;
  }
  return known;
}

std::string format_known_versions(const known_versions& known) {
  std::string text;
  for (const auto& [module, version] : known)
    text += (text.empty() ? "" : ",") + module + "=" + std::to_string(version);
  return text;
}

known_versions parse_known_versions(const std::string& text) {
  known_versions known;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    const std::size_t eq = item.find('=');
    // A malformed item (written by hand) is left out: the build then knows
    // nothing of that module, and a contract of it waits, the safe side.
    if (eq != std::string::npos && eq > 0) {
      char* rest = nullptr;
      const long long version = std::strtoll(item.c_str() + eq + 1, &rest, 10);
      if (rest && *rest == '\0' && eq + 1 < item.size()) known[item.substr(0, eq)] = version;
    }
    start = end + 1;
  }
  return known;
}

}  // namespace migrator
