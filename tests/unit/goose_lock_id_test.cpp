// The lock ids the docs attribute to goose. goose's lock/session_locker_options.go
// derives its DefaultLockID from the string "goose": since v3.26 (PR #993) as
// crc32.Checksum with the IEEE table, before that as crc64.Checksum with the
// ECMA table. Recomputing both here ties the constants in migrator/lock.h to that
// derivation, so a mistyped or swapped id fails this test.
#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>

#include "migrator/lock.h"
#include "migrator/postgres.h"

namespace {

// Reflected CRC with an all-ones start and final complement: Go's hash/crc32
// (IEEE) and hash/crc64 (ECMA) both compute it this way.
template <typename Word>
Word reflected_crc(std::string_view bytes, Word reversed_polynomial) {
  Word crc = ~Word{0};
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ reversed_polynomial : crc >> 1;
  }
  return ~crc;
}

TEST(goose_lock_id, since_v3_26_is_the_crc32_ieee_of_goose) {
  EXPECT_EQ(reflected_crc<std::uint32_t>("goose", 0xEDB88320u), migrator::goose_lock_id);
}

TEST(goose_lock_id, before_v3_26_is_the_crc64_ecma_of_goose) {
  EXPECT_EQ(static_cast<std::int64_t>(reflected_crc<std::uint64_t>("goose", 0xC96C5795D7870F42ull)),
            migrator::goose_lock_id_before_v3_26);
}

// The check values of both CRCs ("123456789"), so the function above is the
// standard one and not merely self-consistent.
TEST(goose_lock_id, the_crc_function_gives_the_standard_check_values) {
  EXPECT_EQ(reflected_crc<std::uint32_t>("123456789", 0xEDB88320u), 0xCBF43926u);
  EXPECT_EQ(reflected_crc<std::uint64_t>("123456789", 0xC96C5795D7870F42ull), 0x995DC9BBDF1939FAull);
}

TEST(goose_lock_id, both_locks_default_to_goose_v3_26s_id) {
  EXPECT_EQ(migrator::table_lock_options{}.lock_id, migrator::goose_lock_id);
  EXPECT_EQ(migrator::table_lock_options{}.table, "goose_lock");
  EXPECT_EQ(migrator::table_lock_options{}.lease, std::chrono::seconds(30));
  EXPECT_EQ(migrator::table_lock_options{}.heartbeat, std::chrono::seconds(5));
}

}  // namespace
