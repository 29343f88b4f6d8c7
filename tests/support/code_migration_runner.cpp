// code_migration_runner DSN [VERSION]: applies tests/testdata/code_modules
// (compiled in, code migrations included) up to VERSION, or all of it. A real
// program for tests that kill it with -9 half-way through a code migration, or
// stop it with SIGTERM: like an embedding program, it calls engine::interrupt()
// from its signal handler and exits 8 (app's code for an interrupted run) when
// the run stopped.
#include <signal.h>

#include <atomic>
#include <iostream>
#include <string>

#include "migrator/embedded.h"
#include "migrator/engine.h"
#include "migrator/environment.h"

namespace {

std::atomic<migrator::engine*> running{nullptr};

// engine::interrupt() is async-signal-safe.
void on_signal(int) {
  if (auto* engine = running.load()) engine->interrupt();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: code_migration_runner DSN [VERSION]\n";
    return 2;
  }
  const auto assembled = migrator::assemble(migrator::make_embedded_source()->load(), migrator::process_environment());
  for (const auto& p : assembled.problems) std::cerr << p.str() << '\n';
  if (!assembled.ok()) return 2;
  try {
    migrator::engine engine(argv[1], assembled.set, migrator::engine_options{});
    running.store(&engine);
    struct forget {
      ~forget() { running.store(nullptr); }  // before the engine goes: a late signal finds none
    } forget_at_exit;
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
    migrator::plan_request request;
    if (argc == 3) request = {migrator::command_kind::up_to, std::stoll(argv[2])};
    const auto report = engine.run(request);
    std::cout << "applied " << report.steps.size() << ", at version " << report.current_version << '\n';
    return 0;
  } catch (const migrator::error& e) {
    std::cerr << e.what() << '\n';
    return e.code() == migrator::error_code::interrupted ? 8 : 1;
  } catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
}
