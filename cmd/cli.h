// The `app` command line, callable in process: main() and the CLI tests both use run().
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace app {

// Runs `app ARGS...` and returns its exit code.
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace app
