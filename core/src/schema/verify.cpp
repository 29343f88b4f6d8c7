#include "migrator/verify.h"

#include "migrator/code_migration.h"
#include "migrator/history.h"

namespace migrator {

const char* to_string(verify_issue::kind kind) noexcept {
  switch (kind) {
    case verify_issue::kind::up_failed: return "up_failed";
    case verify_issue::kind::down_failed: return "down_failed";
    case verify_issue::kind::down_differs: return "down_differs";
    case verify_issue::kind::reup_failed: return "reup_failed";
  }
  return "unknown";
}

bool verify_report::ok() const {
  for (const auto& m : migrations)
    if (!m.ok()) return false;
  return true;
}

namespace {

// Runs one engine request; returns the error's message, or "" when it succeeded.
std::string attempt(engine& e, command_kind kind) {
  try {
    e.run(plan_request{kind, 0});
    return "";
  } catch (const error& ex) {
    return ex.what();
  }
}

// Each repeatable in run order: `up` with the set cut after it applies it alone
// (the ones before it are recorded already); the same set with its checksum
// changed makes `up` apply it again, over the objects it made, as after an
// edit. A last `up` with the whole set records the real checksums.
void verify_repeatables(const std::string& dsn, const module_set& set, const engine_options& options, bool stopped,
                        verify_observer* observer, verify_report& report) {
  for (std::size_t i = 0; i < set.repeatables.size(); ++i) {
    const migration& m = set.repeatables[i];
    verify_result r{m.module, 0, m.name, m.path, false, stopped, {}};
    r.repeatable = true;
    if (!stopped) {
      module_set upto = set;
      upto.repeatables.resize(i + 1);
      engine first(dsn, upto, options);
      if (auto failure = attempt(first, command_kind::up); !failure.empty()) {
        r.issues.push_back({verify_issue::kind::up_failed, failure, {}});
        stopped = true;
      } else {
        module_set edited = upto;
        edited.repeatables.back().checksum += "-edited";
        engine again(dsn, edited, options);
        if (auto failure = attempt(again, command_kind::up); !failure.empty()) {
          r.issues.push_back({verify_issue::kind::reup_failed, failure, {}});
          stopped = true;
        }
      }
    }
    if (observer) observer->verified(r);
    report.migrations.push_back(std::move(r));
  }
  if (!set.repeatables.empty() && !stopped) {
    engine whole(dsn, set, options);
    attempt(whole, command_kind::up);
  }
}

}  // namespace

verify_report verify_round_trips(const std::string& dsn, const module_set& set, const engine_options& options,
                                 verify_observer* observer) {
  engine e(dsn, set, options);
  for (const auto& m : e.status().migrations)
    if (m.state != migration_state::pending)
      throw error(error_code::refused, "verify needs a database without applied migrations, and version " +
                                           std::to_string(m.version) + " is " + to_string(m.state) +
                                           " there; give it a scratch database (or none: it creates one)");
  // The bookkeeping tables (history, its side table, code migrations' saved positions) are not the schema.
  catalog_inspector inspector(dsn, bookkeeping_tables(options.table));
  verify_report report;
  bool stopped = false;
  for (const auto& m : set.migrations) {
    // A code migration's statements are its functions: it is irreversible without a down function.
    const bool irreversible = m.kind == migration_kind::code
                                  ? !(m.code && (m.code->down_in_transaction || m.code->down_on_connection))
                                  : m.body().down.empty();
    verify_result r{m.module, m.version, m.name, m.path, irreversible, stopped, {}};
    if (!stopped) {
      const catalog_fingerprint before = inspector.fingerprint();
      if (auto failure = attempt(e, command_kind::up_by_one); !failure.empty()) {
        r.issues.push_back({verify_issue::kind::up_failed, failure, {}});
        stopped = true;
      } else if (!r.irreversible) {
        if (auto down_failure = attempt(e, command_kind::down); !down_failure.empty()) {
          // The failed down rolled back: the migration stays applied and the next one can build on it.
          r.issues.push_back({verify_issue::kind::down_failed, down_failure, {}});
        } else {
          auto differences = diff(before, inspector.fingerprint());
          if (!differences.empty())
            r.issues.push_back({verify_issue::kind::down_differs,
                                std::to_string(differences.size()) +
                                    " catalog object(s) differ after down from before up",
                                std::move(differences)});
          if (auto again = attempt(e, command_kind::up_by_one); !again.empty()) {
            r.issues.push_back({verify_issue::kind::reup_failed, again, {}});
            stopped = true;
          }
        }
      }
    }
    if (observer) observer->verified(r);
    report.migrations.push_back(std::move(r));
  }
  verify_repeatables(dsn, set, options, stopped, observer, report);
  return report;
}

}  // namespace migrator
