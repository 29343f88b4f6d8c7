#include "modules/digest_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
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
constexpr std::string_view format_line = "migrator digest cache 1\n";
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

bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// One line: "<checksum> <size> <mtime_ns> <ctime_ns> <inode> <device> <key>"; the
// key last, as it may hold spaces (never a newline: such files are not cached).
template <typename Record>
bool parse_line(std::string_view line, Record& entry) {
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

// A whole file, in one buffer of its size, not zero-filled first (one
// allocation, no regrowth: the cache of 10,000 files is about 1.6 MB).
struct whole_file {
  std::unique_ptr<char[]> bytes;
  std::size_t size = 0;
  int error = 0;  // errno of the open, fstat or read that failed; 0: all of it was read
};

whole_file read_whole(const fs::path& file) {
  whole_file whole;
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    whole.error = errno;
    return whole;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    whole.error = errno;
  } else if (st.st_size > 0) {
    const auto size = static_cast<std::size_t>(st.st_size);
    whole.bytes.reset(new char[size]);
    while (whole.size < size) {
      const ssize_t n = ::read(fd, whole.bytes.get() + whole.size, size - whole.size);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) whole.error = errno;
      if (n <= 0) break;
      whole.size += static_cast<std::size_t>(n);
    }
  }
  ::close(fd);
  return whole;
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
  whole_file whole = read_whole(file_);
  text_ = std::move(whole.bytes);
  const std::string_view text(text_.get(), whole.size);
  if (text.substr(0, format_line.size()) != format_line) return;
  std::vector<record> read;
  read.reserve(text.size() / 128);
  for (std::size_t start = format_line.size(); start < text.size();) {
    const std::size_t end = text.find('\n', start);
    // A line without its newline: the file was cut short; trust none of it.
    if (end == std::string_view::npos) return;
    record r;
    if (!parse_line(text.substr(start, end - start), r)) return;
    read.push_back(r);
    start = end + 1;
  }
  const auto by_key = [](const record& a, const record& b) { return a.key < b.key; };
  if (!std::is_sorted(read.begin(), read.end(), by_key)) std::sort(read.begin(), read.end(), by_key);
  records_ = std::move(read);
  found_.assign(records_.size(), 0);
}

std::optional<std::string_view> digest_cache::find(std::string_view key, const file_stamp& stamp) const {
  const auto it = std::lower_bound(records_.begin(), records_.end(), key,
                                   [](const record& r, std::string_view k) { return r.key < k; });
  if (it == records_.end() || it->key != key || !(it->stamp == stamp)) return std::nullopt;
  found_[static_cast<std::size_t>(it - records_.begin())] = 1;
  return it->checksum;
}

void digest_cache::write_back(std::vector<digest_entry> fresh) const {
  // Nothing read and nothing gone: the file stays as it is (a start writes nothing).
  if (fresh.empty() && std::all_of(found_.begin(), found_.end(), [](unsigned char f) { return f != 0; })) return;
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  const std::int64_t settled_before = nanoseconds_of(now) - racy_window_.count();
  struct line {
    std::string_view key, checksum;
    const file_stamp* stamp;
  };
  std::vector<line> lines;
  lines.reserve(fresh.size() + records_.size());
  for (std::size_t i = 0; i < records_.size(); ++i)
    if (found_[i]) lines.push_back({records_[i].key, records_[i].checksum, &records_[i].stamp});
  for (const auto& e : fresh)
    if (e.stamp.mtime_ns < settled_before && e.stamp.ctime_ns < settled_before && !e.key.empty() &&
        e.key.find('\n') == std::string::npos && e.checksum.size() == checksum_size)
      lines.push_back({e.key, e.checksum, &e.stamp});
  std::sort(lines.begin(), lines.end(), [](const line& a, const line& b) { return a.key < b.key; });
  std::string text(format_line);
  text.reserve(format_line.size() + lines.size() * 160);
  char number[24];
  const auto append_number = [&](auto value) {
    const std::to_chars_result written = std::to_chars(number, number + sizeof number, value);
    text += ' ';
    text.append(number, static_cast<std::size_t>(written.ptr - number));
  };
  for (const auto& l : lines) {
    text += l.checksum;
    append_number(l.stamp->size);
    append_number(l.stamp->mtime_ns);
    append_number(l.stamp->ctime_ns);
    append_number(l.stamp->inode);
    append_number(l.stamp->device);
    text += ' ';
    text += l.key;
    text += '\n';
  }
  std::error_code ec;
  fs::create_directories(file_.parent_path(), ec);
  replace_whole(file_, text);
}

std::string read_deferred_file(const std::string& path, const std::string& checksum) {
  const whole_file whole = read_whole(path);
  if (whole.error != 0)
    throw parse_error(
        problem{path, 0, "cannot be read: " + std::error_code(whole.error, std::generic_category()).message()});
  std::string text = whole.size ? std::string(whole.bytes.get(), whole.size) : std::string();
  if (migration_checksum(text) != checksum)
    throw parse_error(problem{path, 0, "changed while this command ran (its checksum is no longer the one read "
                                       "at the start); nothing of it was run: run the command again"});
  return text;
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

}  // namespace migrator::detail
