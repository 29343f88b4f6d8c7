// The `app` command line, callable in process: main() and the CLI tests both use run().
#pragma once

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

}  // namespace app
