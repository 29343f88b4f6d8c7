// ENVSUB on one line, as goose substitutes (mfridman/interpolate): one row per
// form, then one row per failure with its exact message.
#include "format/envsub.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace {

const std::map<std::string, std::string> vars = {
    {"SCHEMA", "ledger"}, {"BLANK", ""}, {"WORD", "abcdefgh"}, {"DOLLAR", "$x"}, {"TENANT_2", "t2"}};

std::optional<std::string> lookup(const std::string& name) {
  const auto it = vars.find(name);
  if (it == vars.end()) return std::nullopt;
  return it->second;
}

std::string substitute(const std::string& line, const migrator::env_lookup& env = lookup) {
  std::string out = "<";  // appended to, never replaced
  migrator::parsing::substitute_variables(line, env, out);
  return out.substr(1);
}

struct envsub_case {
  std::string line;
  std::string expected;
};

TEST(Envsub, Forms) {
  const std::vector<envsub_case> cases = {
      {"no variables here", "no variables here"},
      {"", ""},
      {"$SCHEMA.accounts", "ledger.accounts"},
      {"${SCHEMA}_archive", "ledger_archive"},
      {"$TENANT_2!", "t2!"},
      {"$SCHEMAX", ""},                  // the name runs on: SCHEMAX is unset
      {"$MISSING|", "|"},                // unset without a default: nothing
      {"${MISSING:-fallback}", "fallback"},
      {"${BLANK:-fallback}", "fallback"},  // ":-" also replaces an empty value
      {"${SCHEMA:-fallback}", "ledger"},
      {"${MISSING-fallback}", "fallback"},
      {"${BLANK-fallback}", ""},          // "-" keeps an empty value
      {"${SCHEMA-fallback}", "ledger"},
      {"${SCHEMA?needed}", "ledger"},
      {"${BLANK?needed}", ""},            // set, even if empty
      {"${MISSING:-${SCHEMA}_x}", "ledger_x"},  // defaults nest
      {"${MISSING:-}", ""},
      {"${SCHEMA:-${MISSING?not evaluated}}", "ledger"},
      {"${WORD:3}", "defgh"},
      {"${WORD:2:3}", "cde"},
      {"${WORD: -2}", "gh"},              // a negative offset counts from the end
      {"${WORD:-2}", "abcdefgh"},         // without the space it is ":-" (a default)
      {"${WORD:1:-2}", "bcdef"},          // a negative length stops before the end
      {"${WORD:6:100}", "gh"},
      {"${WORD:100}", ""},
      {"${WORD:-100:2}", "abcdefgh"},     // ":-": the default "100:2" is not used
      {"${WORD: -100:2}", "ab"},          // clamped to the start
      {"${WORD:5:-4}", ""},               // an end before the start gives nothing
      {"${MISSING:1}", ""},
      {"\\$SCHEMA", "$SCHEMA"},
      {"$$SCHEMA", "$SCHEMA"},
      {"\\\\", "\\\\"},
      {"\\n", "\\n"},
      {"$(date)", "$(date)"},
      {"cost: 5$", "cost: 5$"},           // a '$' at the end of the line stays
      {"$DOLLAR", "$x"},                  // values are not substituted again
      {"'caf\xC3\xA9 $SCHEMA'", "'caf\xC3\xA9 ledger'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    EXPECT_EQ(substitute(c.line), c.expected);
  }
}

TEST(Envsub, WithoutALookupEveryVariableIsUnset) {
  EXPECT_EQ(substitute("${SCHEMA:-none}.$SCHEMA", migrator::env_lookup()), "none.");
}

TEST(Envsub, Failures) {
  const std::string literal_hint = " (write \"\\$\" or \"$$\" for a literal \"$\", or turn ENVSUB off)";
  const std::vector<envsub_case> cases = {
      {"${MISSING?the ledger schema is required}", "$MISSING: the ledger schema is required"},
      {"${MISSING?}", "$MISSING: not set"},
      {"VALUES ($1)", "\"$\" must be followed by a variable name, got \"1\"" + literal_hint},
      {"$ x", "\"$\" must be followed by a variable name, got \" \"" + literal_hint},
      {"${1}", "\"${\" must be followed by a variable name, got \"1\"" + literal_hint},
      {"${", "\"${\" must be followed by a variable name, got the end of the line" + literal_hint},
      {"${SCHEMA", "\"${SCHEMA\" is never closed (add \"}\")"},
      {"${SCHEMA:-x", "\"${SCHEMA\" is never closed (add \"}\")"},
      {"${SCHEMA+x}", "unexpected \"+\" after \"${SCHEMA\": expected \"}\", \":-\", \"-\", \"?\" or \":\""},
      {"${WORD:two}", "\"${WORD:...}\" needs a whole number, got \"two\""},
      {"${WORD:1:x}", "\"${WORD:...}\" needs a whole number, got \"x\""},
      {"${WORD:}", "\"${WORD:...}\" needs a whole number, got \"\""},
      {"${WORD:99999999999999999999}", "\"${WORD:...}\" needs a whole number, got \"99999999999999999999\""},
      {"${SCHEMA:-$1}", "\"$\" must be followed by a variable name, got \"1\"" + literal_hint},  // checked unused
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    try {
      const std::string got = substitute(c.line);
      ADD_FAILURE() << "substituted to " << got;
    } catch (const migrator::parsing::envsub_failure& f) {
      EXPECT_EQ(f.message, c.expected);
    }
  }
}

}  // namespace
