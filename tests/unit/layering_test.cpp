// The include rules of the source tree (issue #25, docs/architecture.md): core/src
// is layered bottom-up by subsystem, each third-party library stays in the one
// folder that wraps it, the public headers name no dependency, and cmd/ uses the
// public API only. check_layering() reads every #include under a root directory
// and names each include that breaks a rule; the first tests run it on small fake
// trees (so a forbidden include is shown failing), the last on this repository.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "test_support.h"

namespace {

namespace fs = std::filesystem;

// The folders of core/src, bottom-up. A folder may include private headers from
// itself and from folders of a lower rank only; folders of one rank stay apart.
struct layer {
  const char* folder;
  int rank;
};
const std::vector<layer> layers = {
    {"support", 0},           // errors, log, environment, host name, text: needed by everything
    {"format", 1},            // goose file parsing, pure
    {"modules", 2},           // module sources, embedded sets, assembler, baselines
    {"plan", 3},              // planner and status, pure
    {"lint", 4},              // the linter reads plans and files, never a database
    {"backend", 5},           // what both backends share, and the factory that picks one
    {"backend/postgres", 5},  // PostgreSQL sessions, history, locks
    {"backend/sqlite", 5},    // SQLite sessions, history, locks
    {"schema", 6},            // fingerprint, introspection, dump, verify, squash: over a backend
    {"engine", 7},            // the run loop over plans, backends and schemas
    {"fleet", 8},             // many engines, one per target
    {"startup", 8},           // an engine at program start
};

// The one file of backend/ that opens a concrete backend from a DSN (open_backend,
// migrator/backend.h) and so may name backend/postgres and backend/sqlite headers.
const std::vector<std::string> backend_factory_files = {"backend/factory.cpp"};

const std::vector<std::string> pure_folders = {"support", "format", "modules", "plan", "lint"};

// Where a scanned file lives: a core/src folder, the public headers or cmd.
const std::string public_folder = "core/include/migrator";
const std::string cmd_folder = "cmd";

struct source_file {
  std::string path;    // relative to the root, e.g. core/src/format/parser.cpp
  std::string folder;  // a layer's folder, public_folder or cmd_folder
  std::string name;    // under core/src (backend/factory.cpp); for cmd/ and the public headers, path
};

enum class header_kind { standard, public_api, private_core, local, third_party };

struct included {
  std::string spelled;  // as written: "backend/postgres/pg_session.h" or <sqlite3.h>
  std::string target;   // between the delimiters
  header_kind kind = header_kind::standard;
  std::string folder;   // for private_core: the core/src folder it lives in
  std::string library;  // for third_party: libpq, sqlite3, pg_query, spdlog, ...
};

bool is_backend_family(const std::string& folder) { return folder.rfind("backend", 0) == 0; }

bool is_pure(const std::string& folder) {
  return std::find(pure_folders.begin(), pure_folders.end(), folder) != pure_folders.end();
}

std::optional<int> rank_of(const std::string& folder) {
  for (const auto& l : layers)
    if (folder == l.folder) return l.rank;
  return std::nullopt;
}

// The deepest layer folder that `relative` (a path under core/src) lies in.
std::optional<std::string> layer_folder_of(const std::string& relative) {
  std::optional<std::string> best;
  for (const auto& l : layers) {
    const std::string prefix = std::string(l.folder) + "/";
    if (relative.rfind(prefix, 0) == 0 && relative.find('/', prefix.size()) == std::string::npos &&
        (!best || best->size() < prefix.size() - 1))
      best = l.folder;
  }
  return best;
}

// Third-party libraries by how their headers are named.
std::optional<std::string> library_of(const std::string& target) {
  static const std::vector<std::pair<std::string, std::string>> prefixes = {
      {"libpq-fe.h", "libpq"},    {"libpq/", "libpq"},   {"pqxx/", "libpq"},        {"sqlite3.h", "sqlite3"},
      {"pg_query.h", "pg_query"}, {"spdlog/", "spdlog"}, {"yaml-cpp/", "yaml-cpp"}, {"nlohmann/", "nlohmann"},
      {"openssl/", "openssl"},    {"boost/", "boost"}};
  for (const auto& [prefix, library] : prefixes)
    if (target.rfind(prefix, 0) == 0) return library;
  return std::nullopt;
}

included classify(const source_file& from, char delimiter, const std::string& target) {
  included inc;
  inc.target = target;
  inc.spelled = delimiter == '"' ? "\"" + target + "\"" : "<" + target + ">";
  if (target.rfind("migrator/", 0) == 0) {
    inc.kind = header_kind::public_api;
  } else if (auto library = library_of(target)) {
    inc.kind = header_kind::third_party;
    inc.library = *library;
  } else if (delimiter == '<') {
    inc.kind = header_kind::standard;
  } else if (auto folder = layer_folder_of(target)) {
    inc.kind = header_kind::private_core;
    inc.folder = *folder;
  } else if (target.find('/') == std::string::npos && rank_of(from.folder)) {
    // "x.h" next to the including file: its own folder's private header.
    inc.kind = header_kind::private_core;
    inc.folder = from.folder;
  } else {
    inc.kind = header_kind::local;  // cmd's own headers
  }
  return inc;
}

// The rules, in the order they are tried; an include is reported under the first
// rule it breaks. `breaks` says whether `inc`, included by `file`, breaks the rule.
struct rule {
  const char* name;
  std::function<bool(const source_file& file, const included& inc)> breaks;
};
const std::vector<rule> rules = {
    // Consumers build against the installed headers with none of our dependencies
    // (core/CMakeLists.txt links them privately).
    {"public headers name no third-party library",
     [](const source_file& f, const included& i) {
       return f.folder == public_folder && i.kind == header_kind::third_party;
     }},
    // core/src is not installed; a public header naming it breaks every consumer.
    {"public headers include only public headers",
     [](const source_file& f, const included& i) {
       return f.folder == public_folder && i.kind == header_kind::private_core;
     }},
    // cmd/ is one client of the library among others (examples/consumer) and gets
    // nothing they could not have.
    {"cmd uses the public API only",
     [](const source_file& f, const included& i) {
       return f.folder == cmd_folder && i.kind == header_kind::private_core;
     }},
    // One folder per database library: its types, errors and quirks do not leak.
    {"only backend/postgres includes libpq or libpqxx",
     [](const source_file& f, const included& i) {
       return i.library == "libpq" && f.folder != "backend/postgres";
     }},
    {"only backend/sqlite includes sqlite3.h",
     [](const source_file& f, const included& i) {
       return i.library == "sqlite3" && f.folder != "backend/sqlite";
     }},
    // The PostgreSQL parser is the linter's tool; nothing else parses SQL with it.
    {"only lint includes pg_query.h",
     [](const source_file& f, const included& i) { return i.library == "pg_query" && f.folder != "lint"; }},
    // Parsing, assembling, planning and linting run without a database (unit tests,
    // `inspect`, `lint`), so they never see one.
    {"pure folders stay off the database",
     [](const source_file& f, const included& i) {
       if (!is_pure(f.folder)) return false;
       static const std::vector<std::string> database_api = {"migrator/postgres.h", "migrator/sqlite.h",
                                                             "migrator/engine.h", "migrator/backend.h"};
       if (i.kind == header_kind::public_api)
         return std::find(database_api.begin(), database_api.end(), i.target) != database_api.end();
       return i.kind == header_kind::private_core && is_backend_family(i.folder);
     }},
    // The two backends share backend/ and know nothing of each other.
    {"backend/postgres and backend/sqlite stay apart",
     [](const source_file& f, const included& i) {
       return i.kind == header_kind::private_core && is_backend_family(f.folder) &&
              is_backend_family(i.folder) && f.folder != "backend" && i.folder != "backend" &&
              f.folder != i.folder;
     }},
    // Only the factory chooses a backend; the rest of backend/ serves both.
    {"only the backend factory includes a concrete backend",
     [](const source_file& f, const included& i) {
       return i.kind == header_kind::private_core && f.folder == "backend" && i.folder != "backend" &&
              is_backend_family(i.folder) &&
              std::find(backend_factory_files.begin(), backend_factory_files.end(), f.name) ==
                  backend_factory_files.end();
     }},
    // Dependencies point down the table of layers; a folder never includes its
    // peers or anything above it.
    {"layers include only themselves and lower layers",
     [](const source_file& f, const included& i) {
       if (i.kind != header_kind::private_core || i.folder == f.folder) return false;
       const auto from = rank_of(f.folder), to = rank_of(i.folder);
       if (!from || !to) return false;
       if (is_backend_family(f.folder) && is_backend_family(i.folder)) return false;  // the two rules above
       return *to >= *from;
     }},
};

bool is_source(const fs::path& p) {
  const auto ext = p.extension().string();
  return ext == ".cpp" || ext == ".h" || ext == ".hpp" || ext == ".cc";
}

std::string relative_text(const fs::path& p, const fs::path& base) {
  return p.lexically_relative(base).generic_string();
}

struct layering_report {
  std::vector<std::string> violations;       // "path:line: folder may not include header (rule: name)"
  std::map<std::string, int> files_scanned;  // per folder
};

void check_file(const fs::path& root, const source_file& file, layering_report& report) {
  ++report.files_scanned[file.folder];
  std::ifstream in(root / file.path);
  static const std::regex include_line(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])");
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::smatch m;
    if (!std::regex_search(line, m, include_line)) continue;
    const included inc = classify(file, m[1].str()[0], m[2].str());
    for (const auto& r : rules) {
      if (!r.breaks(file, inc)) continue;
      report.violations.push_back(file.path + ":" + std::to_string(number) + ": " + file.folder +
                                  " may not include " + inc.spelled + " (rule: " + r.name + ")");
      break;
    }
  }
}

// Scans root/core/src, root/core/include/migrator and root/cmd.
layering_report check_layering(const fs::path& root) {
  layering_report report;
  std::vector<fs::path> paths;
  for (const char* top : {"core/src", "core/include/migrator", "cmd"})
    if (fs::is_directory(root / top))
      for (const auto& entry : fs::recursive_directory_iterator(root / top))
        if (entry.is_regular_file() && is_source(entry.path())) paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());

  const fs::path core_src = root / "core" / "src";
  for (const auto& p : paths) {
    source_file file;
    file.path = relative_text(p, root);
    if (file.path.rfind("core/src/", 0) == 0) {
      const std::string inside = relative_text(p, core_src);
      if (inside.find('/') == std::string::npos) {
        // Placement, not an include: every source file belongs to a subsystem.
        report.violations.push_back(
            file.path +
            ": no source file at the top level of core/src (rule: every file in a subsystem folder)");
        continue;
      }
      const auto folder = layer_folder_of(inside);
      if (!folder) {
        report.violations.push_back(
            file.path + ": " + fs::path(inside).parent_path().generic_string() +
            " is not a folder of the layering table (rule: every folder has a layer)");
        continue;
      }
      file.folder = *folder;
      file.name = inside;
    } else {
      file.folder = file.path.rfind("cmd/", 0) == 0 ? cmd_folder : public_folder;
      file.name = file.path;
    }
    check_file(root, file, report);
  }
  return report;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  return text;
}

// A fake tree, one file a row, with the violation the check must report for it
// ("" for a file that keeps the rules).
struct fake_file {
  const char* path;
  const char* text;
  const char* violation;
};
const std::vector<fake_file> fake_tree = {
    {"core/src/format/x.cpp", "#include <string>\n\n#include \"backend/postgres/pg_session.h\"\n",
     "core/src/format/x.cpp:3: format may not include \"backend/postgres/pg_session.h\" "
     "(rule: pure folders stay off the database)"},
    {"core/src/support/y.cpp", "// a comment\n#include <sqlite3.h>\n",
     "core/src/support/y.cpp:2: support may not include <sqlite3.h> (rule: only backend/sqlite includes "
     "sqlite3.h)"},
    {"core/src/z.cpp", "#include \"support/y.h\"\n",
     "core/src/z.cpp: no source file at the top level of core/src (rule: every file in a subsystem folder)"},
    {"core/src/backend/postgres/a.cpp", "#include \"backend/sqlite/b.h\"\n",
     "core/src/backend/postgres/a.cpp:1: backend/postgres may not include \"backend/sqlite/b.h\" "
     "(rule: backend/postgres and backend/sqlite stay apart)"},
    {"core/src/backend/c.cpp", "#include \"backend/postgres/a.h\"\n",
     "core/src/backend/c.cpp:1: backend may not include \"backend/postgres/a.h\" "
     "(rule: only the backend factory includes a concrete backend)"},
    {"core/src/plan/p.cpp", "#include \"schema/s.h\"\n",
     "core/src/plan/p.cpp:1: plan may not include \"schema/s.h\" "
     "(rule: layers include only themselves and lower layers)"},
    {"core/src/plan/q.cpp", "#include \"migrator/engine.h\"\n",
     "core/src/plan/q.cpp:1: plan may not include \"migrator/engine.h\" (rule: pure folders stay off the "
     "database)"},
    {"core/src/fleet/f.cpp", "#include \"startup/s.h\"\n",
     "core/src/fleet/f.cpp:1: fleet may not include \"startup/s.h\" "
     "(rule: layers include only themselves and lower layers)"},
    {"core/src/schema/d.cpp", "  #  include <libpq-fe.h>\n",
     "core/src/schema/d.cpp:1: schema may not include <libpq-fe.h> "
     "(rule: only backend/postgres includes libpq or libpqxx)"},
    {"core/src/engine/e.cpp", "#include <pg_query.h>\n",
     "core/src/engine/e.cpp:1: engine may not include <pg_query.h> (rule: only lint includes pg_query.h)"},
    {"core/src/gadgets/g.cpp", "#include <string>\n",
     "core/src/gadgets/g.cpp: gadgets is not a folder of the layering table (rule: every folder has a "
     "layer)"},
    {"core/include/migrator/bad.h", "#pragma once\n#include <yaml-cpp/yaml.h>\n",
     "core/include/migrator/bad.h:2: core/include/migrator may not include <yaml-cpp/yaml.h> "
     "(rule: public headers name no third-party library)"},
    {"core/include/migrator/leak.h", "#pragma once\n#include \"lint/rules.h\"\n",
     "core/include/migrator/leak.h:2: core/include/migrator may not include \"lint/rules.h\" "
     "(rule: public headers include only public headers)"},
    {"cmd/tool.cpp", "#include \"engine/remedies.h\"\n",
     "cmd/tool.cpp:1: cmd may not include \"engine/remedies.h\" (rule: cmd uses the public API only)"},
    // Files that keep the rules, one in every folder the check knows.
    {"core/src/support/text.h", "#pragma once\n#include <string>\n", ""},
    {"core/src/format/parse.cpp",
     "#include \"support/text.h\"\n#include \"migrator/parser.h\"\n#include <openssl/evp.h>\n", ""},
    {"core/src/modules/set.cpp", "#include \"format/parse.h\"\n#include <yaml-cpp/yaml.h>\n", ""},
    {"core/src/plan/plan.cpp", "#include \"modules/set.h\"\n#include \"plan.h\"\n", ""},
    {"core/src/lint/sql.cpp", "#include <pg_query.h>\n#include \"sql.h\"\n#include \"plan/plan.h\"\n", ""},
    {"core/src/backend/factory.cpp",
     "#include \"backend/postgres/pg.h\"\n#include \"backend/sqlite/lite.h\"\n", ""},
    {"core/src/backend/postgres/pg.cpp",
     "#include <libpq-fe.h>\n#include <pqxx/pqxx>\n#include \"backend/shared.h\"\n", ""},
    {"core/src/backend/sqlite/lite.cpp", "#include <sqlite3.h>\n#include \"backend/shared.h\"\n", ""},
    {"core/src/schema/dump.cpp", "#include \"backend/shared.h\"\n#include \"migrator/postgres.h\"\n", ""},
    {"core/src/engine/run.cpp", "#include \"schema/dump.h\"\n#include \"lint/sql.h\"\n", ""},
    {"core/src/fleet/many.cpp", "#include \"engine/run.h\"\n", ""},
    {"core/src/startup/start.cpp", "#include \"engine/run.h\"\n", ""},
    {"core/include/migrator/api.h", "#pragma once\n#include <vector>\n#include \"migrator/parser.h\"\n", ""},
    {"cmd/main.cpp", "#include <spdlog/spdlog.h>\n#include \"migrator/api.h\"\n#include \"cli.h\"\n", ""},
};

TEST(LayeringCheck, NamesEachForbiddenIncludeWithFileAndLine) {
  testing_support::temp_dir tree;
  std::vector<std::string> expected;
  for (const auto& f : fake_tree) {
    tree.write(f.path, f.text);
    if (*f.violation) expected.push_back(f.violation);
  }
  std::sort(expected.begin(), expected.end());  // the check reads files in path order
  ASSERT_EQ(expected.size(), 14u);
  EXPECT_EQ(joined(check_layering(tree.path()).violations), joined(expected));
}

TEST(LayeringCheck, AcceptsATreeThatKeepsTheRules) {
  testing_support::temp_dir tree;
  for (const auto& f : fake_tree)
    if (!*f.violation) tree.write(f.path, f.text);
  const auto report = check_layering(tree.path());
  EXPECT_EQ(joined(report.violations), "");
  EXPECT_EQ(report.files_scanned.size(), layers.size() + 2);  // every layer, the public headers and cmd/
}

// Every folder of the table, the public headers and cmd/ hold files that were read,
// so an empty or misplaced scan cannot pass.
TEST(Layering, TheRepositoryKeepsTheRules) {
  const auto report = check_layering(MIGRATOR_SOURCE_DIR);
  EXPECT_TRUE(report.violations.empty())
      << joined(report.violations) << "move the include or the file; the rules are in " << __FILE__;
  std::vector<std::string> folders = {public_folder, cmd_folder};
  for (const auto& l : layers) folders.push_back(l.folder);
  for (const auto& folder : folders) {
    const auto it = report.files_scanned.find(folder);
    EXPECT_TRUE(it != report.files_scanned.end() && it->second > 0) << "no file scanned in " << folder;
  }
}

}  // namespace
