// `app migrate verify`: every migration's up, down and up again on a scratch
// database, with the catalog compared around each down (core: verify.h).
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "command.h"
#include "exit_codes.h"
#include "migrator/dsn.h"
#include "migrator/verify.h"

namespace app {

namespace {

const char* outcome(const migrator::verify_result& r) {
  if (r.skipped) return "skipped";
  if (!r.issues.empty()) return "failed";
  return r.irreversible ? "irreversible" : "ok";
}

const char* to_string(migrator::catalog_difference::change c) {
  switch (c) {
    case migrator::catalog_difference::change::added: return "added";
    case migrator::catalog_difference::change::removed: return "removed";
    case migrator::catalog_difference::change::changed: return "changed";
  }
  return "changed";
}

nlohmann::json report_json(const migrator::verify_report& report, bool temporary) {
  nlohmann::json migrations = nlohmann::json::array();
  for (const auto& r : report.migrations) {
    nlohmann::json issues = nlohmann::json::array();
    for (const auto& i : r.issues) {
      nlohmann::json differences = nlohmann::json::array();
      for (const auto& d : i.differences)
        differences.push_back({{"change", to_string(d.kind)}, {"object", d.object}, {"before", d.before}, {"after", d.after}});
      issues.push_back({{"kind", migrator::to_string(i.what)}, {"message", i.message}, {"differences", differences}});
    }
    migrations.push_back({{"module", r.module},
                          {"version", r.version},
                          {"repeatable", r.repeatable},
                          {"name", r.name},
                          {"path", r.path},
                          {"result", outcome(r)},
                          {"issues", issues}});
  }
  return {{"ok", report.ok()}, {"database", temporary ? "temporary" : "given"}, {"migrations", migrations}};
}

class progress : public migrator::verify_observer {
 public:
  void verified(const migrator::verify_result& r) override {
    spdlog::debug("verified {} {} {}: {}", r.module, r.version, r.name, outcome(r));
  }
};

void print_text(std::ostream& out, const migrator::verify_report& report) {
  std::size_t ok = 0, irreversible = 0, failed = 0, skipped = 0;
  for (const auto& r : report.migrations) {
    out << std::left;
    out.width(13);
    out << outcome(r);
    out << r.module << ' ' << (r.repeatable ? std::string("repeatable") : std::to_string(r.version)) << ' ' << r.name
        << " (" << r.path << ")\n";
    for (const auto& i : r.issues) {
      out << "    " << migrator::to_string(i.what) << ": " << i.message << '\n';
      for (const auto& d : i.differences) out << "      " << d.str() << '\n';
    }
    if (r.skipped) ++skipped;
    else if (!r.issues.empty()) ++failed;
    else if (r.irreversible) ++irreversible;
    else ++ok;
  }
  out << "\nverify: " << ok << " round-trip, " << irreversible << " irreversible, " << failed << " failed, "
      << skipped << " skipped\n";
}

void add_options(po::options_description& o, po::positional_options_description&) {
  o.add_options()("json", po::bool_switch(), "print one JSON object")(
      "scratch-dsn", po::value<std::string>()->value_name("DSN"),
      "verify on this (empty) database instead of a temporary one created on the server of --dsn");
}

int run(command_context& ctx) {
  const auto sources = load_module_sources(ctx.settings);
  refuse_problems(sources.assembled);
  const bool temporary = !ctx.vm.count("scratch-dsn");
  std::optional<migrator::scratch_database> scratch;
  std::string dsn;
  if (temporary) {
    scratch.emplace(ctx.settings.dsn);
    dsn = scratch->dsn();
    spdlog::info("verifying on the temporary database {} (dropped afterwards)", scratch->name());
  } else {
    dsn = migrator::normalize_dsn(ctx.vm["scratch-dsn"].as<std::string>());
  }
  progress observer;
  const auto report = migrator::verify_round_trips(dsn, sources.assembled.set, engine_options_from(ctx.settings, application_name_for("migrate verify")), &observer);
  if (ctx.vm["json"].as<bool>()) ctx.out << report_json(report, temporary).dump(2) << '\n';
  else print_text(ctx.out, report);
  return report.ok() ? exit_ok : exit_failed;
}

}  // namespace

extern const command verify_command{
    "verify",
    "apply, roll back, compare and re-apply every migration on a scratch database",
    "app migrate verify [--json] [--scratch-dsn DSN]",
    "app migrate verify --dsn postgresql://postgres@localhost/postgres",
    add_options,
    run,
};

}  // namespace app
