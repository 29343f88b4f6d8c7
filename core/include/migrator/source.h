// Seam: where migrations come from. A source yields the raw tree of a module
// set (manifest text and each folder's .sql and .cpp files); the assembler turns it into
// one ordered sequence. The embedded set (compiled into the binary) and a
// directory given with --modules-dir are two sources behind the same assembler.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "migrator/error.h"
#include "migrator/migration.h"

namespace migrator {

struct code_migration;  // migrator/code_migration.h

struct source_file {
  std::string path;     // display path: "<root>/<module>/migrations/<file>.sql" (or .cpp)
  std::string content;  // bytes as read
  // A .cpp code migration's compiled definition, when the source has it (the
  // embedded set); null for .sql files and for code read from a directory.
  const code_migration* code = nullptr;
  // migration_checksum(content) (migrator/parser.h), when the source computed it
  // already: the embedded set carries the checksums tools/embed_migrations computed
  // at build time, so a start hashes nothing. nullopt: the assembler hashes content.
  std::optional<std::string> checksum = std::nullopt;
  // True when `content` was not read: a directory source with a digest cache
  // found the file unchanged since a load that read it, took `checksum` from
  // the cache, and knows the file has no "+migrator" header. The assembler
  // gives its migration a body that reads the file on first use (and refuses
  // a text whose checksum is not `checksum`).
  bool content_deferred = false;
};

// Which database a set of migration files is written for. A module keeps its
// PostgreSQL files in migrations/ and its SQLite files in migrations/sqlite/
// (docs/sqlite.md), with the same versions and names.
enum class backend_kind { postgres, sqlite };
const char* to_string(backend_kind backend) noexcept;

// The folders beside a module's versioned files: migrations/repeatable/ and
// migrations/callbacks/ (and the same under migrations/sqlite/).
inline constexpr const char* repeatable_dir_name = "repeatable";
inline constexpr const char* callbacks_dir_name = "callbacks";

// Which kind of file a display path is, by the folder it is in:
// ".../repeatable/x.sql" a repeatable, ".../callbacks/x.sql" a callback, else versioned.
migration_role file_role(std::string_view path) noexcept;

struct source_folder {
  std::string name;                 // the folder's name under the root
  bool has_migrations_dir = false;  // "<root>/<name>/migrations" exists
  // Every "*.sql" and "*.cpp" in migrations/ sorted by path, then every "*.sql"
  // in migrations/callbacks/ and in migrations/repeatable/, each sorted by path.
  std::vector<source_file> files;
  bool has_sqlite_dir = false;      // "<root>/<name>/migrations/sqlite" exists
  std::vector<source_file> sqlite_files{};  // the same for migrations/sqlite/

  const std::vector<source_file>& files_for(backend_kind backend) const {
    return backend == backend_kind::sqlite ? sqlite_files : files;
  }
  std::vector<source_file>& files_for(backend_kind backend) {
    return backend == backend_kind::sqlite ? sqlite_files : files;
  }
};

struct source_tree {
  std::string root;                          // display root, e.g. "modules"
  std::string manifest_path;                 // "<root>/modules.yaml"
  std::optional<std::string> manifest_text;  // nullopt: no manifest
  std::vector<source_folder> folders;        // every sub-directory of root, sorted by name
  std::vector<problem> problems;             // what could not be read (permissions, loops)
};

class migration_source {
 public:
  virtual ~migration_source() = default;
  virtual source_tree load() const = 0;
  // For messages: "embedded modules" or the directory.
  virtual std::string describe() const = 0;
  // A guess, before load(), at how many files it returns (0: no guess), for a
  // caller that prepares for a large set before reading it (the app's
  // allocator). A directory with a digest cache guesses from the cache file's
  // size; the other sources do not guess.
  virtual std::size_t expected_files() const { return 0; }
};

// Reads DIR/modules.yaml, DIR/<name>/migrations/*.{sql,cpp} and
// DIR/<name>/migrations/sqlite/*.{sql,cpp} at load() time.
// Display paths start with DIR as given (a trailing '/' dropped). Folders whose
// name starts with '.' are skipped, loose files beside the modules and other
// files are ignored. Code migrations read this way have no compiled code. Never throws: whatever cannot be read is in `problems`.
std::unique_ptr<migration_source> make_directory_source(std::filesystem::path dir);

// The same, keeping the checksums of DIR's versioned .sql files in a cache
// file inside `digest_cache_dir` (created when missing): a later load takes an
// unchanged file's checksum from its stat and defers reading it
// (source_file::content_deferred). For loads whose files are assembled with
// parse_time::on_use (status, up); a cache that cannot be read or written is
// no problem, only slower.
std::unique_ptr<migration_source> make_directory_source(std::filesystem::path dir,
                                                        std::filesystem::path digest_cache_dir);

// A tree held in memory (used by tests): each load() copies it.
std::unique_ptr<migration_source> make_memory_source(source_tree tree, std::string description);

// A tree built by `build` at each load() (the generated embedded set builds it
// from the program's static data: the files' text is copied once, not twice).
std::unique_ptr<migration_source> make_built_source(source_tree (*build)(), std::string description);

}  // namespace migrator
