// The `app` command line, callable in process: main() and the CLI tests both use run().
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

namespace app {

// Runs `app ARGS...` and returns its exit code.
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// True while a connection the command started in the background is still being
// opened or closed on its own thread (the command ended without needing it, e.g.
// a broken module set). main() then leaves without the libraries' exit-time
// destructors, which must not run under that thread (libpq's Kerberos state
// asserts in krb5int_key_delete).
bool connections_in_flight();

// What run() keeps for the rest of the process instead of freeing it (module
// sets, process_lifetime.h): main() never frees it (it ends with std::_Exit);
// a process that calls run() again and again (the tests) releases it after
// each run, so that the sets of earlier runs do not pile up.
std::size_t kept_value_count();
void release_kept_values();

}  // namespace app
