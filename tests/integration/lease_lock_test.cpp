// The table lease lock through the library (migrator/postgres.h): the
// heartbeat renews it, a lease taken away is noticed by check_held(), and
// interrupt() ends a wait.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "migrator/error.h"
#include "migrator/postgres.h"
#include "test_support.h"

using namespace testing_support;
using ::testing::HasSubstr;

namespace {

std::unique_ptr<migrator::migration_lock> lease_on(const test_database& db, const std::string& holder,
                                                   std::chrono::milliseconds lease,
                                                   std::chrono::milliseconds heartbeat) {
  migrator::table_lock_options o;
  o.holder = holder;
  o.lease = lease;
  o.heartbeat = heartbeat;
  const std::string dsn = db.dsn();
  return migrator::make_table_lock([dsn] { return migrator::connect_postgres(dsn, "lease_lock_test"); }, o);
}

TEST(lease_lock, the_heartbeat_keeps_the_lease_past_its_length) {
  test_database db;
  auto lock = lease_on(db, "renewing holder", std::chrono::milliseconds(3000), std::chrono::milliseconds(100));
  EXPECT_FALSE(lock->acquire(std::chrono::seconds(5), nullptr));
  const std::string first_expiry = db.scalar("SELECT lease_expires_at FROM goose_lock");
  // Wait on the server's clock until the first lease is over: only renewals keep the row ours past it.
  bool first_lease_over = false;
  for (int i = 0; i < 200 && !first_lease_over; ++i) {
    first_lease_over = db.scalar("SELECT now() > '" + first_expiry + "'::timestamptz") == "t";
    if (!first_lease_over) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(first_lease_over);
  EXPECT_EQ(db.scalar("SELECT lease_expires_at > now() AND locked_by = 'renewing holder' FROM goose_lock"), "t");
  EXPECT_NO_THROW(lock->check_held());
  auto other = lease_on(db, "second", std::chrono::milliseconds(1000), std::chrono::milliseconds(100));
  try {
    other->acquire(std::chrono::milliseconds(300), nullptr);
    ADD_FAILURE() << "a renewed lease was taken";
  } catch (const migrator::error& e) {
    EXPECT_EQ(e.code(), migrator::error_code::lock_timeout);
    EXPECT_THAT(e.what(), HasSubstr("'renewing holder'"));
  }
  lock->release();
  EXPECT_EQ(db.scalar("SELECT locked FROM goose_lock"), "f");
}

TEST(lease_lock, a_lease_taken_away_makes_check_held_throw) {
  test_database db;
  auto lock = lease_on(db, "first holder", std::chrono::seconds(30), std::chrono::milliseconds(100));
  lock->acquire(std::chrono::seconds(5), nullptr);
  db.exec("UPDATE goose_lock SET locked_by = 'someone else'");
  bool thrown = false;
  for (int i = 0; i < 100 && !thrown; ++i) {
    try {
      lock->check_held();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } catch (const migrator::error& e) {
      thrown = true;
      EXPECT_EQ(e.code(), migrator::error_code::lock_timeout);
      EXPECT_THAT(e.what(), HasSubstr("was lost: another runner holds it now"));
    }
  }
  EXPECT_TRUE(thrown);
  lock->release();  // not ours any more: left as the other holder has it
  EXPECT_EQ(db.scalar("SELECT locked_by FROM goose_lock"), "someone else");
}

TEST(lease_lock, interrupt_ends_a_wait) {
  test_database db;
  auto holder = lease_on(db, "holder", std::chrono::seconds(30), std::chrono::seconds(5));
  holder->acquire(std::chrono::seconds(5), nullptr);
  auto waiter = lease_on(db, "waiter", std::chrono::seconds(30), std::chrono::seconds(5));
  // Interrupt once the waiter reported that it waits (its first on_wait), not after a guessed pause.
  std::promise<void> began_waiting;
  std::thread stopper([&, began = began_waiting.get_future()] {
    began.wait();
    waiter->interrupt();
  });
  int reports = 0;
  try {
    waiter->acquire(std::chrono::seconds(60), [&](const migrator::lock_holder& h) {
      if (++reports == 1) began_waiting.set_value();
      EXPECT_EQ(h.locked_by, "holder");
    });
    ADD_FAILURE() << "acquired a held lease";
  } catch (const migrator::error& e) {
    EXPECT_EQ(e.code(), migrator::error_code::interrupted);
  }
  if (reports == 0) began_waiting.set_value();  // lets the stopper end when the wait never began
  stopper.join();
  EXPECT_EQ(reports, 1);  // when the wait began; the next report is due after 5 s
}

}  // namespace
