#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli.h"
#include "process_allocator.h"

// Under AddressSanitizer the process ends through exit(): LeakSanitizer checks
// for leaks from an exit-time handler, which std::_Exit would skip.
#if defined(__SANITIZE_ADDRESS__)
#define APP_EXIT_THROUGH_HANDLERS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define APP_EXIT_THROUGH_HANDLERS 1
#endif
#endif

int main(int argc, char** argv) {
  app::tune_process_allocator();
  std::vector<std::string> args(argv + 1, argv + argc);
  const int code = app::run(args, std::cout, std::cerr);
  // Everything is said once the streams are flushed (the log sinks write
  // through to stderr and flush each line). What exit() would still do is
  // the libraries' clean-up (OpenSSL's, GnuTLS's, the loggers'): 1 to 2 ms of
  // each `app migrate status` here, and, with a connection attempt still
  // running, clean-up under that thread's feet. The kernel frees the memory
  // and closes the sockets either way.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);  // the log sinks' C streams
#ifdef APP_EXIT_THROUGH_HANDLERS
  if (!app::connections_in_flight()) return code;
#endif
  std::_Exit(code);
}
