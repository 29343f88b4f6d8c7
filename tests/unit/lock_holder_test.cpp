// How a lock holder reads in logs and lock-timeout errors.
#include <gtest/gtest.h>

#include "migrator/lock.h"

namespace {

TEST(lock_holder, describe_names_what_is_known) {
  migrator::lock_holder advisory;
  advisory.pid = 4242;
  advisory.application_name = "app start 1.4.0";
  advisory.client_address = "10.0.0.7";
  advisory.since = "2026-11-28 20:31:07+00";
  migrator::lock_holder lease;
  lease.locked_by = "goose-deploy-7f9c";
  lease.since = "2026-11-28 20:30:00+00";
  lease.lease_expires_at = "2026-11-28 20:30:30+00";
  const std::pair<migrator::lock_holder, std::string> rows[] = {
      {{}, "unknown"},
      {advisory,
       "pid 4242, application_name 'app start 1.4.0', client 10.0.0.7, connected since 2026-11-28 20:31:07+00"},
      {lease,
       "'goose-deploy-7f9c', holding it since 2026-11-28 20:30:00+00, lease expires at 2026-11-28 20:30:30+00 unless "
       "renewed"},
  };
  for (const auto& [holder, expected] : rows) EXPECT_EQ(holder.describe(), expected);
}

}  // namespace
