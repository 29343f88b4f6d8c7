#include "backend/side_digest.h"

#include <algorithm>

#include "plan/ascending_files.h"
#include "support/sha256.h"

namespace migrator::detail {

const char* const side_digest_columns = "module, versions, digest, goose_rows, goose_last_id";

void append_side_digest_line(std::string& text, std::int64_t version, std::string_view checksum,
                             std::string_view state) {
  text += std::to_string(version);
  text += ':';
  text += checksum;
  text += ':';
  text += state;
  text += '\n';
}

std::string side_digest_of(std::string_view text) { return sha256_hex(text); }

std::string side_digest_sql(const std::string& digest_table, const std::string& meta, const std::string& goose) {
  // The same lines as append_side_digest_line, in version order, per module; a
  // side row without a module is counted under "" (no module of a set is named
  // that), so it is never proved to be a file's. Goose's table's mark is taken
  // in the same statement, so it is the one the side rows were read beside.
  return "BEGIN;\nDELETE FROM " + digest_table + ";\nINSERT INTO " + digest_table + " (" + side_digest_columns +
         ")\nSELECT coalesce(m.module, ''), count(*), encode(sha256(convert_to(string_agg(m.version_id::text || ':' "
         "|| coalesce(m.checksum, '') || ':' || m.state || E'\\n', '' ORDER BY m.version_id), 'UTF8')), 'hex'), "
         "g.n, g.last\n FROM " + meta + " m, (SELECT count(*) AS n, coalesce(max(id), 0) AS last FROM " + goose +
         ") g\n GROUP BY coalesce(m.module, ''), g.n, g.last;\nCOMMIT;";
}

bool digests_current(const std::vector<side_digest_row>& digests, goose_table_mark goose) {
  return !digests.empty() && std::all_of(digests.begin(), digests.end(), [&](const side_digest_row& d) {
    return d.goose_rows == goose.rows && d.goose_last_id == goose.last_id;
  });
}

bool side_rows_proved(const std::vector<side_digest_row>& digests, goose_table_mark goose,
                      const std::vector<applied_row>& applied, const std::vector<migration>& migrations) {
  // No digest rows proves nothing: they are removed when a run begins and
  // written when it ends, so none may mean a run that stopped half way.
  if (!digests_current(digests, goose)) return false;
  const auto by_version = [](const migration& a, const migration& b) { return a.version < b.version; };
  if (!std::is_sorted(migrations.begin(), migrations.end(), by_version)) return false;
  // The applied versions' files, in version order: module by module below.
  std::vector<const migration*> files;
  files.reserve(applied.size());
  ascending_files applied_files(migrations);
  for (const auto& a : applied) {
    const migration* file = applied_files.find(a.version);
    if (!file) return false;  // its name is in the side row only
    files.push_back(file);
  }
  // Into version order: `migrations` is sorted, so the addresses are. A module's
  // versions are one range of its namespace; a module seen in two runs of
  // versions takes its digest row twice below, which proves nothing.
  if (!std::is_sorted(files.begin(), files.end())) std::sort(files.begin(), files.end());
  std::size_t proved = 0;  // digest rows matched to a run of a module's versions
  std::string text;
  for (std::size_t first = 0; first < files.size();) {
    const std::string& module = files[first]->module;
    std::size_t end = first;
    text.clear();
    for (; end < files.size() && files[end]->module == module; ++end)
      append_side_digest_line(text, files[end]->version, files[end]->checksum, "applied");
    const auto row = std::find_if(digests.begin(), digests.end(),
                                  [&](const side_digest_row& d) { return d.module == module; });
    if (module.empty() || row == digests.end() || row->versions != static_cast<std::int64_t>(end - first) ||
        row->digest != side_digest_of(text))
      return false;
    ++proved;
    first = end;
  }
  // Every digest row is a module with applied files: any other holds a side row
  // no file accounts for (a dirty migration, a version goose rolled back).
  return proved == digests.size();
}

}  // namespace migrator::detail
