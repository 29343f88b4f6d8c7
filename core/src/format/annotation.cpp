#include "format/annotation.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

#include "support/unicode_text.h"

namespace migrator::parsing {
namespace {

constexpr std::pair<std::string_view, annotation> annotations[] = {
    {"Up", annotation::up},
    {"Down", annotation::down},
    {"StatementBegin", annotation::statement_begin},
    {"StatementEnd", annotation::statement_end},
    {"NO TRANSACTION", annotation::no_transaction},
    {"ENVSUB ON", annotation::envsub_on},
    {"ENVSUB OFF", annotation::envsub_off},
};

constexpr const char* annotation_list =
    "Up, Down, StatementBegin, StatementEnd, NO TRANSACTION, ENVSUB ON, ENVSUB OFF";

std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
  std::string r;
  std::size_t start = 0;
  for (std::size_t pos; (pos = s.find(from, start)) != std::string_view::npos; start = pos + from.size())
    r.append(s, start, pos - start).append(to);
  return r.append(s.substr(start));
}

}  // namespace

bool is_annotation_line(std::string_view line) noexcept {
  return starts_with(trim_left(line), "--") && line.find("+goose") != std::string_view::npos;
}

std::variant<annotation, std::string> extract_annotation(std::string_view line) {
  // goose rejects only a leading space or tab; other whitespace passes.
  if (line[0] == ' ' || line[0] == '\t')
    return std::string(
        "annotation must start at the beginning of the line: remove the whitespace before \"--\"");
  std::string cmd = replace_all(line, "--", "");
  cmd.erase(cmd.find("+goose"), 6);  // present: "--" removal cannot touch "+goose"
  if (cmd.find("+goose") != std::string::npos) return std::string("two \"+goose\" annotations on one line");
  const std::string_view word = trim_space(cmd);
  if (word.empty()) return "empty annotation \"-- +goose\": expected one of " + std::string(annotation_list);
  for (const auto& [name, a] : annotations)
    if (equal_fold(word, name)) return a;
  return "unknown annotation \"" + excerpt(word) + "\": expected one of " + annotation_list;
}

namespace {

constexpr std::string_view migrator_marker = "+migrator";
constexpr const char* baseline_usage = "expected \"-- +migrator baseline replaces VERSIONS\" (e.g. 4001-4016 or 4001-4003,4005)";

// The text after "--" and the spaces around it.
std::string_view after_dashes(std::string_view line) {
  line = trim_left(line);
  line.remove_prefix(2);
  return trim_space(line);
}

std::string_view next_word(std::string_view& rest) {
  rest = trim_left(rest);
  std::size_t end = 0;
  while (end < rest.size() && rest[end] != ' ' && rest[end] != '\t') ++end;
  const std::string_view word = rest.substr(0, end);
  rest.remove_prefix(end);
  return word;
}

std::optional<std::int64_t> positive_number(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (const char c : text) {
    if (!is_digit(static_cast<unsigned char>(c))) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v <= 0) return std::nullopt;
  return v;
}

}  // namespace

bool is_migrator_annotation_line(std::string_view line) noexcept {
  if (!starts_with(trim_left(line), "--")) return false;
  return starts_with(after_dashes(line), migrator_marker);
}

std::variant<std::vector<std::int64_t>, std::string> extract_baseline_annotation(std::string_view line) {
  if (line[0] == ' ' || line[0] == '\t')
    return std::string(
        "annotation must start at the beginning of the line: remove the whitespace before \"--\"");
  std::string_view rest = after_dashes(line);
  rest.remove_prefix(migrator_marker.size());
  const std::string_view kind = next_word(rest);
  if (kind == "contract")
    return std::string("\"-- +migrator contract\" takes nothing after the word: \"") + excerpt(trim_space(rest)) +
           "\" is extra";
  if (kind != "baseline" || next_word(rest) != "replaces")
    return std::string("unknown annotation: ") + baseline_usage + ", or \"-- +migrator contract\"";
  rest = trim_space(rest);
  if (rest.empty()) return std::string("a baseline must list the versions it replaces: ") + baseline_usage;
  std::vector<std::int64_t> versions;
  constexpr std::size_t max_versions = 1000;  // one module's namespace holds 999
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = trim_space(rest.substr(0, comma));
    const std::size_t dash = item.find('-');
    const auto first = positive_number(trim_space(item.substr(0, dash)));
    const auto last = dash == std::string_view::npos ? first : positive_number(trim_space(item.substr(dash + 1)));
    if (!first || !last)
      return "\"" + excerpt(item) + "\" is not a version or a range of versions: " + baseline_usage;
    if (*last < *first)
      return "range \"" + excerpt(item) + "\" runs backwards (write the lower version first)";
    if (*last - *first >= static_cast<std::int64_t>(max_versions))
      return "range \"" + excerpt(item) + "\" is wider than a module's namespace";
    for (std::int64_t v = *first; v <= *last; ++v) versions.push_back(v);
    if (versions.size() > max_versions) return std::string("too many versions: more than a module's namespace holds");
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  std::sort(versions.begin(), versions.end());
  if (auto dup = std::adjacent_find(versions.begin(), versions.end()); dup != versions.end())
    return "version " + std::to_string(*dup) + " is listed twice";
  return versions;
}

bool is_contract_annotation(std::string_view line) noexcept {
  if (!is_migrator_annotation_line(line)) return false;
  std::string_view rest = after_dashes(line);
  rest.remove_prefix(migrator_marker.size());
  return next_word(rest) == "contract" && trim_space(rest).empty();
}

}  // namespace migrator::parsing
