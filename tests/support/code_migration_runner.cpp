// code_migration_runner DSN [VERSION]: applies tests/testdata/code_modules
// (compiled in, code migrations included) up to VERSION, or all of it. A real
// program for tests that kill it with -9 half-way through a code migration.
#include <iostream>
#include <string>

#include "migrator/embedded.h"
#include "migrator/engine.h"
#include "migrator/environment.h"

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
    migrator::plan_request request;
    if (argc == 3) request = {migrator::command_kind::up_to, std::stoll(argv[2])};
    const auto report = engine.run(request);
    std::cout << "applied " << report.steps.size() << ", at version " << report.current_version << '\n';
    return 0;
  } catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
}
