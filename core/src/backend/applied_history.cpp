#include "backend/applied_history.h"

#include <algorithm>

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

namespace {

// The comparison, with `also` (SQL ending in " AND ") required before it.
std::string comparison_sql(const std::string& table, const std::string& meta, const std::string& also) {
  // A version's latest goose row decides whether it is applied (goose v2 appended
  // is_applied=false rows, v3 deletes), as in applied_from_goose_rows. A NULL in
  // the side row (goose applied it, or no side row) leaves its field empty, so
  // the line never equals a set's. The text travels as a parameter: the server
  // compares it, and neither side hashes anything.
  // A dirty side row has no goose row, so the text would not show it: a dirty
  // version the set does not know (a newer build's NO TRANSACTION migration that
  // stopped) makes the answer "not equal" by the NOT EXISTS.
  return "SELECT " + also + "coalesce(string_agg(format(E'%s %s %s %s\\n', g.version_id, m.module, m.checksum, m.state), '' "
         "ORDER BY g.version_id), '') = $1 AND NOT EXISTS (SELECT 1 FROM " + meta + " WHERE state = 'dirty'), "
         "coalesce(max(g.version_id), 0) FROM (SELECT DISTINCT ON (version_id) "
         "version_id, is_applied FROM " + table + " ORDER BY version_id, id DESC) g LEFT JOIN " + meta +
         " m ON m.version_id = g.version_id WHERE g.is_applied AND g.version_id <> 0";
}

}  // namespace

std::string applied_history_comparison_sql(const std::string& table, const std::string& meta) {
  return comparison_sql(table, meta, "");
}

std::string repeatable_history_text(const std::vector<migration>& repeatables) {
  std::string text;
  for (const auto& r : repeatables)
    text += r.module + " " + r.name + " " + r.checksum + " " + std::to_string(r.known_version) + "\n";
  return text;
}

std::string applied_history_comparison_sql(const std::string& table, const std::string& meta,
                                           const std::string& repeatable) {
  // Names have no spaces (the assembler checks), so split_part reads each line. A
  // row a newer build wrote (its known_version above this set's) counts as equal.
  return comparison_sql(table, meta, "(SELECT NOT EXISTS (SELECT 1 FROM string_to_table($2, E'\\n') AS line LEFT JOIN " + repeatable +
         " r ON r.module = split_part(line, ' ', 1) AND r.name = split_part(line, ' ', 2) WHERE line <> '' AND "
         "r.checksum IS DISTINCT FROM split_part(line, ' ', 3) AND coalesce(r.known_version, 0) <= "
         "split_part(line, ' ', 4)::bigint)) AND ");
}

}  // namespace migrator::detail
