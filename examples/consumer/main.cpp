// A modular monolith's main: migrate on startup through the migrator's public
// API, then (a real program would now serve) print what happened.
//
//   consumer [DSN]      DSN default: $DATABASE_URL, else libpq's PG* variables
// Exit 0 when the schema is current, 1 otherwise (the reason on stderr).
#include <migrator/dsn.h>
#include <migrator/embedded.h>
#include <migrator/log.h>
#include <migrator/startup.h>

#include <cstdlib>
#include <iostream>
#include <mutex>

namespace {

// The program's own logging; here a plain line on stderr. A real monolith
// would forward to its logger (spdlog, glog, ...).
class stderr_sink final : public migrator::log_sink {
 public:
  bool enabled(migrator::log_level level) const override { return level >= migrator::log_level::info; }
  void write(migrator::log_level level, std::string_view message,
             const std::vector<migrator::log_field>& fields) override {
    std::string line = std::string("consumer: ") + migrator::to_string(level) + ": " + std::string(message);
    for (const auto& field : fields) {
      line += ' ' + field.key + '=';
      if (auto text = std::get_if<std::string>(&field.value)) line += *text;
      else if (auto number = std::get_if<std::int64_t>(&field.value)) line += std::to_string(*number);
      else line += std::get<bool>(field.value) ? "true" : "false";
    }
    std::lock_guard<std::mutex> hold(mutex_);
    std::cerr << line << '\n';
  }

 private:
  std::mutex mutex_;
};

}  // namespace

int main(int argc, char** argv) {
  migrator::set_log_sink(std::make_shared<stderr_sink>());
  try {
    const migrator::module_set modules = migrator::valid_module_set(migrator::assemble_embedded());

    migrator::startup_options options;
    const char* dsn = argc > 1 ? argv[1] : std::getenv("DATABASE_URL");
    options.dsn = migrator::normalize_dsn(dsn ? dsn : "");
    options.wait_timeout = std::chrono::seconds(10);
    const migrator::startup_result started = migrator::migrate_on_startup(modules, options);

    std::cout << "applied " << started.applied.size() << " migration(s); schema version "
              << started.status.current_version << '\n';
    for (const auto& step : started.applied)
      std::cout << "  " << step.module << ' '
                << (step.role == migrator::migration_role::repeatable ? std::string("repeatable")
                                                                      : std::to_string(step.version))
                << ' ' << step.name << '\n';

    // What an admin endpoint would show: the status as data.
    const migrator::status_report status = migrator::query_status(modules, options.dsn, options.engine);
    std::size_t applied = 0;
    for (const auto& m : status.migrations) applied += m.state == migrator::migration_state::applied;
    std::cout << "status: " << applied << " of " << modules.migrations.size() << " applied, "
              << (status.current() ? "current" : "not current") << '\n';
    std::size_t repeatables = 0;
    for (const auto& r : status.repeatables) repeatables += r.state == migrator::repeatable_state::applied;
    std::cout << "repeatable: " << repeatables << " of " << modules.repeatables.size() << " applied\n";
    return 0;
  } catch (const migrator::error& e) {
    // The core's messages never hold the DSN's password.
    std::cerr << "consumer: " << migrator::to_string(e.code()) << ": " << e.what() << '\n';
    return 1;
  }
}
