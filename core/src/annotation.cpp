#include "annotation.h"

#include <utility>

#include "unicode_text.h"

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

}  // namespace migrator::parsing
