// `app migrate lint` (and `validate --lint`): every statement, as the runner
// splits it, through PostgreSQL's parser and the rules of core/src/lint/lint_rules.cpp.
#include <nlohmann/json.hpp>

#include <spdlog/spdlog.h>

#include <memory>

#include "command.h"
#include "exit_codes.h"
#include "migrator/dsn.h"
#include "migrator/lint.h"
#include "migrator/postgres.h"

namespace app {

namespace {

void print_text(std::ostream& out, const migrator::lint_report& report) {
  for (const auto& f : report.findings) out << f.str() << "\n  hint: " << f.hint << '\n';
}

// The byte offset of the 1-based UTF-8 character `position` in `text` (0 when unknown).
std::size_t byte_offset(const std::string& text, int position) {
  std::size_t at = 0;
  for (int character = 1; character < position && at < text.size(); ++character) {
    ++at;
    while (at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) ++at;
  }
  return position > 0 ? at : 0;
}

// Asks the target server's grammar about what lint's grammar rejects: one
// connection, opened at the first such statement (none when every statement parses).
class server_grammar {
 public:
  explicit server_grammar(std::string dsn) : dsn_(std::move(dsn)) {}

  migrator::server_syntax_verdict operator()(const std::string& sql) {
    migrator::server_syntax_verdict verdict;
    if (unreachable_) return verdict;
    try {
      if (!session_) {
        session_ = migrator::connect_postgres(dsn_, application_name_for("migrate lint"));
        const int v = session_->server_version();
        name_ = "PostgreSQL " + std::to_string(v / 10000) + "." + std::to_string(v % 10000);
      }
      const auto failure = migrator::server_syntax_error(*session_, sql);
      verdict.asked = true;
      verdict.server = name_;
      verdict.parsed = !failure;
      if (failure) {
        verdict.message = failure->details().server_message.empty() ? failure->what() : failure->details().server_message;
        verdict.offset = byte_offset(sql, failure->details().position);
      }
    } catch (const migrator::database_error& e) {
      unreachable_ = true;
      spdlog::warn("lint: cannot ask the server's grammar ({}); {}'s verdict stands", e.what(),
                   migrator::lint_grammar());
    }
    return verdict;
  }

 private:
  std::string dsn_;
  std::unique_ptr<migrator::session> session_;
  std::string name_;
  bool unreachable_ = false;
};

nlohmann::json report_json(const migrator::lint_report& report) {
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : report.findings)
    findings.push_back({{"rule", f.rule},
                        {"severity", migrator::to_string(f.severity)},
                        {"module", f.module},
                        {"version", f.version},
                        {"path", f.path},
                        {"line", f.line},
                        {"column", f.column},
                        {"message", f.message},
                        {"hint", f.hint}});
  return {{"migrations", report.migrations},
          {"statements", report.statements},
          {"errors", report.count(migrator::lint_severity::error)},
          {"warnings", report.count(migrator::lint_severity::warning)},
          {"suppressed", report.suppressed},
          {"grammar", migrator::lint_grammar()},
          {"server", report.server.empty() ? nlohmann::json() : nlohmann::json(report.server)},
          {"server_parsed", report.server_parsed},
          {"findings", findings}};
}

void add_options(po::options_description& o, po::positional_options_description&) {
  o.add_options()("json", po::bool_switch(), "print one JSON object")(
      "pending-from-db", po::bool_switch(),
      "ask the database which migrations are pending: tables created by a pending migration count as new for the "
      "later pending ones too");
}

int run(command_context& ctx) {
  const auto sources = load_module_sources(ctx.settings);
  std::optional<std::set<std::int64_t>> pending;
  if (ctx.vm["pending-from-db"].as<bool>()) {
    migrator::engine engine(ctx.settings.dsn, sources.assembled.set, engine_options_from(ctx.settings, application_name_for("migrate lint")));
    pending.emplace();
    for (const auto& m : engine.status().migrations)
      if (m.state == migrator::migration_state::pending) pending->insert(m.version);
  }
  return lint_and_print(ctx, sources, ctx.vm["json"].as<bool>(), pending);
}

}  // namespace

int lint_and_print(command_context& ctx, const module_sources& sources, bool json,
                   const std::optional<std::set<std::int64_t>>& pending) {
  for (const auto& p : sources.assembled.problems) ctx.err << p.str() << '\n';
  if (!sources.assembled.ok()) {
    ctx.err << "lint: " << sources.assembled.problems.size() << " problem(s) in " << module_source_name(ctx.settings)
            << "; fix them first (app migrate validate)\n";
    return exit_failed;
  }
  migrator::lint_options options;
  for (const auto& [rule, level] : ctx.settings.lint) options.severity[rule] = level;
  options.pending = pending;
  options.session_lock_timeout = ctx.settings.db_lock_timeout.has_value();
  // With a PostgreSQL DSN given (flag, environment, file or the local database;
  // not libpq's bare defaults), the target server's grammar decides what lint's
  // own (libpg_query's) rejects.
  if (!ctx.settings.dsn.empty() && migrator::backend_of(ctx.settings.dsn) == migrator::backend_kind::postgres)
    options.server_syntax = [grammar = std::make_shared<server_grammar>(ctx.settings.dsn)](const std::string& sql) {
      return (*grammar)(sql);
    };
  const auto report = migrator::lint_module_set(sources.assembled.set, sources.tree, options);
  const auto errors = report.count(migrator::lint_severity::error);
  if (json) {
    ctx.out << report_json(report).dump(2) << '\n';
  } else {
    print_text(ctx.out, report);
    ctx.err << "lint: " << errors << " error(s), " << report.count(migrator::lint_severity::warning)
            << " warning(s), " << report.suppressed << " suppressed in " << report.migrations << " migrations ("
            << report.statements << " statements); " << migrator::lint_grammar() << "'s grammar";
    if (!report.server.empty()) ctx.err << ", and the " << report.server << " server's for what it rejects";
    ctx.err << '\n';
    if (report.server_parsed)
      ctx.err << "lint: " << report.server_parsed << " statement(s) parse only on the " << report.server
              << " server: no rule could read them\n";
  }
  return errors ? exit_failed : exit_ok;
}

extern const command lint_command{
    "lint",
    "check every statement with PostgreSQL's parser and the module and lock/rollout rules",
    "app migrate lint [--json] [--pending-from-db] [--modules-dir DIR]",
    "app migrate lint --modules-dir modules",
    add_options,
    run,
};

}  // namespace app
