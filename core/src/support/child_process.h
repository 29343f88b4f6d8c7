// Runs another program (no shell) and collects what it wrote. For pg_dump.
#pragma once

#include <string>
#include <vector>

namespace migrator::detail {

struct program_output {
  bool exited_ok = false;  // exited with status 0
  std::string out;
  std::string err;
};

// argv[0] is looked up in PATH unless it holds a '/'. `environment` is the whole
// environment of the child ("NAME=value" each). Throws error(io) when the
// program cannot be started (its name and the system's reason in the message).
program_output run_program(const std::vector<std::string>& argv, const std::vector<std::string>& environment);

// This process's environment as "NAME=value" strings.
std::vector<std::string> current_environment();

}  // namespace migrator::detail
