// A real PgBouncer (Debian's package, run as the postgres user: it refuses
// root) in transaction pooling mode in front of the test server, on a free
// loopback port. Started by the constructor, stopped (by its own pid) on
// destruction.
#pragma once

#include <string>

#include "test_support.h"

namespace testing_support {

class pgbouncer {
 public:
  explicit pgbouncer(int pool_size = 4);
  ~pgbouncer();
  pgbouncer(const pgbouncer&) = delete;
  pgbouncer& operator=(const pgbouncer&) = delete;

  // A keyword/value DSN to `database` on the test server, through the pooler.
  std::string dsn_for(const std::string& database) const;
  int port() const { return port_; }

 private:
  temp_dir dir_;
  int port_ = 0;
  int pid_ = 0;
};

}  // namespace testing_support
