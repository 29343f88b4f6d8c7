#include "backend/postgres/conninfo.h"

#include <libpq-fe.h>

#include <memory>

namespace migrator::detail {

std::optional<std::vector<conninfo_entry>> parse_conninfo(const std::string& dsn, std::string* why) {
  char* message = nullptr;
  const std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfoParse(dsn.c_str(), &message),
                                                                            &PQconninfoFree);
  if (!options) {
    if (why) *why = message ? message : "out of memory";
    PQfreemem(message);
    return std::nullopt;
  }
  std::vector<conninfo_entry> entries;
  for (const PQconninfoOption* o = options.get(); o->keyword; ++o)
    if (o->val) entries.push_back({o->keyword, o->val});
  return entries;
}

std::string conninfo_string(const std::vector<conninfo_entry>& entries) {
  std::string out;
  for (const auto& e : entries) {
    if (!out.empty()) out += ' ';
    out += e.keyword + "='";
    for (char c : e.value) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    out += '\'';
  }
  return out;
}

}  // namespace migrator::detail
