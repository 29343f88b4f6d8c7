#include "backend/applied_history.h"

#include <algorithm>
#include <charconv>

namespace migrator::detail {

std::string applied_history_text(const std::vector<migration>& migrations) {
  std::vector<const migration*> by_version;
  by_version.reserve(migrations.size());
  for (const auto& m : migrations) by_version.push_back(&m);
  std::sort(by_version.begin(), by_version.end(),
            [](const migration* a, const migration* b) { return a->version < b->version; });
  std::string text;
  text.reserve(migrations.size() * 96);
  for (const migration* m : by_version) {
    text += std::to_string(m->version);
    text += ' ';
    text += m->module;
    text += ' ';
    text += m->checksum;
    text += " applied\n";
  }
  return text;
}

std::string repeatable_history_text(const std::vector<migration>& repeatables) {
  std::string text;
  for (const auto& r : repeatables)
    text += r.module + " " + r.name + " " + r.checksum + " " + std::to_string(r.known_version) + "\n";
  return text;
}

namespace {

// Whether every line of `expected` ("<module> <name> <checksum> <known_version>")
// is recorded in `rows` with its checksum, or by a newer build.
bool repeatables_recorded(const std::vector<repeatable_history_row>& rows, std::string_view expected) {
  while (!expected.empty()) {
    const auto end = expected.find('\n');
    std::string_view line = expected.substr(0, end);
    expected = end == std::string_view::npos ? std::string_view{} : expected.substr(end + 1);
    if (line.empty()) continue;
    std::string_view field[4];
    for (int i = 0; i < 4; ++i) {
      const auto space = i < 3 ? line.find(' ') : std::string_view::npos;
      field[i] = line.substr(0, space);
      line = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
    }
    std::int64_t known = 0;
    std::from_chars(field[3].data(), field[3].data() + field[3].size(), known);
    const auto row = std::find_if(rows.begin(), rows.end(), [&](const repeatable_history_row& r) {
      return r.module == field[0] && r.name == field[1];
    });
    if (row == rows.end()) return false;
    if (row->checksum != field[2] && row->known_version <= known) return false;
  }
  return true;
}

}  // namespace

history_comparison compare_applied_history(std::vector<goose_history_row>& goose,
                                           std::vector<side_history_row>& side,
                                           const std::vector<repeatable_history_row>* repeatables,
                                           std::string_view expected, std::string_view expected_repeatables) {
  history_comparison result{false, 0};
  // By version, then id: each version's last row is its latest.
  std::sort(goose.begin(), goose.end(), [](const goose_history_row& a, const goose_history_row& b) {
    return a.version != b.version ? a.version < b.version : a.id < b.id;
  });
  std::sort(side.begin(), side.end(),
            [](const side_history_row& a, const side_history_row& b) { return a.version < b.version; });
  const bool any_dirty =
      std::any_of(side.begin(), side.end(), [](const side_history_row& s) { return s.state == "dirty"; });
  std::string text;
  text.reserve(expected.size());
  auto s = side.begin();
  for (std::size_t i = 0; i < goose.size(); ++i) {
    const goose_history_row& g = goose[i];
    if (i + 1 < goose.size() && goose[i + 1].version == g.version) continue;  // not the latest row
    if (g.version == 0 || !g.applied) continue;
    result.highest = std::max(result.highest, g.version);
    while (s != side.end() && s->version < g.version) ++s;
    const bool has_side = s != side.end() && s->version == g.version;
    text += std::to_string(g.version);
    text += ' ';
    if (has_side) text += s->module;
    text += ' ';
    if (has_side) text += s->checksum;
    text += ' ';
    if (has_side) text += s->state;
    text += '\n';
  }
  result.equal = !any_dirty && text == expected &&
                 (!repeatables || repeatables_recorded(*repeatables, expected_repeatables));
  return result;
}

}  // namespace migrator::detail
