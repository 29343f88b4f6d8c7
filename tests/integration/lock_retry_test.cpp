// DDL that never queues traffic (issue #26): with --db-lock-timeout, a
// migration that cannot get its table lock in time gives way (the readers
// behind it go on) and is tried again after a backoff, naming the session in
// the way; a concurrent index build that failed leaves an INVALID index, which
// the retry (or the next up, for a dirty version) drops before building again.
// Every test holds real locks in other sessions of the test server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>

#include "pgbouncer.h"
#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;
using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

namespace {

std::vector<json> events_named(const std::string& err, const std::string& event) {
  std::vector<json> found;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.value("event", "") == event) found.push_back(j);
  }
  return found;
}

// Another session that takes locks with `sql` in a transaction, keeps them for
// `hold`, then commits. ready() returns once the locks are held.
class lock_holder {
 public:
  lock_holder(const std::string& dsn, std::string sql, std::chrono::milliseconds hold)
      : thread_([this, dsn, sql = std::move(sql), hold] {
          pqxx::connection c(dsn);
          pqxx::nontransaction(c).exec("SET application_name = 'lock-holder-test'");
          pqxx::work w(c);
          pid_ = w.exec1("SELECT pg_backend_pid()")[0].as<int>();
          w.exec(sql);
          held_.set_value();
          std::this_thread::sleep_for(hold);
          w.commit();
          ended_at_ = clock_type::now();
        }) {}
  ~lock_holder() {
    if (thread_.joinable()) thread_.join();
  }
  int ready() {
    held_.get_future().wait();
    return pid_;
  }
  clock_type::time_point ended_at() {
    if (thread_.joinable()) thread_.join();
    return ended_at_;
  }

 private:
  std::promise<void> held_;
  int pid_ = 0;
  clock_type::time_point ended_at_;
  std::thread thread_;
};

// Reads the table again and again until stopped; keeps the longest single read.
class reader {
 public:
  reader(const std::string& dsn, const std::string& table)
      : thread_([this, dsn, table] {
          pqxx::connection c(dsn);
          while (!stop_.load()) {
            const auto start = clock_type::now();
            pqxx::nontransaction(c).exec("SELECT count(*) FROM " + table);
            const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start);
            longest_ = std::max(longest_, took);
            ++reads_;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }) {}
  ~reader() { finish(); }
  void finish() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  std::chrono::milliseconds longest() const { return longest_; }
  int reads() const { return reads_; }

 private:
  std::atomic<bool> stop_{false};
  std::chrono::milliseconds longest_{0};
  int reads_ = 0;
  std::thread thread_;
};

class lock_retry_test : public ::testing::Test {
 protected:
  test_database db;
  temp_dir modules;

  void SetUp() override { db.exec("CREATE TABLE public.items (id int); INSERT INTO public.items VALUES (1), (2), (3)"); }

  run_result up(const std::string& dsn, std::vector<std::string> extra) {
    std::vector<std::string> args = {"up", "--log-format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return migrate_in(dsn, modules.path(), args);
  }

  std::string state_of(std::int64_t version) {
    auto r = migrate_in(db.dsn(), modules.path(), {"status", "--json"});
    auto j = json::parse(r.out);
    for (const auto& m : j["migrations"])
      if (m["version"] == version) return m["state"];
    return "absent";
  }

  // Two transactional migrations in a row (they travel in one request): the
  // second needs an ACCESS EXCLUSIVE lock on items.
  void write_alter_set() {
    write_module_set(modules, {{"alpha",
                                {{"1001_side.sql", migration_text("CREATE TABLE public.side (id int);", "DROP TABLE public.side;")},
                                 {"1002_note.sql", migration_text("ALTER TABLE public.items ADD COLUMN note text;",
                                                                  "ALTER TABLE public.items DROP COLUMN note;")}}}});
  }

  // Holds a read lock on items for `hold` while up runs with a 150 ms lock
  // timeout; a reader of items starts meanwhile. Returns the run.
  run_result alter_behind_a_reader_lock(const std::string& dsn, std::chrono::milliseconds hold, int& holder_pid,
                                        std::chrono::milliseconds& longest_read, int& reads,
                                        const std::vector<std::string>& retry_flags) {
    lock_holder holder(db.dsn(), "SELECT count(*) FROM public.items", hold);
    holder_pid = holder.ready();
    std::unique_ptr<reader> readers;
    std::thread start_reader([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      readers = std::make_unique<reader>(db.dsn(), "public.items");
    });
    std::vector<std::string> flags = {"--db-lock-timeout", "150ms"};
    flags.insert(flags.end(), retry_flags.begin(), retry_flags.end());
    run_result r = up(dsn, flags);
    holder.ended_at();
    start_reader.join();
    // Reads go on until the holder has ended, the whole time a queue could form.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    readers->finish();
    longest_read = readers->longest();
    reads = readers->reads();
    return r;
  }
};

TEST_F(lock_retry_test, an_alter_behind_a_long_transaction_retries_and_readers_never_queue) {
  write_alter_set();
  int holder_pid = 0, reads = 0;
  std::chrono::milliseconds longest{0};
  const auto hold = std::chrono::milliseconds(3000);
  const auto started = clock_type::now();
  run_result r = alter_behind_a_reader_lock(db.dsn(), hold, holder_pid, longest, reads,
                                            {"--db-lock-retries", "30", "--db-lock-retry-for", "1m"});
  const auto took = clock_type::now() - started;
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_GE(took, hold);  // it could only finish after the holder ended
  EXPECT_EQ(db.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'note'"), "1");
  EXPECT_EQ(state_of(1002), "applied");

  const auto retries = events_named(r.err, "lock_retry");
  ASSERT_GE(retries.size(), 2u) << r.err;
  for (const auto& line : retries) {
    EXPECT_EQ(line.value("version", 0), 1002);
    EXPECT_EQ(line.value("sqlstate", ""), "55P03");
  }
  // The holder is named while it holds its lock (the last retry may come after it ended).
  EXPECT_THAT(retries.front().value("blocker_pids", ""), HasSubstr(std::to_string(holder_pid)));
  EXPECT_THAT(retries.front().value("blockers", ""), HasSubstr("lock-holder-test"));
  EXPECT_THAT(retries.front().value("blockers", ""), HasSubstr("AccessShareLock on items"));
  EXPECT_THAT(retries.front().value("blockers", ""), HasSubstr("idle in transaction"));
  // 1001 committed in the first request; 1002 was retried alone and applied.
  EXPECT_EQ(events_named(r.err, "applied").size(), 2u) << r.err;

  // The readers never queued behind the whole hold: at most about one lock timeout each.
  EXPECT_GT(reads, 20);
  EXPECT_LT(longest, std::chrono::milliseconds(1500)) << "longest read " << longest.count() << " ms";
  std::cerr << "[lock_retry_test] " << retries.size() << " retries; " << reads << " reads, the longest "
            << longest.count() << " ms, during a " << hold.count() << " ms hold\n";
}

TEST_F(lock_retry_test, without_retries_the_migration_fails_on_the_lock_timeout_as_before) {
  write_alter_set();
  int holder_pid = 0, reads = 0;
  std::chrono::milliseconds longest{0};
  run_result r = alter_behind_a_reader_lock(db.dsn(), std::chrono::milliseconds(1500), holder_pid, longest, reads,
                                            {"--db-lock-retries", "0"});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("55P03"));
  EXPECT_THAT(r.err, HasSubstr("1002_note.sql"));
  EXPECT_TRUE(events_named(r.err, "lock_retry").empty());
  EXPECT_EQ(db.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = 'note'"), "0");
  EXPECT_EQ(state_of(1001), "applied");
  EXPECT_EQ(state_of(1002), "pending");
}

TEST_F(lock_retry_test, the_retry_gives_up_after_its_time_and_says_so) {
  write_alter_set();
  int holder_pid = 0, reads = 0;
  std::chrono::milliseconds longest{0};
  run_result r = alter_behind_a_reader_lock(db.dsn(), std::chrono::milliseconds(2500), holder_pid, longest, reads,
                                            {"--db-lock-retries", "100", "--db-lock-retry-for", "700ms"});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_FALSE(events_named(r.err, "lock_retry").empty());
  const auto gave_up = events_named(r.err, "lock_retry_exhausted");
  ASSERT_EQ(gave_up.size(), 1u) << r.err;
  EXPECT_THAT(gave_up[0].value("message", ""), HasSubstr("--db-lock-retry-for"));
  EXPECT_EQ(state_of(1002), "pending");
}

TEST_F(lock_retry_test, through_pgbouncer_the_lock_timeout_travels_in_each_transaction_and_the_retry_works) {
  write_alter_set();
  pgbouncer bouncer(4);
  int holder_pid = 0, reads = 0;
  std::chrono::milliseconds longest{0};
  run_result r = alter_behind_a_reader_lock(bouncer.dsn_for(db.name()), std::chrono::milliseconds(2500), holder_pid,
                                            longest, reads, {"--db-lock-retries", "30"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto retries = events_named(r.err, "lock_retry");
  ASSERT_FALSE(retries.empty()) << r.err;
  EXPECT_THAT(retries.front().value("blocker_pids", ""), HasSubstr(std::to_string(holder_pid)));
  EXPECT_EQ(state_of(1002), "applied");
  EXPECT_LT(longest, std::chrono::milliseconds(1500)) << "longest read " << longest.count() << " ms; the run:\n" << r.err;
}

TEST_F(lock_retry_test, an_interrupt_during_the_backoff_stops_the_run_promptly) {
  write_module_set(modules, {{"alpha", {{"1001_note.sql", migration_text("ALTER TABLE public.items ADD COLUMN note text;")}}}});
  lock_holder holder(db.dsn(), "SELECT count(*) FROM public.items", std::chrono::milliseconds(8000));
  holder.ready();
  app_process app({"migrate", "up", "--dsn", db.dsn(), "--modules-dir", modules.path().string(), "--log-format",
                   "json", "--db-lock-timeout", "100ms", "--db-lock-retries", "50", "--db-lock-retry-for", "5m"});
  // The third retry waits 400 to 800 ms: the signal comes during a backoff sleep.
  ASSERT_TRUE(app.wait_for_err("\"retry\":3", 15000)) << app.err_so_far();
  const auto signalled = clock_type::now();
  app.signal(SIGTERM);
  run_result r = app.wait();
  const auto stop = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - signalled);
  EXPECT_EQ(r.code, 8) << r.err;
  EXPECT_LT(stop, std::chrono::milliseconds(1500)) << "stopped " << stop.count() << " ms after SIGTERM";
  EXPECT_EQ(db.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = 'note'"), "0");
}

class concurrent_index_test : public lock_retry_test {
 protected:
  std::string invalid_indexes() {
    auto names = db.query("SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid ORDER BY 1");
    std::string all;
    for (const auto& n : names) all += (all.empty() ? "" : ",") + n;
    return all;
  }
  std::string valid(const std::string& index) {
    return db.scalar("SELECT coalesce((SELECT indisvalid::text FROM pg_index WHERE indexrelid = to_regclass('" + index +
                     "')), 'missing')");
  }
};

TEST_F(concurrent_index_test, a_build_that_times_out_behind_a_writer_drops_its_invalid_index_and_builds_again) {
  write_module_set(modules, {{"alpha",
                              {{"1001_idx.sql", "-- +goose NO TRANSACTION\n" +
                                                    migration_text("CREATE INDEX CONCURRENTLY items_id_idx ON public.items (id);",
                                                                   "DROP INDEX CONCURRENTLY public.items_id_idx;")}}}});
  // A writer's open transaction: the build registers its (invalid) index, then
  // waits for that transaction and times out, leaving the index behind.
  lock_holder holder(db.dsn(), "INSERT INTO public.items VALUES (4)", std::chrono::milliseconds(2500));
  const int holder_pid = holder.ready();
  run_result r = up(db.dsn(), {"--db-lock-timeout", "150ms", "--db-lock-retries", "30", "--db-lock-retry-for", "1m"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto retries = events_named(r.err, "lock_retry");
  ASSERT_FALSE(retries.empty()) << r.err;
  EXPECT_THAT(retries.front().value("blocker_pids", ""), HasSubstr(std::to_string(holder_pid)));
  const auto dropped = events_named(r.err, "invalid_index_dropped");
  ASSERT_FALSE(dropped.empty()) << r.err;
  EXPECT_EQ(dropped.front().value("index", ""), "public.items_id_idx");
  EXPECT_EQ(valid("public.items_id_idx"), "true");
  EXPECT_EQ(invalid_indexes(), "");
  EXPECT_EQ(state_of(1001), "applied");
  std::cerr << "[concurrent_index_test] " << retries.size() << " retries, " << dropped.size()
            << " invalid index drops\n";
}

TEST_F(concurrent_index_test, a_duplicate_leaves_the_version_dirty_and_the_next_up_resumes_at_the_build) {
  db.exec("INSERT INTO public.items VALUES (1)");  // a duplicate of id 1
  write_module_set(
      modules,
      {{"alpha",
        {{"1001_unique.sql",
          "-- +goose NO TRANSACTION\n" +
              migration_text("CREATE TABLE public.marker (n int);\n"
                             "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \"Items_Id_Key\" ON ONLY public.items (id);\n"
                             "INSERT INTO public.marker VALUES (1);",
                             "DROP TABLE public.marker;")}}}});
  run_result first = up(db.dsn(), {});
  EXPECT_EQ(first.code, 1) << first.err;
  EXPECT_THAT(first.err, HasSubstr("23505"));
  EXPECT_THAT(first.err, HasSubstr("resumes at statement 2"));
  EXPECT_EQ(invalid_indexes(), "\"Items_Id_Key\"");
  EXPECT_EQ(state_of(1001), "dirty");

  // The cause removed, the next up resumes instead of refusing the dirty version.
  db.exec("DELETE FROM public.items WHERE ctid = (SELECT max(ctid) FROM public.items WHERE id = 1)");
  run_result second = up(db.dsn(), {});
  ASSERT_EQ(second.code, 0) << second.err;
  ASSERT_EQ(events_named(second.err, "dirty_resumed").size(), 1u) << second.err;
  EXPECT_EQ(events_named(second.err, "dirty_resumed")[0].value("statement", 0), 2);
  const auto dropped = events_named(second.err, "invalid_index_dropped");
  ASSERT_EQ(dropped.size(), 1u) << second.err;
  EXPECT_EQ(dropped[0].value("index", ""), "public.\"Items_Id_Key\"");
  EXPECT_EQ(valid("public.\"Items_Id_Key\""), "true");
  EXPECT_EQ(invalid_indexes(), "");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM public.marker"), "1");  // statement 1 did not run again, 3 ran once
  EXPECT_EQ(state_of(1001), "applied");
}

TEST_F(concurrent_index_test, an_unnamed_build_is_left_dirty_with_the_reason) {
  db.exec("INSERT INTO public.items VALUES (1)");
  write_module_set(modules, {{"alpha",
                              {{"1001_unique.sql", "-- +goose NO TRANSACTION\n" +
                                                       migration_text("CREATE UNIQUE INDEX CONCURRENTLY ON public.items (id);")}}}});
  run_result first = up(db.dsn(), {});
  EXPECT_EQ(first.code, 1) << first.err;
  EXPECT_THAT(first.err, HasSubstr("names no index"));
  db.exec("DELETE FROM public.items WHERE ctid = (SELECT max(ctid) FROM public.items WHERE id = 1)");
  run_result second = up(db.dsn(), {});
  EXPECT_EQ(second.code, 4) << second.err;  // dirty: refused as before
  EXPECT_THAT(second.err, HasSubstr("dirty"));
  EXPECT_NE(invalid_indexes(), "");  // left for a person, as the message said
}

TEST_F(concurrent_index_test, an_index_that_is_valid_or_of_another_name_is_never_dropped) {
  // A valid index of the same name: the build fails ("already exists"), nothing is dropped.
  db.exec("CREATE INDEX items_id_idx ON public.items (id)");
  db.exec("CREATE INDEX other_idx ON public.items (id)");
  db.exec("INSERT INTO public.items VALUES (1)");
  // An invalid index of another name, left by someone else's failed build.
  try {
    db.exec("CREATE UNIQUE INDEX CONCURRENTLY someone_elses ON public.items (id)");
  } catch (const std::exception&) {
  }
  ASSERT_EQ(invalid_indexes(), "someone_elses");
  write_module_set(modules, {{"alpha",
                              {{"1001_idx.sql", "-- +goose NO TRANSACTION\n" +
                                                    migration_text("CREATE INDEX CONCURRENTLY items_id_idx ON public.items (id);")}}}});
  run_result first = up(db.dsn(), {});
  EXPECT_EQ(first.code, 1) << first.err;
  EXPECT_THAT(first.err, HasSubstr("42P07"));
  run_result second = up(db.dsn(), {});  // resumed: finds no invalid index of its name, fails the same way
  EXPECT_EQ(second.code, 1) << second.err;
  EXPECT_TRUE(events_named(second.err, "invalid_index_dropped").empty()) << second.err;
  EXPECT_EQ(valid("public.items_id_idx"), "true");
  EXPECT_EQ(valid("public.other_idx"), "true");
  EXPECT_EQ(invalid_indexes(), "someone_elses");
}

}  // namespace
