// Every error code maps to its documented exit code (docs/cli.md).
#include <gtest/gtest.h>

#include "exit_codes.h"

namespace {

using migrator::error_code;

TEST(exit_codes, each_error_code_has_its_documented_exit_code) {
  const std::pair<error_code, int> rows[] = {
      {error_code::parse, 1},       {error_code::layout, 1},       {error_code::plan, 1},
      {error_code::database, 1},    {error_code::io, 1},           {error_code::usage, 2},
      {error_code::config, 2},      {error_code::lock_timeout, 3}, {error_code::refused, 4},
      {error_code::in_doubt, 5},    {error_code::not_current, 6},  {error_code::read_only, 7},
      {error_code::interrupted, 8},
  };
  for (const auto& [code, exit] : rows) EXPECT_EQ(app::exit_code_for(code), exit) << migrator::to_string(code);
}

}  // namespace
