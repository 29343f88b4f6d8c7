#include "migrator/error.h"

namespace migrator {

const char* to_string(error_code code) noexcept {
  switch (code) {
    case error_code::parse: return "parse";
    case error_code::layout: return "layout";
    case error_code::plan: return "plan";
    case error_code::database: return "database";
    case error_code::in_doubt: return "in_doubt";
    case error_code::lock_timeout: return "lock_timeout";
    case error_code::refused: return "refused";
    case error_code::not_current: return "not_current";
    case error_code::config: return "config";
    case error_code::usage: return "usage";
    case error_code::io: return "io";
    case error_code::read_only: return "read_only";
    case error_code::interrupted: return "interrupted";
  }
  return "unknown";
}

std::string problem::str() const {
  std::string s = path;
  if (line > 0) s += ":" + std::to_string(line);
  return s + ": " + message;
}

}  // namespace migrator
