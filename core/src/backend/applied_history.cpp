#include "backend/applied_history.h"

#include <algorithm>

namespace migrator::detail {

namespace {

// Whether each of `repeatables` is recorded in `rows` with its checksum, or by a newer build.
bool repeatables_recorded(const std::vector<repeatable_history_row>& rows,
                          const std::vector<migration>& repeatables) {
  return std::all_of(repeatables.begin(), repeatables.end(), [&](const migration& r) {
    const auto row = std::find_if(rows.begin(), rows.end(), [&](const repeatable_history_row& h) {
      return h.module == r.module && h.name == r.name;
    });
    return row != rows.end() && (row->checksum == r.checksum || row->known_version > r.known_version);
  });
}

}  // namespace

history_comparison compare_applied_history(std::vector<goose_history_row>& goose,
                                           std::vector<side_history_row>& side,
                                           const std::vector<repeatable_history_row>& repeatable_rows,
                                           const std::vector<migration>& migrations,
                                           const std::vector<migration>& repeatables) {
  history_comparison result{false, 0};
  // By version, then id: each version's last row is its latest.
  std::sort(goose.begin(), goose.end(), [](const goose_history_row& a, const goose_history_row& b) {
    return a.version != b.version ? a.version < b.version : a.id < b.id;
  });
  std::sort(side.begin(), side.end(),
            [](const side_history_row& a, const side_history_row& b) { return a.version < b.version; });
  std::vector<const migration*> expected;
  expected.reserve(migrations.size());
  for (const auto& m : migrations) expected.push_back(&m);
  const auto by_version = [](const migration* a, const migration* b) { return a->version < b->version; };
  if (!std::is_sorted(expected.begin(), expected.end(), by_version))
    std::sort(expected.begin(), expected.end(), by_version);

  bool same =
      std::none_of(side.begin(), side.end(), [](const side_history_row& s) { return s.state == "dirty"; });
  std::size_t next = 0;  // the migration the next applied version must be
  auto s = side.begin();
  for (std::size_t i = 0; i < goose.size(); ++i) {
    const goose_history_row& g = goose[i];
    if (i + 1 < goose.size() && goose[i + 1].version == g.version) continue;  // not the latest row
    if (g.version == 0 || !g.applied) continue;
    result.highest = std::max(result.highest, g.version);
    while (s != side.end() && s->version < g.version) ++s;
    const bool has_side = s != side.end() && s->version == g.version;
    const migration* m = next < expected.size() ? expected[next] : nullptr;
    ++next;
    if (!m || m->version != g.version || !has_side || s->module != m->module || s->checksum != m->checksum ||
        s->state != "applied")
      same = false;
  }
  result.equal = same && next == expected.size() && repeatables_recorded(repeatable_rows, repeatables);
  return result;
}

std::optional<history_comparison> compare_applied_by_digests(
    const std::vector<side_digest_row>& digests, goose_table_mark goose, const std::vector<applied_row>& applied,
    const std::vector<repeatable_history_row>& repeatable_rows, const std::vector<migration>& migrations,
    const std::vector<migration>& repeatables) {
  if (!side_rows_proved(digests, goose, applied, migrations)) return std::nullopt;
  // Proved: each applied version is a file of the set with its side row as the
  // file says, and no side row is dirty; the versions are distinct.
  history_comparison result{false, 0};
  for (const auto& a : applied) result.highest = std::max(result.highest, a.version);
  result.equal = applied.size() == migrations.size() && repeatables_recorded(repeatable_rows, repeatables);
  return result;
}

}  // namespace migrator::detail
