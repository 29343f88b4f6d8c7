// `app migrate inspect FILE [--json]`: how one migration file parses, the
// statements exactly as they would be sent to the server.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "command.h"
#include "migrator/code_source.h"
#include "migrator/error.h"
#include "migrator/parser.h"

namespace app {
namespace {

constexpr const char* inspect_usage = "app migrate inspect FILE [--json]";

// The file's bytes, unchanged (binary: CRLF and a BOM are the parser's business).
std::string read_migration_file(const std::string& path) {
  const auto fail = [&path] {
    return migrator::error(migrator::error_code::io, path + ": cannot read: " + std::strerror(errno));
  };
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw fail();
  std::string bytes;
  char buffer[1 << 16];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) bytes.append(buffer, n);
  if (std::ferror(file.get())) throw fail();
  return bytes;
}

void print_json(std::ostream& out, const std::optional<migrator::file_name_parts>& parts,
                const migrator::migration_body& body) {
  const bool numbered = parts && parts->version;
  nlohmann::ordered_json j;
  j["version"] = numbered ? nlohmann::ordered_json(*parts->version) : nlohmann::ordered_json(nullptr);
  j["name"] = numbered ? nlohmann::ordered_json(parts->name) : nlohmann::ordered_json(nullptr);
  j["transaction"] = body.use_transaction;
  j["up"] = nlohmann::ordered_json::array();
  for (const auto& s : body.up) j["up"].push_back(s.sql);
  j["down"] = nlohmann::ordered_json::array();
  for (const auto& s : body.down) j["down"].push_back(s.sql);
  out << j.dump(2) << '\n';
}

void print_statements(std::ostream& out, const char* direction,
                      const std::vector<migrator::statement>& statements) {
  out << direction << ": " << statements.size()
      << (statements.size() == 1 ? " statement\n" : " statements\n");
  for (std::size_t i = 0; i < statements.size(); ++i) {
    out << "  [" << i + 1 << "] line " << statements[i].line << '\n';
    std::size_t start = 0;
    const std::string& sql = statements[i].sql;
    while (start <= sql.size()) {
      std::size_t nl = sql.find('\n', start);
      if (nl == std::string::npos) nl = sql.size();
      out << "      " << std::string_view(sql).substr(start, nl - start) << '\n';
      start = nl + 1;
    }
  }
}

void print_text(std::ostream& out, const std::string& path,
                const std::optional<migrator::file_name_parts>& parts, const migrator::migration_body& body) {
  out << "file:        " << path << '\n';
  if (parts && parts->version)
    out << "version:     " << *parts->version << "\nname:        " << parts->name << '\n';
  else if (parts)
    out << "version:     none (the file name does not start with \"<version>_\")\n";
  else
    out << "version:     none (not a .sql file)\n";
  out << "transaction: " << (body.use_transaction ? "yes" : "no (-- +goose NO TRANSACTION)") << '\n';
  print_statements(out, "up", body.up);
  print_statements(out, "down", body.down);
}

// A code migration: what its text declares (its statements depend on the data).
void print_code(std::ostream& out, const std::string& path, const migrator::file_name_parts& parts,
                const migrator::code_source_info& info, bool json) {
  if (json) {
    nlohmann::ordered_json j;
    j["version"] = parts.version ? nlohmann::ordered_json(*parts.version) : nlohmann::ordered_json(nullptr);
    j["name"] = parts.version ? nlohmann::ordered_json(parts.name) : nlohmann::ordered_json(nullptr);
    j["kind"] = "code";
    j["transaction"] = info.use_transaction;
    j["line"] = info.line;
    j["up"] = info.up;
    j["down"] = info.down.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(info.down);
    out << j.dump(2) << '\n';
    return;
  }
  out << "file:        " << path << '\n';
  if (parts.version)
    out << "version:     " << *parts.version << "\nname:        " << parts.name << '\n';
  else
    out << "version:     none (the file name does not start with \"<version>_\")\n";
  out << "kind:        code (C++), declared at line " << info.line << '\n'
      << "transaction: " << (info.use_transaction ? "yes" : "no (MIGRATOR_CODE_MIGRATION_NO_TRANSACTION)") << '\n'
      << "up:          " << info.up << "()\n"
      << "down:        " << (info.down.empty() ? "none (rolling back only forgets the version)" : info.down + "()")
      << '\n';
}

void add_inspect_options(po::options_description& options, po::positional_options_description& positional) {
  // clang-format off
  options.add_options()
      ("file", po::value<std::string>()->value_name("FILE"), "the migration file (.sql or .cpp) to inspect")
      ("json", po::bool_switch(), "print one JSON object: version, name, transaction, up, down");
  // clang-format on
  positional.add("file", 1);
}

int run_inspect(command_context& ctx) {
  if (!ctx.vm.count("file"))
    throw migrator::error(migrator::error_code::usage,
                          std::string("app migrate inspect: which file? usage: ") + inspect_usage);
  const std::string path = ctx.vm["file"].as<std::string>();
  const std::string text = read_migration_file(path);
  if (const auto code_parts = migrator::parse_code_file_name(path)) {
    print_code(ctx.out, path, *code_parts, migrator::read_code_source(text, path), ctx.vm["json"].as<bool>());
    return 0;
  }
  // Parse before printing anything: on error stdout stays empty.
  const migrator::migration_body body =
      migrator::parse_migration(text, path, migrator::process_environment());
  const auto parts = migrator::parse_file_name(path);
  if (ctx.vm["json"].as<bool>())
    print_json(ctx.out, parts, body);
  else
    print_text(ctx.out, path, parts, body);
  return 0;
}

}  // namespace

extern const command inspect_command;
const command inspect_command = {
    "inspect",
    "show how a migration file splits into statements",
    inspect_usage,
    "app migrate inspect modules/billing/migrations/04001_billing_init.sql --json",
    &add_inspect_options,
    &run_inspect,
};

}  // namespace app
