#include "status_table.h"

#include <algorithm>
#include <map>
#include <string>
#include <string_view>

#include "migrator/baseline.h"

namespace app {

namespace {

// Left-aligned in `width` columns, as std::setw with std::left: longer text is not cut.
void append_padded(std::string& line, std::string_view text, std::size_t width) {
  line += text;
  if (text.size() < width) line.append(width - text.size(), ' ');
}

const migrator::deferred_migration* deferred_of(const migrator::status_report& r, std::int64_t version) {
  for (const auto& d : r.deferred)
    if (d.version == version) return &d;
  return nullptr;
}

std::string waiting_list(const migrator::deferred_migration& d) {
  std::string text;
  for (const auto& b : d.waiting_for) text += (text.empty() ? "" : ", ") + b.describe();
  return text;
}

// "  (contract: deferred, waits for ...)" for a pending migration `up` would not apply yet.
std::string deferral_note(const migrator::status_report& r, const migrator::migration_status& m) {
  const auto* d = deferred_of(r, m.version);
  if (!d) return m.contract ? "  (contract)" : "";
  if (d->behind_contract != 0)
    return "  (deferred: after contract " + std::to_string(d->behind_contract) + " of its module)";
  return "  (contract, deferred: waits for " + waiting_list(*d) + ")";
}

// Below the versioned table, in run order: what `up` applies again and why.
void print_repeatables(std::string& table, const std::vector<migrator::repeatable_status>& repeatables) {
  std::size_t module_width = 6, name_width = 10;
  for (const auto& rep : repeatables) {
    module_width = std::max(module_width, rep.module.size());
    name_width = std::max(name_width, rep.name.size());
  }
  table += "\n";
  append_padded(table, "MODULE", module_width + 2);
  append_padded(table, "REPEATABLE", name_width + 2);
  append_padded(table, "STATE", 10);
  table += "APPLIED AT\n";
  for (const auto& rep : repeatables) {
    append_padded(table, rep.module, module_width + 2);
    append_padded(table, rep.name, name_width + 2);
    append_padded(table, migrator::to_string(rep.state), 10);
    table += rep.applied_at ? *rep.applied_at : "-";
    switch (rep.state) {
      case migrator::repeatable_state::changed: table += "  (the file changed: up applies it again)"; break;
      case migrator::repeatable_state::missing: table += "  (recorded, but no file has it: nothing runs)"; break;
      case migrator::repeatable_state::newer:
        table += "  (applied by a newer build: left as it is)";
        break;
      default: break;
    }
    table += '\n';
  }
}

}  // namespace

void print_status_table(std::ostream& out, const migrator::status_report& r) {
  std::size_t module_width = 6, name_width = 4;
  for (const auto& m : r.migrations) {
    module_width = std::max(module_width, m.module.size());
    name_width = std::max(name_width, m.name.size());
  }
  // Formatted into a buffer written to the stream in pieces of about 64 KiB:
  // with 10,000 migrations, formatting field by field through the stream cost
  // more than reading the history, and pieces keep the buffer's size the same
  // whatever the set's (one buffer for the whole table took 0.8 MB on W5; the
  // time of W5 status was the same either way within the lab's noise).
  constexpr std::size_t piece = std::size_t{64} << 10;
  std::string table;
  table.reserve(piece + 4096);
  append_padded(table, "MODULE", module_width + 2);
  append_padded(table, "VERSION", 9);
  append_padded(table, "NAME", name_width + 2);
  append_padded(table, "STATE", 10);
  table += "APPLIED AT\n";
  for (const auto& m : r.migrations) {
    append_padded(table, m.module, module_width + 2);
    append_padded(table, std::to_string(m.version), 9);
    append_padded(table, m.name, name_width + 2);
    append_padded(table, migrator::to_string(m.state), 10);
    table += m.applied_at ? *m.applied_at : "-";
    if (m.state == migrator::migration_state::dirty)
      table += std::string(m.kind == migrator::migration_kind::code ? "  (stopped after step " : "  (stopped after statement ") +
               std::to_string(m.statements_done.value_or(0)) + " of " +
               std::to_string(m.statements_total.value_or(0)) + ")";
    if (m.state == migrator::migration_state::pending) table += deferral_note(r, m);
    if (m.baseline) {
      switch (m.baseline->kind) {
        case migrator::baseline_history::fresh: table += "  (baseline: up runs it)"; break;
        case migrator::baseline_history::complete:
          table += "  (baseline: up records it without running it; the database has " +
                   migrator::format_versions(m.baseline->present) + ")";
          break;
        case migrator::baseline_history::partial:
          table += "  (baseline: refused, " + migrator::format_versions(m.baseline->missing) + " missing)";
          break;
      }
    }
    table += '\n';
    if (table.size() >= piece) {
      out << table;
      table.clear();
    }
  }
  if (!r.repeatables.empty()) print_repeatables(table, r.repeatables);
  out << table;
  std::map<migrator::migration_state, int> counts;
  for (const auto& m : r.migrations) ++counts[m.state];
  out << "\nversion " << r.current_version << ": ";
  bool first = true;
  for (auto state : {migrator::migration_state::applied, migrator::migration_state::pending,
                     migrator::migration_state::modified, migrator::migration_state::dirty,
                     migrator::migration_state::unknown, migrator::migration_state::replaced}) {
    if (!counts[state]) continue;
    out << (first ? "" : ", ") << counts[state] << ' ' << migrator::to_string(state);
    first = false;
  }
  if (first) out << "no migrations";
  if (!r.repeatables.empty()) {
    std::map<migrator::repeatable_state, int> repeatable_counts;
    for (const auto& rep : r.repeatables) ++repeatable_counts[rep.state];
    out << "; repeatable: ";
    bool first_repeatable = true;
    for (auto state : {migrator::repeatable_state::applied, migrator::repeatable_state::pending,
                       migrator::repeatable_state::changed, migrator::repeatable_state::newer,
                       migrator::repeatable_state::missing}) {
      if (!repeatable_counts[state]) continue;
      out << (first_repeatable ? "" : ", ") << repeatable_counts[state] << ' ' << migrator::to_string(state);
      first_repeatable = false;
    }
  }
  out << '\n';
  if (!r.deferred.empty())
    out << r.deferred.size()
        << " pending migration(s) deferred: contract migrations wait for older builds that still run "
           "('app migrate builds' lists them; 'app migrate up --wait-for-builds 30m' applies them once they stop)\n";
  if (r.without_checksum)
    out << r.without_checksum
        << " applied migration(s) have no checksum (adopted from goose); record them with 'app migrate repair "
           "--checksums'\n";
  for (const auto& c : r.namespace_conflicts) out << "namespace conflict: " << c << '\n';
  for (const auto& refusal : r.baseline_refusals) out << "refused: " << refusal << '\n';
}

nlohmann::json build_json(const migrator::live_build& b) {
  nlohmann::json known = nlohmann::json::object();
  for (const auto& [module, version] : b.known) known[module] = version;
  return {{"instance", b.instance},     {"build_id", b.build_id},
          {"host", b.host},             {"pid", b.pid},
          {"application_name", b.application_name},
          {"started_at", b.started_at}, {"lease_expires_at", b.lease_expires_at},
          {"known_versions", known}};
}

nlohmann::json status_json(const migrator::status_report& r) {
  nlohmann::json j;
  j["current_version"] = r.current_version;
  j["history_table_exists"] = r.history_exists;
  j["current"] = r.current() && r.namespace_conflicts.empty();
  j["migrations"] = nlohmann::json::array();
  std::map<std::string, nlohmann::json> modules;
  std::vector<std::string> module_order;
  for (const auto& m : r.migrations) {
    nlohmann::json row{{"module", m.module},
                       {"version", m.version},
                       {"name", m.name},
                       {"state", migrator::to_string(m.state)},
                       {"kind", m.kind == migrator::migration_kind::code ? "code" : "sql"},
                       {"applied_at", m.applied_at ? nlohmann::json(*m.applied_at) : nlohmann::json(nullptr)},
                       {"path", m.path.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.path)},
                       {"checksum_recorded", m.has_checksum}};
    if (m.contract) row["contract"] = true;
    if (const auto* d = deferred_of(r, m.version)) {
      nlohmann::json waiting = nlohmann::json::array();
      for (const auto& b : d->waiting_for) waiting.push_back(build_json(b));
      row["deferred"] = {{"behind_contract", d->behind_contract == 0 ? nlohmann::json(nullptr) : nlohmann::json(d->behind_contract)},
                         {"waiting_for", waiting}};
    }
    if (m.state == migrator::migration_state::dirty)
      row["statements_done"] = m.statements_done.value_or(0), row["statements_total"] = m.statements_total.value_or(0);
    if (m.baseline)
      row["baseline"] = {{"history", migrator::to_string(m.baseline->kind)},
                         {"present", m.baseline->present},
                         {"missing", m.baseline->missing}};
    j["migrations"].push_back(row);
    if (!modules.count(m.module)) {
      module_order.push_back(m.module);
      modules[m.module] = {{"module", m.module}, {"applied", 0}, {"pending", 0}, {"modified", 0}, {"dirty", 0}, {"unknown", 0}, {"replaced", 0}, {"version", 0}, {"code", 0}};
    }
    auto& summary = modules[m.module];
    if (m.kind == migrator::migration_kind::code) summary["code"] = summary["code"].get<int>() + 1;
    summary[migrator::to_string(m.state)] = summary[migrator::to_string(m.state)].get<int>() + 1;
    if (m.state == migrator::migration_state::applied || m.state == migrator::migration_state::modified)
      summary["version"] = std::max(summary["version"].get<std::int64_t>(), m.version);
  }
  j["modules"] = nlohmann::json::array();
  for (const auto& name : module_order) j["modules"].push_back(modules[name]);
  j["repeatables"] = nlohmann::json::array();
  for (const auto& rep : r.repeatables)
    j["repeatables"].push_back({{"module", rep.module},
                                {"name", rep.name},
                                {"state", migrator::to_string(rep.state)},
                                {"applied_at", rep.applied_at ? nlohmann::json(*rep.applied_at) : nlohmann::json(nullptr)},
                                {"path", rep.path.empty() ? nlohmann::json(nullptr) : nlohmann::json(rep.path)}});
  j["without_checksum"] = r.without_checksum;
  j["namespace_conflicts"] = r.namespace_conflicts;
  j["baseline_refusals"] = r.baseline_refusals;
  j["deferred"] = r.deferred.size();
  j["only_deferred_pending"] = r.only_deferred_pending() && r.namespace_conflicts.empty();
  return j;
}

}  // namespace app
