// The digest cache of a modules directory (core/src/modules/digest_cache.h):
// what it keeps, when it refuses to trust an entry, and the directory source
// and assembler on top of it (deferred files read on first use, and refused
// when they changed in between). Files on disk, no database.
#include "modules/digest_cache.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include "migrator/assembler.h"
#include "migrator/error.h"
#include "migrator/parser.h"
#include "migrator/source.h"
#include "test_support.h"

namespace fs = std::filesystem;
using migrator::detail::digest_cache;
using migrator::detail::digest_entry;
using migrator::detail::file_stamp;
using namespace std::chrono_literals;

namespace {

std::optional<std::string> no_variables(const std::string&) { return std::nullopt; }

const std::string sum_a(64, 'a'), sum_b(64, 'b');

file_stamp stamp(std::int64_t size, std::int64_t ctime_ns) {
  file_stamp s;
  s.device = 2049;
  s.inode = 77;
  s.size = size;
  s.mtime_ns = 1'000'000'000;
  s.ctime_ns = ctime_ns;
  return s;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

file_stamp stamp_of_file(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return migrator::detail::stamp_of(st);
}

}  // namespace

TEST(digest_cache, keeps_what_a_load_read_and_gives_it_back_only_for_the_same_stamp) {
  testing_support::temp_dir dir;
  const fs::path file = dir.path() / "cache" / "set.digests";  // its folder is created on write
  {
    const digest_cache empty(file, 0ns);
    EXPECT_FALSE(empty.find("db/migrations/01001_a.sql", stamp(10, 5)));
    empty.write_back({{"db/migrations/01001_a.sql", stamp(10, 5), sum_a},
                      {"db/migrations/01002 with space.sql", stamp(20, 6), sum_b}});
  }
  const digest_cache cache(file, 0ns);
  struct probe {
    std::string key;
    file_stamp at;
    std::optional<std::string> expected;
  };
  file_stamp other_inode = stamp(10, 5);
  other_inode.inode = 78;
  file_stamp other_mtime = stamp(10, 5);
  other_mtime.mtime_ns += 1;
  const probe probes[] = {
      {"db/migrations/01001_a.sql", stamp(10, 5), sum_a},
      {"db/migrations/01002 with space.sql", stamp(20, 6), sum_b},
      {"db/migrations/01001_a.sql", stamp(11, 5), std::nullopt},  // size
      {"db/migrations/01001_a.sql", stamp(10, 6), std::nullopt},  // ctime: written since
      {"db/migrations/01001_a.sql", other_inode, std::nullopt},   // replaced by another file
      {"db/migrations/01001_a.sql", other_mtime, std::nullopt},
      {"db/migrations/01003_c.sql", stamp(10, 5), std::nullopt},  // never recorded
  };
  for (const auto& p : probes) {
    SCOPED_TRACE(p.key);
    const auto found = cache.find(p.key, p.at);
    ASSERT_EQ(found.has_value(), p.expected.has_value());
    if (found) {
      EXPECT_EQ(std::string(*found), *p.expected);
    }
  }
}

TEST(digest_cache, a_cursor_finds_what_a_search_finds_in_any_order) {
  testing_support::temp_dir dir;
  const fs::path file = dir.path() / "set.digests";
  digest_cache(file, 0ns).write_back({{"m/migrations/01001_a.sql", stamp(10, 5), sum_a},
                                      {"m/migrations/01002_b.sql", stamp(20, 5), sum_b},
                                      {"n/migrations/02001_c.sql", stamp(30, 5), sum_a}});
  const digest_cache cache(file, 0ns);
  struct probe {
    std::string key;
    std::int64_t size;
    std::optional<std::string> expected;
  };
  // In the cache's order, with a key it lacks, a stamp that differs, and back again.
  const probe probes[] = {
      {"m/migrations/01001_a.sql", 10, sum_a}, {"m/migrations/01002_b.sql", 20, sum_b},
      {"m/migrations/01003_x.sql", 10, std::nullopt}, {"n/migrations/02001_c.sql", 31, std::nullopt},
      {"n/migrations/02001_c.sql", 30, sum_a}, {"m/migrations/01001_a.sql", 10, sum_a},
      {"a/migrations/00001_z.sql", 10, std::nullopt}, {"m/migrations/01002_b.sql", 20, sum_b},
  };
  std::size_t cursor = 0;
  for (const auto& p : probes) {
    SCOPED_TRACE(p.key + " " + std::to_string(p.size));
    const auto with_cursor = cache.find(p.key, stamp(p.size, 5), &cursor);
    const auto searched = cache.find(p.key, stamp(p.size, 5));
    ASSERT_EQ(with_cursor.has_value(), p.expected.has_value());
    ASSERT_EQ(searched.has_value(), p.expected.has_value());
    if (with_cursor) {
      EXPECT_EQ(std::string(*with_cursor), *p.expected);
      EXPECT_EQ(std::string(*searched), *p.expected);
    }
  }
}

TEST(digest_cache, leaves_out_files_changed_too_recently_to_tell_apart) {
  testing_support::temp_dir dir;
  const fs::path file = dir.path() / "set.digests";
  const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  digest_cache(file, 1h).write_back({{"old.sql", stamp(1, now_ns - 2 * 3600'000'000'000LL), sum_a},
                                     {"new.sql", stamp(1, now_ns - 1'000'000'000LL), sum_b}});
  const digest_cache cache(file, 1h);
  EXPECT_TRUE(cache.find("old.sql", stamp(1, now_ns - 2 * 3600'000'000'000LL)));
  EXPECT_FALSE(cache.find("new.sql", stamp(1, now_ns - 1'000'000'000LL))) << "changed within the window: racy";

  // Only racy files read and nothing cached before: no cache file at all.
  const fs::path other = dir.path() / "other.digests";
  digest_cache(other, 1h).write_back({{"new.sql", stamp(1, now_ns - 1'000'000'000LL), sum_b}});
  EXPECT_FALSE(fs::exists(other));
}

TEST(digest_cache, a_damaged_or_foreign_cache_file_is_an_empty_cache) {
  testing_support::temp_dir dir;
  const fs::path file = dir.path() / "set.digests";
  digest_cache(file, 0ns).write_back({{"a.sql", stamp(10, 5), sum_a}, {"b.sql", stamp(10, 5), sum_b}});
  const std::string good = read_text(file);
  ASSERT_TRUE(digest_cache(file, 0ns).find("a.sql", stamp(10, 5)));
  const std::string first_line = good.substr(0, good.find('\n') + 1);
  struct damage {
    const char* what;
    std::string text;
  };
  const damage cases[] = {
      {"cut short inside the last line", good.substr(0, good.size() - 3)},
      {"another format", "migrator digest cache 1\n" + good.substr(first_line.size())},
      {"a folder line without its tab", good + "dir 0 1000000000 5 77 2049 db/migrations\n"},
      {"a folder line with four numbers", good + "dir 0 1000000000 5 77 db/migrations\ta.sql/\n"},
      {"a checksum that is not hex", first_line + std::string(64, 'g') + " 10 1000000000 5 77 2049 a.sql\n"},
      {"a checksum too short", first_line + std::string(63, 'a') + " 10 1000000000 5 77 2049 a.sql\n"},
      {"a number that is not one", first_line + sum_a + " ten 1000000000 5 77 2049 a.sql\n"},
      {"no key", first_line + sum_a + " 10 1000000000 5 77 2049\n"},
      {"empty", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    std::ofstream(file, std::ios::binary | std::ios::trunc) << c.text;
    EXPECT_FALSE(digest_cache(file, 0ns).find("a.sql", stamp(10, 5)));
  }
}

TEST(digest_cache, gives_back_stamps_at_the_ends_of_their_ranges) {
  testing_support::temp_dir dir;
  const fs::path file = dir.path() / "set.digests";
  // A file dated before 1970, the largest numbers a stat gives, zeros.
  file_stamp oldest = stamp(0, std::numeric_limits<std::int64_t>::min());
  oldest.mtime_ns = -1;
  file_stamp largest = stamp(std::numeric_limits<std::int64_t>::max(), 0);
  largest.inode = largest.device = std::numeric_limits<std::uint64_t>::max();
  digest_cache(file, 0ns).write_back({{"a.sql", oldest, sum_a}, {"b.sql", largest, sum_b}});
  const digest_cache cache(file, 0ns);
  ASSERT_TRUE(cache.find("a.sql", oldest));
  EXPECT_EQ(std::string(*cache.find("a.sql", oldest)), sum_a);
  ASSERT_TRUE(cache.find("b.sql", largest));
  EXPECT_EQ(std::string(*cache.find("b.sql", largest)), sum_b);
  file_stamp other = oldest;
  other.mtime_ns = 1;
  EXPECT_FALSE(cache.find("a.sql", other));
  other = largest;
  other.device = 0;
  EXPECT_FALSE(cache.find("b.sql", other));
}

TEST(digest_cache, a_line_whose_fields_do_not_parse_is_no_entry_and_the_others_still_are) {
  testing_support::temp_dir dir;
  const fs::path file = dir.path() / "set.digests";
  digest_cache(file, 0ns).write_back({{"a.sql", stamp(10, 5), sum_a}, {"b.sql", stamp(10, 5), sum_b}});
  const std::string good = read_text(file);
  const std::string first_line = good.substr(0, good.find('\n') + 1);
  const std::string line_b = good.substr(good.find('\n', first_line.size()) + 1);
  // The shape holds (a checksum's width, five fields, a key), the fields do not parse.
  const std::string damaged_a[] = {
      std::string(64, 'g') + " 10 1000000000 5 77 2049 a.sql\n",
      sum_a + " ten 1000000000 5 77 2049 a.sql\n",
      sum_a + " 10 1000000000 5 77 -2049 a.sql\n",
      // Numbers of another spelling than write_back's: compared as text, no match.
      sum_a + " 010 1000000000 5 77 2049 a.sql\n",
      sum_a + " +10 1000000000 5 77 2049 a.sql\n",
      sum_a + " -0 1000000000 5 77 2049 a.sql\n",
      sum_a + " 10  1000000000 5 77 2049 a.sql\n",
      sum_a + " 10 1000000000 5 77 2049  a.sql\n",
      // 77 + 2^64: a reading that wrapped around would take it for the inode 77.
      sum_a + " 10 1000000000 5 18446744073709551693 2049 a.sql\n",
  };
  for (const auto& a : damaged_a) {
    SCOPED_TRACE(a);
    std::ofstream(file, std::ios::binary | std::ios::trunc) << first_line << a << line_b;
    const digest_cache cache(file, 0ns);
    EXPECT_FALSE(cache.find("a.sql", stamp(10, 5)));
    const auto b = cache.find("b.sql", stamp(10, 5));
    ASSERT_TRUE(b);
    EXPECT_EQ(std::string(*b), sum_b);
    // Written back, the damaged line is gone and the good one kept.
    cache.write_back({});
    EXPECT_EQ(read_text(file), first_line + line_b);
  }
}

TEST(digest_cache, writes_nothing_when_nothing_changed_and_nothing_where_it_cannot) {
  testing_support::temp_dir dir;
  const fs::path file = dir.path() / "set.digests";
  digest_cache(file, 0ns).write_back({{"a.sql", stamp(10, 5), sum_a}});
  const auto before = stamp_of_file(file);
  {
    const digest_cache cache(file, 0ns);
    ASSERT_TRUE(cache.find("a.sql", stamp(10, 5)));
    cache.write_back({});
  }
  EXPECT_TRUE(stamp_of_file(file) == before) << "an unchanged cache was written again";
  {
    // A file gone since: its entry is dropped.
    const digest_cache cache(file, 0ns);
    cache.write_back({});
  }
  EXPECT_FALSE(digest_cache(file, 0ns).find("a.sql", stamp(10, 5)));

  // The cache's folder cannot be created (a file is in the way): no cache, no error.
  const fs::path blocked = dir.write("plain-file", "x") / "set.digests";
  EXPECT_NO_THROW(digest_cache(blocked, 0ns).write_back({{"a.sql", stamp(10, 5), sum_a}}));
  EXPECT_FALSE(fs::exists(blocked));
}

TEST(digest_cache, keeps_a_folders_names_and_gives_them_back_only_for_the_same_stamp) {
  testing_support::temp_dir dir;
  const fs::path file = dir.path() / "set.digests";
  const auto folder = stamp(4096, 5);
  digest_cache(file, 0ns).write_back({{"db/migrations/01001_a.sql", stamp(10, 5), sum_a}},
                                     {{"db/migrations", folder, {"01001_a.sql", "01002 b.sql", "01003_c.cpp"}},
                                      {"empty/migrations", folder, {}}});
  const digest_cache cache(file, 0ns);
  const auto names = cache.listing("db/migrations", folder);
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, (std::vector<std::string_view>{"01001_a.sql", "01002 b.sql", "01003_c.cpp"}));
  const auto none = cache.listing("empty/migrations", folder);
  ASSERT_TRUE(none) << "a folder without files is a listing too";
  EXPECT_TRUE(none->empty());
  file_stamp changed = folder;
  changed.ctime_ns += 1;  // an entry made, removed or renamed since
  EXPECT_FALSE(cache.listing("db/migrations", changed));
  EXPECT_FALSE(cache.listing("db", folder));
  EXPECT_FALSE(cache.listing("db/migrations/sqlite", folder));
  ASSERT_TRUE(cache.find("db/migrations/01001_a.sql", stamp(10, 5))) << "files and folders side by side";
}

TEST(digest_cache, leaves_out_folders_changed_too_recently_or_with_names_it_cannot_write) {
  testing_support::temp_dir dir;
  const fs::path file = dir.path() / "set.digests";
  const std::int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::system_clock::now().time_since_epoch()).count();
  file_stamp racy = stamp(4096, now_ns - 1'000'000'000LL);
  racy.mtime_ns = racy.ctime_ns;
  digest_cache(file, 2s).write_back({}, {{"racy/migrations", racy, {"a.sql"}},
                                         {"newline/migrations", stamp(4096, 5), {"a\nb.sql"}},
                                         {"tab/migrations", stamp(4096, 5), {"a\tb.sql"}},
                                         {"kept/migrations", stamp(4096, 5), {"a.sql"}}});
  const digest_cache cache(file, 2s);
  EXPECT_FALSE(cache.listing("racy/migrations", racy)) << "changed within the window: an entry made in the same tick would not show";
  EXPECT_FALSE(cache.listing("newline/migrations", stamp(4096, 5)));
  EXPECT_FALSE(cache.listing("tab/migrations", stamp(4096, 5)));
  EXPECT_TRUE(cache.listing("kept/migrations", stamp(4096, 5)));
}

TEST(digest_cache, keeps_the_folders_a_load_used_and_drops_the_others) {
  testing_support::temp_dir dir;
  const fs::path file = dir.path() / "set.digests";
  digest_cache(file, 0ns).write_back({}, {{"a/migrations", stamp(1, 5), {"x.sql"}}, {"b/migrations", stamp(1, 5), {"y.sql"}}});
  const auto before = stamp_of_file(file);
  {
    const digest_cache cache(file, 0ns);
    ASSERT_TRUE(cache.listing("a/migrations", stamp(1, 5)));
    ASSERT_TRUE(cache.listing("b/migrations", stamp(1, 5)));
    cache.write_back({});
  }
  EXPECT_TRUE(stamp_of_file(file) == before) << "an unchanged cache was written again";
  {
    const digest_cache cache(file, 0ns);
    ASSERT_TRUE(cache.listing("a/migrations", stamp(1, 5)));
    cache.write_back({});  // b/ was not listed by this load: gone
  }
  const digest_cache cache(file, 0ns);
  EXPECT_TRUE(cache.listing("a/migrations", stamp(1, 5)));
  EXPECT_FALSE(cache.listing("b/migrations", stamp(1, 5)));
}

TEST(digest_cache, one_file_per_modules_directory_however_it_is_spelled) {
  testing_support::temp_dir dir;
  fs::create_directories(dir.path() / "set");
  const auto cwd = fs::current_path();
  fs::current_path(dir.path());
  const fs::path relative = migrator::detail::digest_cache_file("/cache", "set");
  const fs::path slash = migrator::detail::digest_cache_file("/cache", "set/");
  const fs::path dotted = migrator::detail::digest_cache_file("/cache", "./set");
  const fs::path other = migrator::detail::digest_cache_file("/cache", "other");
  fs::current_path(cwd);
  EXPECT_EQ(relative, migrator::detail::digest_cache_file("/cache", dir.path() / "set"));
  EXPECT_EQ(relative, slash);
  EXPECT_EQ(relative, dotted);
  EXPECT_NE(relative, other);
  EXPECT_EQ(relative.parent_path(), fs::path("/cache"));
}

// Through the directory source and the assembler, as `status` and `up` load a
// set. Files must be older than the racy window (2 s) to be cached: the fixture
// writes them once and waits that out.
class cached_directory : public ::testing::Test {
 protected:
  static constexpr const char* manifest = "modules:\n  - name: db\n";
  static constexpr const char* plain_a = "-- +goose Up\nCREATE TABLE db.a (id int);\n-- +goose Down\nDROP TABLE db.a;\n";
  static constexpr const char* plain_b = "-- +goose Up\nCREATE TABLE db.b (id int);\n-- +goose Down\nDROP TABLE db.b;\n";
  static constexpr const char* contract =
      "-- +migrator contract\n-- +goose Up\nALTER TABLE db.a DROP COLUMN id;\n-- +goose Down\nSELECT 1;\n";

  void SetUp() override {
    root = dir.path() / "modules";
    dir.write("modules/modules.yaml", manifest);
    a = dir.write("modules/db/migrations/01001_a.sql", plain_a);
    b = dir.write("modules/db/migrations/01002_b.sql", plain_b);
    c = dir.write("modules/db/migrations/01003_c.sql", contract);
    cache_dir = dir.path() / "cache";
    std::this_thread::sleep_for(2100ms);
  }

  migrator::source_tree load() const { return migrator::make_directory_source(root, cache_dir)->load(); }

  static const migrator::source_file& file(const migrator::source_tree& tree, const std::string& name) {
    for (const auto& f : tree.folders.at(0).files)
      if (fs::path(f.path).filename() == name) return f;
    throw std::runtime_error("no " + name);
  }

  static migrator::assembly assemble_on_use(migrator::source_tree tree) {
    return migrator::assemble(std::move(tree), no_variables, migrator::parse_time::on_use,
                              migrator::backend_kind::postgres);
  }

  // Rewrites `path` with `text` of the same size and puts its mtime back:
  // only ctime (and the content) tell.
  static void rewrite_keeping_size_and_mtime(const fs::path& path, const std::string& text) {
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    ASSERT_EQ(static_cast<std::size_t>(st.st_size), text.size());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  }

  testing_support::temp_dir dir;
  fs::path root, a, b, c, cache_dir;
};

TEST_F(cached_directory, an_unchanged_file_is_not_read_again_and_assembles_the_same) {
  const auto first = load();
  ASSERT_TRUE(first.problems.empty());
  for (const char* name : {"01001_a.sql", "01002_b.sql", "01003_c.sql"}) {
    EXPECT_FALSE(file(first, name).content_deferred) << name << ": nothing was cached yet";
    EXPECT_EQ(file(first, name).checksum, std::optional<std::string>(migrator::migration_checksum(file(first, name).content)));
  }

  const auto second = load();
  EXPECT_TRUE(file(second, "01001_a.sql").content_deferred);
  EXPECT_TRUE(file(second, "01002_b.sql").content_deferred);
  EXPECT_EQ(file(second, "01001_a.sql").content, "");
  EXPECT_FALSE(file(second, "01003_c.sql").content_deferred) << "a +migrator header is always read";
  EXPECT_EQ(file(second, "01001_a.sql").checksum, std::optional<std::string>(migrator::migration_checksum(plain_a)));

  const auto from_cache = assemble_on_use(second);
  const auto from_disk = assemble_on_use(migrator::make_directory_source(root)->load());
  ASSERT_TRUE(from_cache.ok());
  ASSERT_EQ(from_cache.set.migrations.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& m = from_cache.set.migrations[i];
    SCOPED_TRACE(m.path);
    EXPECT_EQ(m.checksum, from_disk.set.migrations[i].checksum);
    EXPECT_EQ(m.contract.has_value(), from_disk.set.migrations[i].contract.has_value());
    EXPECT_FALSE(m.parsed() && i < 2) << "a deferred file is read only on first use";
    ASSERT_EQ(m.body().up.size(), 1u);
    EXPECT_EQ(m.body().up[0].sql, from_disk.set.migrations[i].body().up[0].sql);
  }
}

TEST_F(cached_directory, the_guess_at_the_files_before_a_load_comes_from_the_cache_a_load_left) {
  // 400 files more: the guess is the cache file's size over a line's typical
  // size, so what it must do is tell sets apart by their size.
  for (int v = 1004; v < 1404; ++v)
    dir.write("modules/db/migrations/0" + std::to_string(v) + "_step.sql", plain_a);
  std::this_thread::sleep_for(2100ms);  // old enough to be cached
  const auto source = migrator::make_directory_source(root, cache_dir);
  EXPECT_EQ(source->expected_files(), 0u) << "no cache yet: no guess";
  ASSERT_EQ(source->load().folders.at(0).files.size(), 403u);
  const std::size_t guess = source->expected_files();
  EXPECT_GE(guess, 403u / 2);
  EXPECT_LE(guess, 403u * 2);
  EXPECT_EQ(migrator::make_directory_source(root)->expected_files(), 0u) << "without a cache: no guess";
}

TEST_F(cached_directory, a_rewritten_file_with_its_size_and_mtime_put_back_is_read_again) {
  load();
  std::string changed = plain_a;
  changed.replace(changed.find("db.a"), 4, "db.z");
  rewrite_keeping_size_and_mtime(a, changed);
  const auto tree = load();
  EXPECT_FALSE(file(tree, "01001_a.sql").content_deferred);
  EXPECT_EQ(file(tree, "01001_a.sql").content, changed);
  EXPECT_EQ(file(tree, "01001_a.sql").checksum, std::optional<std::string>(migrator::migration_checksum(changed)));
  EXPECT_TRUE(file(tree, "01002_b.sql").content_deferred);
}

TEST_F(cached_directory, a_deferred_file_changed_or_removed_after_the_load_is_refused_when_used) {
  load();
  const auto set = assemble_on_use(load());
  ASSERT_TRUE(set.ok());
  ASSERT_EQ(set.set.migrations.size(), 3u);
  std::string changed = plain_b;
  changed[changed.find("db.b")] = 'x';
  std::ofstream(b, std::ios::binary | std::ios::trunc) << changed;
  fs::remove(a);
  try {
    set.set.migrations[1].body();
    ADD_FAILURE() << "a file changed after the load was used";
  } catch (const migrator::parse_error& e) {
    EXPECT_EQ(e.where().path, set.set.migrations[1].path);
    EXPECT_NE(e.where().message.find("changed while this command ran"), std::string::npos) << e.what();
  }
  try {
    set.set.migrations[0].body();
    ADD_FAILURE() << "a removed file was used";
  } catch (const migrator::parse_error& e) {
    EXPECT_EQ(e.where().path, set.set.migrations[0].path);
    EXPECT_NE(e.where().message.find("cannot be read: No such file or directory"), std::string::npos) << e.what();
  }
}

// Over 256 KiB, a deferred file's checksum is taken on a thread of its own
// while it is parsed: the same answers as one after the other, and a file
// changed after the load is refused as changed also when its new text would
// not parse.
TEST_F(cached_directory, a_large_deferred_file_is_checked_beside_its_parse_and_a_change_comes_first) {
  std::string large = "-- +goose Up\n";
  std::size_t rows = 0;
  for (; large.size() < (std::size_t{512} << 10); ++rows)
    large += "INSERT INTO db.t VALUES (" + std::to_string(rows) + ", 'a row of a large migration');\n";
  const std::string down = "-- +goose Down\nDELETE FROM db.t;\n";
  dir.write("modules/db/migrations/01004_large.sql", large + down);
  std::this_thread::sleep_for(2100ms);  // old enough to be cached
  load();
  const auto set = assemble_on_use(load());
  ASSERT_TRUE(set.ok());
  ASSERT_EQ(set.set.migrations.size(), 4u);
  EXPECT_EQ(set.set.migrations[3].body().up.size(), rows) << "unchanged: parsed, its checksum the loaded one";
  std::ofstream(b, std::ios::binary | std::ios::trunc) << large << down;                    // parses
  std::ofstream(a, std::ios::binary | std::ios::trunc) << large << "SELECT 'open;\n" << down;  // does not
  for (const std::size_t i : {0u, 1u}) {
    try {
      set.set.migrations[i].body();
      ADD_FAILURE() << set.set.migrations[i].path << ": a file changed after the load was used";
    } catch (const migrator::parse_error& e) {
      EXPECT_EQ(e.where().path, set.set.migrations[i].path);
      EXPECT_NE(e.where().message.find("changed while this command ran"), std::string::npos) << e.what();
    }
  }
}

TEST_F(cached_directory, a_file_added_to_a_listed_folder_is_loaded) {
  load();
  ASSERT_EQ(load().folders.at(0).files.size(), 3u);
  dir.write("modules/db/migrations/01004_d.sql", plain_b);
  const auto tree = load();
  ASSERT_EQ(tree.folders.at(0).files.size(), 4u);
  EXPECT_EQ(file(tree, "01004_d.sql").content, plain_b);
  fs::rename(b, root / "db/migrations/01005_b.sql");
  const auto renamed = load();
  ASSERT_EQ(renamed.folders.at(0).files.size(), 4u);
  EXPECT_THROW(file(renamed, "01002_b.sql"), std::runtime_error);
  EXPECT_EQ(migrator::migration_checksum(plain_b), file(renamed, "01005_b.sql").checksum.value_or(""));
}

// The names of a folder whose stamp is as recorded come from the cache: a
// cache that names a file the folder lacks (written here by hand, with the
// folder's real stamp) makes the load look for it.
TEST_F(cached_directory, a_folder_whose_stamp_is_as_recorded_is_not_listed_again) {
  load();
  const fs::path cache_file = migrator::detail::digest_cache_file(cache_dir, root);
  digest_cache(cache_file, 0ns)
      .write_back({}, {{"db/migrations", stamp_of_file(root / "db/migrations"), {"01001_a.sql", "01009_ghost.sql"}}});
  const auto tree = load();
  ASSERT_EQ(tree.folders.at(0).files.size(), 1u) << "01001_a.sql";
  ASSERT_EQ(tree.problems.size(), 1u);
  EXPECT_EQ(tree.problems[0].path, (root / "db/migrations/01009_ghost.sql").string());
  EXPECT_NE(tree.problems[0].message.find("No such file"), std::string::npos) << tree.problems[0].message;
}

TEST_F(cached_directory, a_load_that_parses_everything_now_reads_deferred_files_itself) {
  load();
  const auto now = migrator::assemble(load(), no_variables, migrator::parse_time::now,
                                      migrator::backend_kind::postgres);
  ASSERT_TRUE(now.ok());
  for (const auto& m : now.set.migrations) EXPECT_TRUE(m.parsed()) << m.path;
}
