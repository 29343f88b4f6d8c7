// The PostgreSQL versions this tool supports (docs/postgres-versions.md).
#pragma once

namespace migrator {

// The majors the test suite runs on. A server older than the oldest is refused
// before any statement; one newer than the newest is used, with a warning.
inline constexpr int oldest_supported_postgres_major = 14;
inline constexpr int newest_tested_postgres_major = 18;

}  // namespace migrator
