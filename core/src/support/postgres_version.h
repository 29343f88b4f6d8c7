// PostgreSQL's version numbers (server_version_num, as libpq's PQserverVersion
// gives it) read and judged against the versions this tool supports. Pure.
#pragma once

#include <optional>
#include <string>

namespace migrator::detail {

// "18.4" for 180004, "9.6.24" for 90624 (before 10 the major had two parts).
std::string postgres_version_text(int server_version_num);

// 18 for 180004 and 180000; 9 for every 9.x (only "older than 14" matters for those).
int postgres_major(int server_version_num);

// Why a server of this version is refused before anything is run on it, or
// nullopt when it is supported. Newer than the newest tested is allowed (and
// only logged by the caller): a new major keeps the catalogs this tool reads.
std::optional<std::string> unsupported_server_reason(int server_version_num);

}  // namespace migrator::detail
