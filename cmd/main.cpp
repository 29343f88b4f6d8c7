#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli.h"
#include "process_allocator.h"

int main(int argc, char** argv) {
  app::tune_process_allocator();
  std::vector<std::string> args(argv + 1, argv + argc);
  const int code = app::run(args, std::cout, std::cerr);
  if (app::connections_in_flight()) {
    // Everything is said (the log sinks write through to stderr); only the
    // unneeded connection is left, and the kernel closes its socket.
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);  // the log sinks' C streams
    std::_Exit(code);
  }
  return code;
}
