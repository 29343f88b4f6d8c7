// `status` proves the side rows by their digests instead of reading them
// (backend/side_digest.h): against a real PostgreSQL, the digests a run writes
// prove the history equal to the files, and the status is the one the full read
// gives. Whatever makes the side rows differ from the files, or leaves the
// digests older than goose's table, proves nothing, and the full read decides.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>

#include "migrator/engine.h"
#include "migrator/environment.h"
#include "migrator/postgres.h"
#include "migrator/source.h"
#include "test_support.h"
#include "three_migration_set.h"

using namespace testing_support;
using ::testing::HasSubstr;

namespace {

class status_digest : public three_migration_set {
 protected:
  migrator::run_report run(migrator::command_kind kind, std::int64_t target = 0) {
    auto session = migrator::connect_postgres(db.dsn());
    auto history = migrator::make_goose_history_store(*session, "goose_db_version");
    auto lock = migrator::make_advisory_lock(*session, 7301);
    migrator::engine engine(*session, *history, *lock, set, {});
    return engine.run({kind, target});
  }

  // up's look before the lock (history_store::compare_applied): whether the
  // history is the set all applied; nullopt when a table it reads is missing.
  std::optional<bool> up_to_date() {
    auto session = migrator::connect_postgres(db.dsn());
    auto history = migrator::make_goose_history_store(*session, "goose_db_version");
    const auto same = history->compare_applied(set.migrations, set.repeatables);
    if (!same) return std::nullopt;
    return same->equal;
  }

  // Whether the store proves the side rows equal to the files.
  bool proved() {
    auto session = migrator::connect_postgres(db.dsn());
    auto history = migrator::make_goose_history_store(*session, "goose_db_version");
    return history->read_for_status(set.migrations).side_rows_match_files;
  }

  // What status reports through the digests, and through the full read, as text.
  static std::string rows(const migrator::status_report& r) {
    std::string out = "current " + std::to_string(r.current_version) + ", without checksum " +
                      std::to_string(r.without_checksum) + "\n";
    for (const auto& m : r.migrations)
      out += m.module + " " + std::to_string(m.version) + " " + m.name + " " + migrator::to_string(m.state) + " " +
             m.applied_at.value_or("-") + " checksum " + (m.has_checksum ? "yes" : "no") + " recorded by " +
             m.recorded_module.value_or("-") + "\n";
    for (const auto& c : r.namespace_conflicts) out += c + "\n";
    return out;
  }
  std::string status_through_digests() {
    auto session = migrator::connect_postgres(db.dsn());
    auto history = migrator::make_goose_history_store(*session, "goose_db_version");
    return rows(migrator::compute_status(set, history->read_for_status(set.migrations)));
  }
  std::string status_read_in_full() {
    auto session = migrator::connect_postgres(db.dsn());
    auto history = migrator::make_goose_history_store(*session, "goose_db_version");
    return rows(migrator::compute_status(set, history->read()));
  }
};

TEST_F(status_digest, a_run_writes_digests_that_prove_the_side_rows_and_status_is_the_same) {
  ASSERT_EQ(run(migrator::command_kind::up).steps.size(), 3u);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version_digest"), "2");  // db and shop
  EXPECT_TRUE(proved());
  const std::string through_digests = status_through_digests();
  EXPECT_EQ(through_digests, status_read_in_full());
  EXPECT_THAT(through_digests, HasSubstr("shop 2001 c applied"));
  EXPECT_THAT(through_digests, HasSubstr("checksum yes recorded by shop"));

  // down changes the history: the digests are written again, of 1001 and 1002 alone.
  ASSERT_EQ(run(migrator::command_kind::down).steps.size(), 1u);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version_digest"), "1");
  EXPECT_TRUE(proved());
  EXPECT_EQ(status_through_digests(), status_read_in_full());
  EXPECT_THAT(status_through_digests(), HasSubstr("shop 2001 c pending"));
}

// The server's text and the client's are the same: the digest the run wrote is
// the one append_side_digest_line and side_digest_of give for the files.
TEST_F(status_digest, the_server_hashes_the_text_the_client_hashes) {
  ASSERT_EQ(run(migrator::command_kind::up).steps.size(), 3u);
  const auto& a = set.migrations.at(0);
  const auto& b = set.migrations.at(1);
  EXPECT_EQ(db.scalar("SELECT digest FROM goose_db_version_digest WHERE module = 'db'"),
            db.scalar("SELECT encode(sha256(convert_to('1001:" + a.checksum + ":applied\n1002:" + b.checksum +
                      ":applied\n', 'UTF8')), 'hex')"));
  EXPECT_EQ(db.scalar("SELECT versions || ' ' || goose_rows || ' ' || goose_last_id FROM goose_db_version_digest "
                      "WHERE module = 'shop'"),
            "1 4 4");
}

struct no_proof {
  const char* what;
  const char* change;          // SQL on the migrated database
  const char* status_has;      // a line of the status it must give
};

TEST_F(status_digest, what_the_digests_cannot_prove_is_read_in_full) {
  const no_proof cases[] = {
      {"goose applied a version the set has not recorded (a goose row, no side row)",
       "INSERT INTO goose_db_version (version_id, is_applied) VALUES (3001, true)", "\n 3001  unknown"},
      {"goose v3 rolled 2001 back (deleted its row)", "DELETE FROM goose_db_version WHERE version_id = 2001",
       "shop 2001 c pending"},
      {"goose v2 rolled 2001 back (appended is_applied = false)",
       "INSERT INTO goose_db_version (version_id, is_applied) VALUES (2001, false)", "shop 2001 c pending"},
      {"a run began (its digests removed) and stopped at a NO TRANSACTION migration",
       "DELETE FROM goose_db_version_digest; INSERT INTO goose_db_version_meta (version_id, module, name, checksum, "
       "state, statements_done, statements_total) VALUES (2002, 'shop', 'd', 'x', 'dirty', 0, 1)",
       "shop 2002 d dirty"},
      {"the history predates the digests' table", "DROP TABLE goose_db_version_digest", "shop 2001 c applied"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    test_database each;
    {
      auto session = migrator::connect_postgres(each.dsn());
      auto history = migrator::make_goose_history_store(*session, "goose_db_version");
      auto lock = migrator::make_advisory_lock(*session, 7301);
      migrator::engine engine(*session, *history, *lock, set, {});
      ASSERT_EQ(engine.run({migrator::command_kind::up, 0}).steps.size(), 3u);
    }
    each.exec(c.change);
    auto session = migrator::connect_postgres(each.dsn());
    auto history = migrator::make_goose_history_store(*session, "goose_db_version");
    const auto snap = history->read_for_status(set.migrations);
    EXPECT_FALSE(snap.side_rows_match_files);
    EXPECT_EQ(rows(migrator::compute_status(set, snap)), rows(migrator::compute_status(set, history->read())));
    EXPECT_THAT(rows(migrator::compute_status(set, snap)), HasSubstr(c.status_has));
  }
}

TEST_F(status_digest, an_edited_file_is_not_proved_and_shows_as_modified) {
  ASSERT_EQ(run(migrator::command_kind::up).steps.size(), 3u);
  modules.write("db/migrations/01002_b.sql", migration_text("CREATE TABLE b (id bigint);", "DROP TABLE b;"));
  ASSERT_NO_FATAL_FAILURE(load_set());
  EXPECT_FALSE(proved());
  EXPECT_THAT(status_through_digests(), HasSubstr("db 1002 b modified"));
  EXPECT_EQ(status_through_digests(), status_read_in_full());
}

// up's look before the lock takes the digests' word for the side rows: with
// the side table renamed away it still answers; where the digests prove
// nothing it reads the side table and answers as the side rows say.
TEST_F(status_digest, up_with_nothing_to_do_reads_the_side_rows_only_when_the_digests_prove_nothing) {
  ASSERT_EQ(run(migrator::command_kind::up).steps.size(), 3u);
  EXPECT_EQ(up_to_date(), std::optional<bool>(true));
  db.exec("ALTER TABLE goose_db_version_meta RENAME TO moved_meta");
  EXPECT_EQ(up_to_date(), std::optional<bool>(true)) << "proved by the digests: the side table is not read";
  // Digests older than goose's table prove nothing: the side table is read
  // (missing, the look says nothing), then it decides.
  db.exec("DELETE FROM goose_db_version_digest");
  EXPECT_EQ(up_to_date(), std::nullopt);
  db.exec("ALTER TABLE moved_meta RENAME TO goose_db_version_meta");
  EXPECT_EQ(up_to_date(), std::optional<bool>(true));
  // A run writes them again; a new file is pending either way.
  ASSERT_EQ(run(migrator::command_kind::down).steps.size(), 1u);
  ASSERT_EQ(run(migrator::command_kind::up).steps.size(), 1u);
  modules.write("shop/migrations/02002_d.sql", migration_text("CREATE TABLE d (id int);", "DROP TABLE d;"));
  ASSERT_NO_FATAL_FAILURE(load_set());
  db.exec("ALTER TABLE goose_db_version_meta RENAME TO moved_meta");
  EXPECT_EQ(up_to_date(), std::optional<bool>(false)) << "2002 pending, decided by the digests";
  db.exec("ALTER TABLE moved_meta RENAME TO goose_db_version_meta");
  // An edited file is not proved: the side rows are read and differ.
  std::filesystem::remove(modules.path() / "shop/migrations/02002_d.sql");
  modules.write("db/migrations/01002_b.sql", migration_text("CREATE TABLE b (id bigint);", "DROP TABLE b;"));
  ASSERT_NO_FATAL_FAILURE(load_set());
  db.exec("ALTER TABLE goose_db_version_meta RENAME TO moved_meta");
  EXPECT_EQ(up_to_date(), std::nullopt) << "not proved: the side table is read";
  db.exec("ALTER TABLE moved_meta RENAME TO goose_db_version_meta");
  EXPECT_EQ(up_to_date(), std::optional<bool>(false));
}

// The limit docs/architecture.md names: the digests vouch for the side rows
// until a run that takes the lock writes them again, so a hand edit of the side
// table alone is not seen by status or by up's look before the lock; deleting
// the digests makes both read the side rows at once.
TEST_F(status_digest, a_hand_edit_of_the_side_table_is_seen_once_the_digests_are_deleted) {
  ASSERT_EQ(run(migrator::command_kind::up).steps.size(), 3u);
  db.exec("UPDATE goose_db_version_meta SET checksum = 'edited' WHERE version_id = 1002");
  EXPECT_TRUE(proved());
  EXPECT_EQ(up_to_date(), std::optional<bool>(true));
  db.exec("DELETE FROM goose_db_version_digest");
  EXPECT_FALSE(proved());
  EXPECT_EQ(up_to_date(), std::optional<bool>(false));
  EXPECT_THAT(status_through_digests(), HasSubstr("db 1002 b modified"));
}

// A history whose digests are missing or older than goose's table (goose ran,
// or an older build): status reads in full until a run that takes the lock
// writes them (up with nothing to do takes no lock and writes nothing); a run
// that fails leaves none.
TEST_F(status_digest, a_run_that_takes_the_lock_writes_missing_digests_and_a_failed_run_leaves_none) {
  ASSERT_EQ(run(migrator::command_kind::up).steps.size(), 3u);
  db.exec("DROP TABLE goose_db_version_digest");
  EXPECT_FALSE(proved());
  EXPECT_TRUE(run(migrator::command_kind::up).steps.empty());
  EXPECT_FALSE(proved());
  EXPECT_EQ(db.scalar("SELECT to_regclass('goose_db_version_digest') IS NULL"), "t");

  modules.write("shop/migrations/02002_d.sql", migration_text("CREATE TABLE d (id int);", "DROP TABLE d;"));
  ASSERT_NO_FATAL_FAILURE(load_set());
  ASSERT_EQ(run(migrator::command_kind::up).steps.size(), 1u);
  EXPECT_TRUE(proved());
  EXPECT_EQ(status_through_digests(), status_read_in_full());

  modules.write("shop/migrations/02003_e.sql", migration_text("CREATE TABLE c (id int);"));  // c exists: fails
  ASSERT_NO_FATAL_FAILURE(load_set());
  EXPECT_THROW(run(migrator::command_kind::up), migrator::error);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM goose_db_version_digest"), "0");
  EXPECT_FALSE(proved());
  EXPECT_THAT(status_through_digests(), HasSubstr("shop 2003 e pending"));
  EXPECT_EQ(status_through_digests(), status_read_in_full());
}

}  // namespace
