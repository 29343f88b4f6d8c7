// PostgreSQL's version numbers: how they read, which servers are refused, and
// which pg_dump can dump which server (pg_dump reads its own major or older).
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "migrator/schema_dump.h"
#include "support/postgres_version.h"

namespace {

using migrator::detail::postgres_major;
using migrator::detail::postgres_version_text;
using migrator::detail::unsupported_server_reason;

TEST(postgres_version, reads_server_version_num) {
  struct row {
    int num;
    const char* text;
    int major;
  };
  for (const row& r : {row{180004, "18.4", 18}, row{180000, "18.0", 18}, row{150014, "15.14", 15},
                       row{140023, "14.23", 14}, row{130011, "13.11", 13}, row{100001, "10.1", 10},
                       row{90624, "9.6.24", 9}}) {
    EXPECT_EQ(postgres_version_text(r.num), r.text) << r.num;
    EXPECT_EQ(postgres_major(r.num), r.major) << r.num;
  }
}

TEST(postgres_version, refuses_only_servers_older_than_14) {
  EXPECT_EQ(unsupported_server_reason(140000), std::nullopt);
  EXPECT_EQ(unsupported_server_reason(150014), std::nullopt);
  EXPECT_EQ(unsupported_server_reason(180004), std::nullopt);
  EXPECT_EQ(unsupported_server_reason(190000), std::nullopt);  // newer than tested: used, with a warning
  const auto thirteen = unsupported_server_reason(130011);
  ASSERT_TRUE(thirteen);
  EXPECT_NE(thirteen->find("PostgreSQL 13.11, older than 14"), std::string::npos) << *thirteen;
  EXPECT_NE(thirteen->find("nothing was run"), std::string::npos) << *thirteen;
  const auto nine = unsupported_server_reason(90624);
  ASSERT_TRUE(nine);
  EXPECT_NE(nine->find("PostgreSQL 9.6.24"), std::string::npos) << *nine;
  EXPECT_TRUE(unsupported_server_reason(0));  // not a PostgreSQL that told its version
}

TEST(pg_dump_version, reads_what_pg_dump_version_prints) {
  struct row {
    const char* output;
    std::optional<int> version;
  };
  for (const row& r : {row{"pg_dump (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)\n", 150014},
                       row{"pg_dump (PostgreSQL) 18.4\n", 180004}, row{"pg_dump (PostgreSQL) 18beta2\n", 180000},
                       row{"pg_dump (PostgreSQL) 9.6.24\n", 90624}, row{"pg_dump (PostgreSQL) 17.0", 170000},
                       row{"bash: pg_dump: command not found\n", std::nullopt}, row{"", std::nullopt},
                       row{"pg_dump (PostgreSQL) devel\n", std::nullopt}}) {
    EXPECT_EQ(migrator::parse_pg_dump_version(r.output), r.version) << r.output;
  }
}

TEST(pg_dump_version, dumps_its_own_major_and_older_servers_only) {
  using migrator::pg_dump_version_mismatch;
  EXPECT_EQ(pg_dump_version_mismatch(150014, 150002, "pg_dump"), std::nullopt);  // same major, older minor
  EXPECT_EQ(pg_dump_version_mismatch(150002, 150014, "pg_dump"), std::nullopt);  // same major, newer minor
  EXPECT_EQ(pg_dump_version_mismatch(150014, 140023, "pg_dump"), std::nullopt);
  EXPECT_EQ(pg_dump_version_mismatch(180004, 150014, "pg_dump"), std::nullopt);
  const auto refused = pg_dump_version_mismatch(150014, 180004, "/usr/bin/pg_dump");
  ASSERT_TRUE(refused);
  for (const char* part : {"/usr/bin/pg_dump is pg_dump 15.14", "the server runs PostgreSQL 18.4", "Nothing was done",
                           "postgresql-client-18", "--pg-dump /usr/lib/postgresql/18/bin/pg_dump"})
    EXPECT_NE(refused->find(part), std::string::npos) << part << " in: " << *refused;
}

}  // namespace
