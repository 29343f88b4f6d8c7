// `status` and `up` through --modules-dir with the digest cache
// (core/src/modules/digest_cache.h), as the built binary runs them: a second
// run takes unchanged files' checksums from the cache, `up` applies files it
// did not read at the start, and an edit is seen however the file's size and
// mtime are put back.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "migrator/parser.h"
#include "test_support.h"

using namespace testing_support;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

class modules_dir_cache : public ::testing::Test {
 protected:
  void SetUp() override {
    write_module_set(modules, {{"db",
                                {{"01001_a.sql", migration_text("CREATE TABLE a (id int);", "DROP TABLE a;")},
                                 {"01002_b.sql", migration_text("CREATE TABLE b (id int);", "DROP TABLE b;")},
                                 {"01003_c.sql", migration_text("CREATE TABLE c (id int);", "DROP TABLE c;")}}}});
    // Older than the cache's racy window (2 s): these files can be cached.
    std::this_thread::sleep_for(2100ms);
  }

  run_result migrate(const std::vector<std::string>& args, const std::string& cache = "") const {
    std::vector<std::string> all{"migrate"};
    all.insert(all.end(), args.begin(), args.end());
    for (const std::string& a : {std::string("--dsn"), db.dsn(), std::string("--modules-dir"), modules.path().string(),
                                 std::string("--digest-cache"), cache.empty() ? cache_dir.path().string() : cache})
      all.push_back(a);
    return run_app_process(all);
  }

  std::map<std::int64_t, std::string> states() const {
    auto r = migrate({"status", "--json"});
    EXPECT_EQ(r.code, 0) << r.err;
    std::map<std::int64_t, std::string> out;
    if (r.code != 0) return out;
    const auto status = nlohmann::json::parse(r.out);
    for (const auto& m : status["migrations"]) out[m["version"]] = m["state"];
    return out;
  }

  // The lines of the one cache file past its format line: one per cached file
  // (entries) and one per listed folder ("dir ..." lines, folders).
  std::size_t cached_lines(bool folders) const {
    for (const auto& e : fs::directory_iterator(cache_dir.path())) {
      std::istringstream text(read_file(e.path()));
      std::size_t n = 0;
      std::string line;
      std::getline(text, line);
      while (std::getline(text, line)) n += (line.rfind("dir ", 0) == 0) == folders;
      return n;
    }
    return 0;
  }
  std::size_t cached_entries() const { return cached_lines(false); }
  std::size_t cached_folders() const { return cached_lines(true); }

  std::size_t cache_files() const {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(cache_dir.path())) ++n;
    return n;
  }

  fs::path file(const std::string& name) const { return modules.path() / "db" / "migrations" / name; }

  test_database db;
  temp_dir modules, cache_dir;
};

TEST_F(modules_dir_cache, up_applies_files_known_from_the_cache_and_records_their_checksums) {
  const std::map<std::int64_t, std::string> pending{{1001, "pending"}, {1002, "pending"}, {1003, "pending"}};
  EXPECT_EQ(states(), pending);  // reads every file and records them
  EXPECT_EQ(cache_files(), 1u);
  EXPECT_EQ(cached_entries(), 3u);
  EXPECT_EQ(cached_folders(), 1u) << "db/migrations";
  EXPECT_EQ(states(), pending);  // from the cache

  // The files' texts were not read when this run started: each is read when it runs.
  auto up = migrate({"up"});
  ASSERT_EQ(up.code, 0) << up.err;
  EXPECT_EQ(db.scalar("SELECT count(*) FROM pg_tables WHERE tablename IN ('a', 'b', 'c')"), "3");
  for (const auto& [version, name] : std::map<int, std::string>{{1001, "01001_a.sql"}, {1003, "01003_c.sql"}})
    EXPECT_EQ(db.scalar("SELECT checksum FROM goose_db_version_meta WHERE version_id = " + std::to_string(version)),
              migrator::migration_checksum(read_file(file(name))))
        << name;
  const std::map<std::int64_t, std::string> applied{{1001, "applied"}, {1002, "applied"}, {1003, "applied"}};
  EXPECT_EQ(states(), applied);
}

TEST_F(modules_dir_cache, an_edit_that_keeps_size_and_mtime_is_still_seen_as_modified) {
  ASSERT_EQ(migrate({"up"}).code, 0);
  states();  // the cache now knows every file
  const fs::path b = file("01002_b.sql");
  struct stat before {};
  ASSERT_EQ(::stat(b.c_str(), &before), 0);
  std::string text = read_file(b);
  text[text.find("TABLE b")] = 't';  // "table b": same size, another checksum
  std::ofstream(b, std::ios::binary | std::ios::trunc) << text;
  const struct timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, b.c_str(), times, 0), 0);

  const std::map<std::int64_t, std::string> one_modified{{1001, "applied"}, {1002, "modified"}, {1003, "applied"}};
  EXPECT_EQ(states(), one_modified);
  auto up = migrate({"up"});
  EXPECT_NE(up.code, 0) << "up went on over a modified migration";
  EXPECT_NE(up.err.find("01002_b.sql"), std::string::npos) << up.err;
}

TEST_F(modules_dir_cache, off_keeps_no_cache_and_reports_the_same) {
  auto r = migrate({"status", "--json"}, "off");
  ASSERT_EQ(r.code, 0) << r.err;
  auto cached = migrate({"status", "--json"});
  ASSERT_EQ(cached.code, 0) << cached.err;
  EXPECT_EQ(r.out, cached.out);
  EXPECT_EQ(cache_files(), 1u) << "only the cached run wrote one";
  EXPECT_FALSE(fs::exists(fs::current_path() / "off")) << "\"off\" is not a directory name";
}

}  // namespace
