#include "migrator/source.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>
#include <thread>

#include "migrator/parser.h"
#include "modules/digest_cache.h"

namespace migrator {

namespace fs = std::filesystem;

namespace {

// "modules/" and "modules" display the same: paths are built as root + "/" + rest,
// and the embed tool rebases them by that prefix.
std::string display_root(const fs::path& dir) {
  std::string root = dir.string();
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return root.empty() ? "." : root;
}

std::string join(const std::string& root, std::string_view rest) {
  std::string joined;
  joined.reserve(root.size() + 1 + rest.size());
  joined += root;
  if (root != "/") joined += '/';
  joined += rest;
  return joined;
}

// A file that is (or, through symlinks, points to) a regular file, read whole.
// Broken links, link loops, unreadable files and anything that is not a regular
// file become problems instead of being skipped silently: an author who sees no
// error would think the migration is there.
//
// POSIX calls, not std::filesystem and iostreams: every start reads the whole
// module set, and fs::status + ifstream + ostringstream cost two path walks, an
// extra fstat and two locale set-ups per file, more than reading a small
// migration. `name` is opened relative to `dir_fd` (AT_FDCWD for a full path),
// so a folder's files cost one path component each. `known_regular`: the
// directory listing said so (d_type DT_REG), so no fstat is needed: open, read
// (a short read of a regular file is its end) and close.
std::optional<std::string> read_regular_file(int dir_fd, const char* name, const std::string& display,
                                             std::vector<problem>& problems, bool known_regular = false,
                                             struct stat* stamp = nullptr) {
  auto cannot_read = [&](int err) {
    problems.push_back({display, 0, "cannot be read: " + std::error_code(err, std::generic_category()).message()});
    return std::nullopt;
  };
  // O_NONBLOCK: a FIFO named *.sql must be reported, not block the open.
  const int fd = ::openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return cannot_read(errno);
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } close_on_return{fd};
  std::string text;
  std::size_t size = 0;
  struct stat st {};
  // The stamp of a digest cache entry is taken before the read: a file written
  // after it has a newer ctime, so its entry never matches again.
  if (stamp && known_regular && ::fstat(fd, stamp) != 0) return cannot_read(errno);
  if (known_regular) {
    // Most migrations fit in one read into this buffer; the text is then allocated at its size.
    char first[16384];
    ssize_t n;
    while ((n = ::read(fd, first, sizeof first)) < 0 && errno == EINTR) {
    }
    if (n < 0) return cannot_read(errno);
    text.assign(first, static_cast<std::size_t>(n));
    if (static_cast<std::size_t>(n) < sizeof first) return text;  // a short read of a regular file: its end
    size = text.size();
    st.st_size = -1;  // unknown: read on until a short read
  } else {
    if (::fstat(fd, &st) != 0) return cannot_read(errno);
    if (!S_ISREG(st.st_mode)) {
      problems.push_back({display, 0, "is not a regular file"});
      return std::nullopt;
    }
    text.resize(static_cast<std::size_t>(st.st_size) + 1);  // +1: a file that grew is noticed by a full read
    if (stamp) *stamp = st;
  }
  for (;;) {
    if (size == text.size()) text.resize(text.size() * 2);
    const ssize_t n = ::read(fd, &text[size], text.size() - size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return cannot_read(errno);
    }
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
    // Short at the size fstat gave (or, size unknown, any short read of a regular
    // file): the file ends here, no read() just to see EOF.
    if (size < text.size() && (known_regular || size == static_cast<std::size_t>(st.st_size))) break;
  }
  text.resize(size);
  return text;
}

// The digest cache of one load, for the folders of versioned files: what it
// knew, and every cacheable file this load saw.
struct digest_use {
  const detail::digest_cache* known;
  std::vector<detail::digest_entry>* fresh;  // the files this load read
  std::vector<detail::listing_entry>* fresh_listings;  // the folders this load listed
  std::size_t key_offset;  // a display path past this is the cache's key: "<module>/migrations/<file>"
  std::size_t cursor = 0;  // where the cache found this folder's last file, plus one (digest_cache::find)
};

// A versioned .sql file through the digest cache: unchanged since the cache
// recorded it, it is stat'ed, not read (content deferred); otherwise it is read
// and hashed here, on the loader's thread, and remembered unless its header has
// "+migrator" (the assembler reads such headers, so their files are always read).
// False when it could not even be read: the problem is in `problems`.
bool load_through_cache(int dir_fd, const char* file_name, std::string display, digest_use& cache,
                        std::vector<source_file>& files, std::vector<problem>& problems) {
  const std::string_view key = std::string_view(display).substr(std::min(cache.key_offset, display.size()));
  struct stat st {};
  if (::fstatat(dir_fd, file_name, &st, 0) == 0 && S_ISREG(st.st_mode)) {
    if (const auto checksum = cache.known->find(key, detail::stamp_of(st), &cache.cursor)) {
      source_file file{std::move(display), std::string(), nullptr, std::string(*checksum)};
      file.content_deferred = true;
      files.push_back(std::move(file));
      return true;
    }
  }
  auto text = read_regular_file(dir_fd, file_name, display, problems, true, &st);
  if (!text) return false;
  std::string checksum = migration_checksum(*text);
  if (!may_have_migrator_header(*text)) cache.fresh->push_back({std::string(key), detail::stamp_of(st), checksum});
  files.push_back({std::move(display), std::move(*text), nullptr, std::move(checksum)});
  return true;
}

// Lists and reads every "*.sql" (and, with `with_code`, every "*.cpp") in `dir`
// into `files`. Returns whether `dir` is a directory (a missing one is no
// problem: the caller decides); `listed` says whether it could be listed.
// With `cache`, its .sql files go through it (load_through_cache).
bool load_migration_dir(const fs::path& dir, const std::string& display, bool with_code,
                        std::vector<source_file>& files, std::vector<problem>& problems, bool& listed,
                        digest_use* cache = nullptr) {
  listed = false;
  // readdir, not fs::directory_iterator, which builds and parses a path per entry;
  // the folder's fd then opens each file by name (one path component). Opened
  // first: a folder that opens is a directory, and its stamp comes from the fd,
  // so the usual case walks the path once. Only a failure is looked at by path.
  const auto cannot_list = [&](int err) {
    problems.push_back({display, 0, "cannot be listed: " + std::error_code(err, std::generic_category()).message()});
  };
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    const int open_errno = errno;
    if (open_errno == ENOENT) return false;
    std::error_code ec;
    const auto st = fs::status(dir, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) {
      problems.push_back({display, 0, "cannot be read: " + ec.message()});
      return false;
    }
    if (!fs::exists(st)) return false;
    if (!fs::is_directory(st)) {
      problems.push_back({display, 0, "is not a directory"});
      return false;
    }
    cannot_list(open_errno);
    return true;
  }
  const std::unique_ptr<DIR, int (*)(DIR*)> listing(::fdopendir(dir_fd), &::closedir);  // owns dir_fd
  if (!listing) {
    cannot_list(errno);
    ::close(dir_fd);
    return true;
  }
  // The names, each ended by a NUL (openat takes them as they are), in one
  // buffer: a folder of 500 files is one allocation, not one per name.
  struct listed_file {
    std::uint32_t at, size;
    bool regular;  // d_type said DT_REG
  };
  std::string names;
  std::vector<listed_file> migration_files;
  const auto add_name = [&](std::string_view file_name, bool regular) {
    migration_files.push_back({static_cast<std::uint32_t>(names.size()), static_cast<std::uint32_t>(file_name.size()), regular});
    names.append(file_name.data(), file_name.size());
    names.push_back('\0');
  };
  const auto name_of = [&names](const listed_file& f) { return std::string_view(names).substr(f.at, f.size); };
  // The folder's stamp and key, when its listing goes through the cache.
  std::optional<detail::file_stamp> folder_stamp;
  const std::string_view folder_key = cache ? std::string_view(display).substr(std::min(cache->key_offset, display.size()))
                                            : std::string_view();
  if (cache) {
    struct stat st {};
    if (::fstat(dir_fd, &st) == 0) folder_stamp = detail::stamp_of(st);
    if (const auto known = folder_stamp ? cache->known->listing(folder_key, *folder_stamp) : std::nullopt) {
      for (const std::string_view file_name : *known) add_name(file_name, true);  // recorded only when all were regular
      listed = true;
    }
  }
  if (!listed) {
    for (;;) {
      errno = 0;
      const dirent* entry = ::readdir(listing.get());
      if (!entry) {
        if (errno != 0) {
          cannot_list(errno);
          folder_stamp.reset();  // a listing cut short is not kept
        }
        break;
      }
      const std::string_view file_name(entry->d_name);
      // .sql: goose files; .cpp: code migrations (their text: checks and checksum).
      if (file_name.size() >= 4 && (file_name.compare(file_name.size() - 4, 4, ".sql") == 0 ||
                                    (with_code && file_name.compare(file_name.size() - 4, 4, ".cpp") == 0)))
        add_name(file_name, entry->d_type == DT_REG);
    }
    listed = true;
    // Sorted before reading: files and their problems come out in one order everywhere.
    std::sort(migration_files.begin(), migration_files.end(),
              [&](const listed_file& a, const listed_file& b) { return name_of(a) < name_of(b); });
    // Kept for the next load when every name is a regular file (others are
    // looked at on every load: a link may point elsewhere by then).
    if (folder_stamp && std::all_of(migration_files.begin(), migration_files.end(),
                                    [](const listed_file& f) { return f.regular; })) {
      detail::listing_entry entry{std::string(folder_key), *folder_stamp, {}};
      entry.names.reserve(migration_files.size());
      for (const auto& f : migration_files) entry.names.emplace_back(name_of(f));
      cache->fresh_listings->push_back(std::move(entry));
    }
  }
  files.reserve(files.size() + migration_files.size());
  for (const auto& listed : migration_files) {
    const std::string_view file_name = name_of(listed);
    const char* c_name = names.c_str() + listed.at;
    std::string file_display = join(display, file_name);
    if (cache && listed.regular && file_name.compare(file_name.size() - 4, 4, ".sql") == 0) {
      load_through_cache(dir_fd, c_name, std::move(file_display), *cache, files, problems);
      continue;
    }
    if (auto text = read_regular_file(dir_fd, c_name, file_display, problems, listed.regular))
      files.push_back({std::move(file_display), std::move(*text), nullptr});
  }
  return true;
}

// The repeatable migrations and callbacks beside a folder's versioned files
// (SQL only: neither can be a code migration), appended to the same list; the
// assembler tells them apart by their folder (file_role).
void load_side_dirs(const fs::path& dir, const std::string& display, std::vector<source_file>& files,
                    std::vector<problem>& problems) {
  bool listed = false;
  for (const char* side : {callbacks_dir_name, repeatable_dir_name})
    load_migration_dir(dir / side, join(display, side), false, files, problems, listed);
}

source_folder load_folder(const fs::path& dir, const std::string& name, const std::string& display,
                          std::vector<problem>& problems, digest_use* cache) {
  source_folder folder;
  folder.name = name;
  const fs::path migrations = dir / "migrations";
  const std::string migrations_display = join(display, "migrations");
  bool listed = false;
  folder.has_migrations_dir =
      load_migration_dir(migrations, migrations_display, true, folder.files, problems, listed, cache);
  // An unlistable migrations/ is one problem, not a second one for its sqlite/.
  if (!listed) return folder;
  load_side_dirs(migrations, migrations_display, folder.files, problems);
  folder.has_sqlite_dir = load_migration_dir(migrations / "sqlite", join(migrations_display, "sqlite"), true,
                                             folder.sqlite_files, problems, listed, cache);
  if (folder.has_sqlite_dir && listed)
    load_side_dirs(migrations / "sqlite", join(migrations_display, "sqlite"), folder.sqlite_files, problems);
  return folder;
}

source_tree load_directory(const fs::path& dir, const detail::digest_cache* cache) {
  source_tree tree;
  tree.root = display_root(dir);
  tree.manifest_path = join(tree.root, "modules.yaml");

  std::error_code ec;
  auto root_status = fs::status(dir, ec);
  if (ec || !fs::is_directory(root_status)) {
    tree.problems.push_back(
        {tree.root, 0, ec ? "cannot be read: " + ec.message() : std::string("is not a directory")});
    return tree;
  }

  const fs::path manifest = dir / "modules.yaml";
  auto manifest_status = fs::status(manifest, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    tree.problems.push_back({tree.manifest_path, 0, "cannot be read: " + ec.message()});
  } else if (fs::exists(manifest_status)) {
    tree.manifest_text = read_regular_file(AT_FDCWD, manifest.c_str(), tree.manifest_path, tree.problems);
  }

  // Sorted before reading, so problems come out in the same order on every file system.
  std::vector<fs::directory_entry> entries;
  fs::directory_iterator it(dir, ec), end;
  if (ec) {
    tree.problems.push_back({tree.root, 0, "cannot be listed: " + ec.message()});
    return tree;
  }
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    entries.push_back(*it);
  }
  if (ec) tree.problems.push_back({tree.root, 0, "cannot be listed: " + ec.message()});
  std::sort(entries.begin(), entries.end());
  // What each entry gives, in entry order: a folder to load, or a problem.
  struct pending_folder {
    fs::path path;
    std::string name, display;
    source_folder folder;
    std::vector<problem> problems;
    std::vector<detail::digest_entry> fresh{};  // with a digest cache: this folder's files read and cacheable
    std::vector<detail::listing_entry> fresh_listings{};  // and its folders listed
  };
  std::vector<pending_folder> slots;
  for (const auto& entry : entries) {
    std::string name = entry.path().filename().string();
    // Editor and VCS folders (.git, .idea) are not modules.
    if (name.empty() || name[0] == '.' || name == "modules.yaml") continue;
    std::error_code entry_ec;
    const bool is_dir = entry.is_directory(entry_ec);
    std::string display = join(tree.root, name);
    if (entry_ec) {
      // A symlink loop or a dangling link is not silently dropped: it may be a module.
      std::error_code link_ec;
      if (entry.is_symlink(link_ec)) {
        pending_folder failed;
        failed.problems.push_back({display, 0, "cannot be read: " + entry_ec.message()});
        slots.push_back(std::move(failed));
      }
      continue;
    }
    if (!is_dir) continue;  // loose files (README.md) sit beside the modules
    slots.push_back({entry.path(), std::move(name), std::move(display), {}, {}});
  }
  // Reading thousands of small files is mostly kernel time (open, read, close):
  // folders are read on up to four threads, results kept in entry order.
  std::atomic<std::size_t> next{0};
  const auto load_some = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < slots.size();) {
      auto& slot = slots[i];
      if (slot.name.empty()) continue;
      try {
        digest_use use{cache, &slot.fresh, &slot.fresh_listings, tree.root == "/" ? 1 : tree.root.size() + 1};
        slot.folder = load_folder(slot.path, slot.name, slot.display, slot.problems, cache ? &use : nullptr);
      } catch (const std::exception& e) {  // bad_alloc and the like: a problem, not a crash of the thread
        slot.problems.push_back({slot.display, 0, std::string("cannot be read: ") + e.what()});
      }
    }
  };
  const std::size_t folder_count = slots.size();
  const std::size_t helpers =
      folder_count < 2 ? 0
                       : std::min<std::size_t>({3, folder_count - 1, std::max(1u, std::thread::hardware_concurrency()) - 1});
  std::vector<std::thread> threads;
  try {
    for (std::size_t t = 0; t < helpers; ++t) threads.emplace_back(load_some);
  } catch (const std::system_error&) {
    // No thread to spare: this one reads everything.
  }
  load_some();
  for (auto& t : threads) t.join();
  if (cache) {
    std::vector<detail::digest_entry> fresh;
    std::vector<detail::listing_entry> fresh_listings;
    for (auto& slot : slots) {
      std::move(slot.fresh.begin(), slot.fresh.end(), std::back_inserter(fresh));
      std::move(slot.fresh_listings.begin(), slot.fresh_listings.end(), std::back_inserter(fresh_listings));
    }
    cache->write_back(std::move(fresh), std::move(fresh_listings));
  }
  for (auto& slot : slots) {
    tree.problems.insert(tree.problems.end(), std::make_move_iterator(slot.problems.begin()),
                         std::make_move_iterator(slot.problems.end()));
    if (!slot.name.empty()) tree.folders.push_back(std::move(slot.folder));
  }
  return tree;
}

class directory_source final : public migration_source {
 public:
  explicit directory_source(fs::path dir, const std::optional<fs::path>& digest_cache_dir = std::nullopt)
      : dir_(std::move(dir)) {
    // Named once (a hash of the directory's absolute path): expected_files()
    // and load() both come to it in a start with --modules-dir.
    if (digest_cache_dir) cache_file_ = detail::digest_cache_file(*digest_cache_dir, dir_);
  }

  source_tree load() const override {
    try {
      if (cache_file_) {
        const detail::digest_cache cache(*cache_file_);
        return load_directory(dir_, &cache);
      }
      return load_directory(dir_, nullptr);
    } catch (const std::exception& e) {
      // The filesystem API is used without throwing overloads; this is for bad_alloc
      // and the like, which still must not escape as a crash of `validate`.
      source_tree tree;
      tree.root = display_root(dir_);
      tree.manifest_path = join(tree.root, "modules.yaml");
      tree.problems.push_back({tree.root, 0, std::string("cannot be read: ") + e.what()});
      return tree;
    }
  }

  std::string describe() const override { return display_root(dir_); }

  std::size_t expected_files() const override { return cache_file_ ? detail::expected_entries(*cache_file_) : 0; }

 private:
  fs::path dir_;
  std::optional<fs::path> cache_file_;  // the digest cache's file, when there is one
};

class memory_source final : public migration_source {
 public:
  memory_source(source_tree tree, std::string description)
      : tree_(std::move(tree)), description_(std::move(description)) {}
  source_tree load() const override { return tree_; }
  std::string describe() const override { return description_; }

 private:
  source_tree tree_;
  std::string description_;
};

class built_source final : public migration_source {
 public:
  built_source(source_tree (*build)(), std::string description) : build_(build), description_(std::move(description)) {}
  source_tree load() const override { return build_(); }
  std::string describe() const override { return description_; }

 private:
  source_tree (*build_)();
  std::string description_;
};

}  // namespace

std::unique_ptr<migration_source> make_directory_source(fs::path dir) {
  return std::make_unique<directory_source>(std::move(dir));
}

std::unique_ptr<migration_source> make_directory_source(fs::path dir, fs::path digest_cache_dir) {
  return std::make_unique<directory_source>(std::move(dir), std::move(digest_cache_dir));
}

std::unique_ptr<migration_source> make_memory_source(source_tree tree, std::string description) {
  return std::make_unique<memory_source>(std::move(tree), std::move(description));
}

std::unique_ptr<migration_source> make_built_source(source_tree (*build)(), std::string description) {
  return std::make_unique<built_source>(build, std::move(description));
}

migration_role file_role(std::string_view path) noexcept {
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return migration_role::versioned;
  const std::string_view folder = path.substr(0, slash);
  const auto ends_with = [&](std::string_view name) {
    return folder.size() > name.size() && folder.compare(folder.size() - name.size(), name.size(), name) == 0 &&
           folder[folder.size() - name.size() - 1] == '/';
  };
  if (ends_with(repeatable_dir_name)) return migration_role::repeatable;
  if (ends_with(callbacks_dir_name)) return migration_role::callback;
  return migration_role::versioned;
}

const char* to_string(backend_kind backend) noexcept {
  return backend == backend_kind::sqlite ? "SQLite" : "PostgreSQL";
}

}  // namespace migrator
