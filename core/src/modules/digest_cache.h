// The digests of a modules directory's files from the last load, kept in one
// small file outside the directory, so that a later load can take a file's
// checksum from its stat instead of opening and reading it. Measured here, one
// thread, 10,000 files: a stat of each 25 ms, an open, read and close of each
// 57 ms; a load of W5 (BENCHMARKS.md) is mostly those calls.
//
// A digest is reused only when the file's device, inode, size, mtime and ctime
// (to the nanosecond) are all as recorded. ctime is set by the kernel on every
// write, rename or chmod and cannot be set back by a program, so a changed
// file does not match. A file changed within the kernel's timestamp tick of
// the stat would keep its stamp: an entry is therefore recorded only when the
// file's times are at least `racy_window` older than the moment of recording,
// and such a file is read again on the next load.
//
// It also keeps the listing of each folder a load read it from: the names of
// its *.sql and *.cpp files, with the folder's own stamp. Creating, removing or
// renaming an entry of a directory sets its mtime and ctime (POSIX), so a
// folder whose stamp is as recorded holds the same names, and a load takes
// them from the cache instead of reading the folder (10,000 entries were about
// 3 ms of one core on this machine's ext4). A file edited in place changes no
// folder's stamp; its own stamp tells, as above.
//
// The cache is best effort: a missing, unreadable or malformed cache file (a
// foreign format line, a line cut short or of another shape) is an empty
// cache, a line whose checksum or numbers do not parse is no entry (its file
// is read), and a cache that cannot be written is not written.
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <optional>
#include <string_view>
#include <vector>

namespace migrator::detail {

// What a file's stat said when its digest was taken.
struct file_stamp {
  std::uint64_t device = 0, inode = 0;
  std::int64_t size = 0, mtime_ns = 0, ctime_ns = 0;
  bool operator==(const file_stamp& o) const {
    return device == o.device && inode == o.inode && size == o.size && mtime_ns == o.mtime_ns && ctime_ns == o.ctime_ns;
  }
};
file_stamp stamp_of(const struct stat& st);

// A folder a load listed: what the cache records for it.
struct listing_entry {
  std::string key;  // the folder's path under the modules directory: "<module>/migrations"
  file_stamp stamp;
  std::vector<std::string> names;  // its *.sql and *.cpp files, each a regular file, in name order
};

// A file a load read: what the cache records for it.
struct digest_entry {
  std::string key;  // the file's path under the modules directory: "<module>/migrations/<file>.sql"
  file_stamp stamp;
  std::string checksum;
};

class digest_cache {
 public:
  // Entries of files whose times are this close to the recording moment are not kept.
  static constexpr std::chrono::nanoseconds default_racy_window = std::chrono::seconds(2);

  // `file`: where the cache of one modules directory lives (digest_cache_file).
  explicit digest_cache(std::filesystem::path file,
                        std::chrono::nanoseconds racy_window = default_racy_window);

  // The checksum recorded for `key`, if the file still has `stamp`; else
  // nullopt. Loader threads call it concurrently (each marks only its own
  // entries as seen). `cursor`, when given, is where the caller's last key
  // was found plus one: a folder's files are looked up in the cache's order,
  // so the next key is usually there and the search is skipped.
  std::optional<std::string_view> find(std::string_view key, const file_stamp& stamp,
                                       std::size_t* cursor = nullptr) const;

  // The names recorded for the folder `key` (listing_entry::names), as views
  // into the cache, if the folder still has `stamp`; else nullopt. Called
  // concurrently like find().
  std::optional<std::vector<std::string_view>> listing(std::string_view key, const file_stamp& stamp) const;

  // Rewrites the cache file as every entry find() and listing() returned plus
  // `fresh` and `fresh_listings` (the files read and the folders listed this
  // load), racy ones left out, unless that is what it holds.
  void write_back(std::vector<digest_entry> fresh, std::vector<listing_entry> fresh_listings = {}) const;

 private:
  // One line of the cache file, as offsets into its text: 12 bytes, not the
  // 72 of views and a parsed stamp (the stamp of a key's line is parsed again
  // when find() compares it).
  struct record {
    std::uint32_t line;  // its checksum's first byte
    std::uint32_t key;   // its key's first byte
    std::uint32_t end;   // its newline
  };
  std::string_view text() const { return {text_.get(), size_}; }
  std::string_view key_of(const record& r) const { return text().substr(r.key, r.end - r.key); }
  std::string_view line_of(const record& r) const { return text().substr(r.line, r.end - r.line); }
  std::filesystem::path file_;
  std::chrono::nanoseconds racy_window_;
  std::unique_ptr<char[]> text_;  // the cache file as read
  std::size_t size_ = 0;
  std::vector<record> records_;  // sorted by key
  mutable std::vector<unsigned char> found_;  // per record: find() returned it
  // A folder's line: "dir <stamp text><key>\t<name>/<name>/.../\n".
  struct listing_record {
    std::uint32_t stamp;  // its stamp text's first byte
    std::uint32_t key;    // its key's first byte
    std::uint32_t names;  // the first byte after its tab
    std::uint32_t end;    // its newline
  };
  std::string_view key_of(const listing_record& r) const { return text().substr(r.key, r.names - 1 - r.key); }
  std::vector<listing_record> listings_;  // sorted by key
  mutable std::vector<unsigned char> listing_found_;  // per listing: listing() returned it
};

// The text of a file whose content a load deferred (source_file::content_deferred),
// read now. Throws parse_error naming `path` when it cannot be read.
std::string read_deferred_file(const std::string& path);
// Throws parse_error naming `path` when the checksum of `text`, read by
// read_deferred_file, is no longer `checksum`: the file changed after the
// load, and what is applied must be what the checksum recorded says.
void check_deferred_file(const std::string& path, std::string_view text, const std::string& checksum);

// The cache file of the modules directory `dir` inside `cache_dir`: named by
// the SHA-256 of the directory's absolute path, so that two checkouts never
// share one.
std::filesystem::path digest_cache_file(const std::filesystem::path& cache_dir, const std::filesystem::path& dir);

// About how many files the cache file `file` records (0 when there is none),
// from its size alone: a guess before it is read (migration_source::expected_files).
std::size_t expected_entries(const std::filesystem::path& file) noexcept;

}  // namespace migrator::detail
