#include "modules/digest_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <charconv>
#include <cstdio>
#include <limits>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <utility>
#include <string_view>
#include <system_error>

#include "migrator/error.h"
#include "migrator/parser.h"

namespace migrator::detail {

namespace fs = std::filesystem;

namespace {

// The first line of a cache file; a cache of another format is ignored (and replaced).
constexpr std::string_view format_line = "migrator digest cache 2\n";
constexpr std::string_view listing_prefix = "dir ";  // the start of a folder's line
constexpr std::size_t checksum_size = 64;  // hex SHA-256

std::int64_t nanoseconds_of(const struct timespec& t) {
  return static_cast<std::int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

template <typename T>
bool read_number(std::string_view& line, T& value) {
  const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
  if (ec != std::errc() || end == line.data() + line.size() || *end != ' ') return false;
  line.remove_prefix(static_cast<std::size_t>(end - line.data()) + 1);
  return true;
}

// Without a branch per character: a checksum's digits and letters come in no
// order a branch predictor learns, and the branching form was as costly as
// the rest of find() (perf, W5 status).
bool is_lower_hex(std::string_view text) {
  static constexpr auto not_hex = [] {
    std::array<unsigned char, 256> table{};
    for (int c = 0; c < 256; ++c) table[c] = !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    return table;
  }();
  unsigned char any_not_hex = 0;
  for (const char c : text) any_not_hex |= not_hex[static_cast<unsigned char>(c)];
  return any_not_hex == 0;
}

// A stamp as a line holds it, between the checksum and the key:
// "<size> <mtime_ns> <ctime_ns> <inode> <device> ". write_back writes it;
// find() and listing() check a line's with stamp_is (below), which takes this
// spelling only: a line in any other form (a number with a leading zero or a
// sign) is no match, so its file is read.
constexpr std::size_t stamp_text_capacity = 5 * 21;
std::string_view stamp_text(const file_stamp& s, char (&out)[stamp_text_capacity]) {
  char* at = out;
  const auto put = [&](auto value) {
    at = std::to_chars(at, out + stamp_text_capacity, value).ptr;
    *at++ = ' ';
  };
  put(s.size);
  put(s.mtime_ns);
  put(s.ctime_ns);
  put(s.inode);
  put(s.device);
  return {out, static_cast<std::size_t>(at - out)};
}

// Whether `text` is `s` as stamp_text writes it, read field by field instead
// of formatting `s` to compare: formatting five numbers of up to 19 digits was
// the largest part of find() (callgrind, W5 status: 875 instructions a file).
// std::from_chars reads each field (a minus only on a signed one, nothing past
// what the type holds); what it would also take and to_chars never writes, a
// leading zero or "-0", is no match.
bool stamp_is(std::string_view text, const file_stamp& s) {
  const char* at = text.data();
  const char* const end = at + text.size();
  const auto next_is = [&](auto expected) {
    decltype(expected) value{};
    const auto [past, ec] = std::from_chars(at, end, value);
    if (ec != std::errc() || past == end || *past != ' ') return false;
    const char* const digits = *at == '-' ? at + 1 : at;
    if ((*digits == '0' && past - digits > 1) || (value == 0 && digits != at)) return false;
    at = past + 1;
    return value == expected;
  };
  return next_is(s.size) && next_is(s.mtime_ns) && next_is(s.ctime_ns) && next_is(s.inode) && next_is(s.device) &&
         at == end;
}

// One line, parsed.
struct parsed_line {
  std::string_view checksum, key;
  file_stamp stamp;
};

// One line: "<checksum> <size> <mtime_ns> <ctime_ns> <inode> <device> <key>"; the
// key last, as it may hold spaces (never a newline: such files are not cached).
bool parse_line(std::string_view line, parsed_line& entry) {
  if (line.size() < checksum_size + 1 || line[checksum_size] != ' ') return false;
  const std::string_view checksum = line.substr(0, checksum_size);
  if (!is_lower_hex(checksum)) return false;
  line.remove_prefix(checksum_size + 1);
  file_stamp& s = entry.stamp;
  if (!read_number(line, s.size) || !read_number(line, s.mtime_ns) || !read_number(line, s.ctime_ns) ||
      !read_number(line, s.inode) || !read_number(line, s.device) || line.empty())
    return false;
  entry.checksum = checksum;
  entry.key = line;
  return true;
}

// Where the key of a line starts (past the checksum, or a folder line's
// prefix, and the five numbers), or npos when the line has not that shape;
// the fields themselves are checked when find() or listing() takes the line.
// Here: the stamp's five fields, each ended by a space, start at `stamp_at`.
std::size_t key_after_stamp(std::string_view line, std::size_t stamp_at) {
  std::size_t at = stamp_at;
  for (int field = 0; field < 5; ++field) {
    const std::size_t space = line.find(' ', at);
    if (space == std::string_view::npos) return space;
    at = space + 1;
  }
  return at < line.size() ? at : std::string_view::npos;
}

// A file's line: "<checksum> <stamp><key>".
std::size_t file_key_start(std::string_view line) {
  if (line.size() <= checksum_size || line[checksum_size] != ' ') return std::string_view::npos;
  return key_after_stamp(line, checksum_size + 1);
}

// A folder's line: "dir <stamp><key>\t<names>".
std::size_t folder_key_start(std::string_view line) { return key_after_stamp(line, listing_prefix.size()); }

// A whole file, in one buffer of its size taken from `buffer_of(size)` (one
// allocation, no regrowth: the cache of 10,000 files is about 1.6 MB). Returns
// the errno of the open, fstat or read that failed (0: all of it was read) and
// sets `size` to what was read.
template <typename BufferOf>
int read_whole(const fs::path& file, BufferOf&& buffer_of, std::size_t& size) {
  size = 0;
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  int error = 0;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    error = errno;
  } else if (st.st_size > 0) {
    const auto expected = static_cast<std::size_t>(st.st_size);
    char* const bytes = buffer_of(expected);
    while (size < expected) {
      const ssize_t n = ::read(fd, bytes + size, expected - size);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) error = errno;
      if (n <= 0) break;
      size += static_cast<std::size_t>(n);
    }
  }
  ::close(fd);
  return error;
}

// Into a new file beside `file` (mkstemp: its own name for every writer, also
// threads of one process), then renamed over `file`: a reader sees the old
// cache or the new one, never half of one or a mix of two.
void replace_whole(const fs::path& file, const std::string& text) {
  std::string aside = file.string() + ".XXXXXX";
  const int fd = ::mkstemp(aside.data());
  if (fd < 0) return;
  ::fchmod(fd, 0644);
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  std::error_code ec;
  if (::close(fd) == 0 && done == text.size()) fs::rename(aside, file, ec);
  else ec = std::make_error_code(std::errc::io_error);
  if (ec) fs::remove(aside, ec);
}

}  // namespace

file_stamp stamp_of(const struct stat& st) {
  file_stamp s;
  s.device = static_cast<std::uint64_t>(st.st_dev);
  s.inode = static_cast<std::uint64_t>(st.st_ino);
  s.size = static_cast<std::int64_t>(st.st_size);
  s.mtime_ns = nanoseconds_of(st.st_mtim);
  s.ctime_ns = nanoseconds_of(st.st_ctim);
  return s;
}

digest_cache::digest_cache(fs::path file, std::chrono::nanoseconds racy_window)
    : file_(std::move(file)), racy_window_(racy_window) {
  // Not zero-filled first: the read fills it.
  read_whole(
      file_,
      [this](std::size_t n) {
        text_.reset(new char[n]);
        return text_.get();
      },
      size_);
  // Only the lines' keys are located here: this runs before the loader threads
  // start, and parsing all 10,000 stamps of W5 took 5 to 7 ms of that serial
  // part (3 ms without); find() parses the one line it returns, on a loader
  // thread, and a line it cannot parse is no entry (its file is read).
  const std::string_view text = this->text();
  // Records hold 32-bit offsets: a larger file (not one this program wrote) is no cache.
  if (text.size() >= std::numeric_limits<std::uint32_t>::max()) return;
  if (text.substr(0, format_line.size()) != format_line) return;
  // A last line without its newline: the file was cut short; trust none of it.
  if (text.back() != '\n') return;
  std::vector<record> read;
  std::vector<listing_record> listed;
  read.reserve(text.size() / 128);
  for (std::size_t start = format_line.size(); start < text.size();) {
    const std::size_t end = text.find('\n', start);
    const std::string_view line = text.substr(start, end - start);
    if (line.substr(0, listing_prefix.size()) == listing_prefix) {
      const std::size_t key = folder_key_start(line);
      const std::size_t tab = key == std::string_view::npos ? key : line.find('\t', key);
      if (tab == std::string_view::npos || tab == key) return;  // not a line of this format: none of it is trusted
      listed.push_back({static_cast<std::uint32_t>(start + listing_prefix.size()), static_cast<std::uint32_t>(start + key),
                        static_cast<std::uint32_t>(start + tab + 1), static_cast<std::uint32_t>(end)});
    } else {
      const std::size_t key = file_key_start(line);
      if (key == std::string_view::npos) return;
      read.push_back({static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(start + key),
                      static_cast<std::uint32_t>(end)});
    }
    start = end + 1;
  }
  const auto by_key = [this](const record& a, const record& b) { return key_of(a) < key_of(b); };
  if (!std::is_sorted(read.begin(), read.end(), by_key)) std::sort(read.begin(), read.end(), by_key);
  const auto by_folder = [this](const listing_record& a, const listing_record& b) { return key_of(a) < key_of(b); };
  if (!std::is_sorted(listed.begin(), listed.end(), by_folder)) std::sort(listed.begin(), listed.end(), by_folder);
  records_ = std::move(read);
  found_.assign(records_.size(), 0);
  listings_ = std::move(listed);
  listing_found_.assign(listings_.size(), 0);
}

std::optional<std::vector<std::string_view>> digest_cache::listing(std::string_view key, const file_stamp& stamp) const {
  const auto it = std::lower_bound(listings_.begin(), listings_.end(), key,
                                   [this](const listing_record& r, std::string_view k) { return key_of(r) < k; });
  if (it == listings_.end() || key_of(*it) != key) return std::nullopt;
  if (!stamp_is(text().substr(it->stamp, it->key - it->stamp), stamp)) return std::nullopt;
  // "<name>/<name>/.../": every name ended by a slash, which no file name holds.
  std::string_view names = text().substr(it->names, it->end - it->names);
  std::vector<std::string_view> out;
  for (std::size_t slash; !names.empty(); names.remove_prefix(slash + 1)) {
    slash = names.find('/');
    if (slash == std::string_view::npos || slash == 0) return std::nullopt;  // damaged: the folder is read
    out.push_back(names.substr(0, slash));
  }
  listing_found_[static_cast<std::size_t>(it - listings_.begin())] = 1;
  return out;
}

std::optional<std::string_view> digest_cache::find(std::string_view key, const file_stamp& stamp,
                                                   std::size_t* cursor) const {
  std::size_t at = cursor ? *cursor : records_.size();
  if (at >= records_.size() || key_of(records_[at]) != key) {
    const auto it = std::lower_bound(records_.begin(), records_.end(), key,
                                     [this](const record& r, std::string_view k) { return key_of(r) < k; });
    if (it == records_.end() || key_of(*it) != key) return std::nullopt;
    at = static_cast<std::size_t>(it - records_.begin());
  }
  if (cursor) *cursor = at + 1;
  // The constructor found the checksum's end and the key's start; between
  // them is the stamp. A damaged line is no entry: its file is read.
  const record& r = records_[at];
  const std::string_view recorded = text().substr(r.line + checksum_size + 1, r.key - (r.line + checksum_size + 1));
  if (!stamp_is(recorded, stamp)) return std::nullopt;
  const std::string_view checksum = text().substr(r.line, checksum_size);
  if (!is_lower_hex(checksum)) return std::nullopt;
  found_[at] = 1;
  return checksum;
}

void digest_cache::write_back(std::vector<digest_entry> fresh, std::vector<listing_entry> fresh_listings) const {
  // Nothing read and nothing gone: the file stays as it is (a start writes nothing).
  const auto all_found = [](const std::vector<unsigned char>& found) {
    return std::all_of(found.begin(), found.end(), [](unsigned char f) { return f != 0; });
  };
  if (fresh.empty() && fresh_listings.empty() && all_found(found_) && all_found(listing_found_)) return;
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  const std::int64_t settled_before = nanoseconds_of(now) - racy_window_.count();
  std::vector<parsed_line> lines;
  lines.reserve(fresh.size() + records_.size());
  for (std::size_t i = 0; i < records_.size(); ++i) {
    parsed_line kept;
    if (found_[i] && parse_line(line_of(records_[i]), kept))
      lines.push_back(kept);
  }
  for (const auto& e : fresh)
    if (e.stamp.mtime_ns < settled_before && e.stamp.ctime_ns < settled_before && !e.key.empty() &&
        e.key.find('\n') == std::string::npos && e.checksum.size() == checksum_size)
      lines.push_back({e.checksum, e.key, e.stamp});
  // The folders' lines, kept as they are or made from this load's listings.
  std::vector<std::pair<std::string_view, std::string>> folders;  // key, line
  for (std::size_t i = 0; i < listings_.size(); ++i) {
    if (!listing_found_[i]) continue;
    const auto& r = listings_[i];
    const std::size_t line = r.stamp - listing_prefix.size();
    folders.emplace_back(key_of(r), std::string(text().substr(line, r.end - line)));
  }
  char folder_stamp[stamp_text_capacity];
  const auto plain = [](std::string_view name) { return name.find_first_of("/\n\t") == std::string_view::npos; };
  for (const auto& l : fresh_listings) {
    if (l.stamp.mtime_ns >= settled_before || l.stamp.ctime_ns >= settled_before || l.key.empty() ||
        l.key.find_first_of("\n\t") != std::string::npos ||
        !std::all_of(l.names.begin(), l.names.end(), [&](const std::string& n) { return !n.empty() && plain(n); }))
      continue;
    std::string line(listing_prefix);
    line += stamp_text(l.stamp, folder_stamp);
    line += l.key;
    line += '\t';
    for (const auto& n : l.names) (line += n) += '/';
    folders.emplace_back(l.key, std::move(line));
  }
  // Nothing to keep and nothing kept before: no file of just the format line.
  if (lines.empty() && folders.empty() && records_.empty() && listings_.empty()) return;
  std::sort(lines.begin(), lines.end(), [](const parsed_line& a, const parsed_line& b) { return a.key < b.key; });
  std::string text(format_line);
  text.reserve(format_line.size() + lines.size() * 160);
  char stamp[stamp_text_capacity];
  for (const auto& l : lines) {
    text += l.checksum;
    text += ' ';
    text += stamp_text(l.stamp, stamp);
    text += l.key;
    text += '\n';
  }
  std::sort(folders.begin(), folders.end());
  for (const auto& f : folders) (text += f.second) += '\n';
  std::error_code ec;
  fs::create_directories(file_.parent_path(), ec);
  replace_whole(file_, text);
}

std::string read_deferred_file(const std::string& path) {
  // Read into the string itself: a buffer and a copy of it were two more
  // megabytes of fresh memory for a large migration (W2, BENCHMARKS.md).
  std::string text;
  std::size_t size = 0;
  const int error = read_whole(
      path, [&text](std::size_t n) { text.resize(n); return text.data(); }, size);
  if (error != 0)
    throw parse_error(problem{path, 0, "cannot be read: " + std::error_code(error, std::generic_category()).message()});
  text.resize(size);
  return text;
}

void check_deferred_file(const std::string& path, std::string_view text, const std::string& checksum) {
  if (migration_checksum(text) != checksum)
    throw parse_error(problem{path, 0, "changed while this command ran (its checksum is no longer the one read "
                                       "at the start); nothing of it was run: run the command again"});
}

fs::path digest_cache_file(const fs::path& cache_dir, const fs::path& dir) {
  std::error_code ec;
  fs::path absolute = fs::absolute(dir, ec);
  if (ec) absolute = dir;
  absolute = absolute.lexically_normal();
  // "modules/" and "modules" are one directory, one cache.
  if (absolute.has_parent_path() && absolute.filename().empty()) absolute = absolute.parent_path();
  return cache_dir / (migration_checksum(absolute.string()) + ".digests");
}

std::size_t expected_entries(const fs::path& file) noexcept {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0 || st.st_size <= 0) return 0;
  // About 170 bytes a file: its line (checksum, size, stamps, key) and its
  // name in its folder's listing line (W5's 10,000 files: 1.79 MB).
  constexpr std::size_t bytes_per_file = 170;
  return static_cast<std::size_t>(st.st_size) / bytes_per_file;
}

}  // namespace migrator::detail
