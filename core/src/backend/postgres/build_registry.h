// The build registry on PostgreSQL ("<table>_builds", builds.h): reading the
// live builds on any session, and one process's registration with its heartbeat.
#pragma once

#include <string>
#include <vector>

#include "migrator/builds.h"
#include "migrator/session.h"

namespace migrator::detail {

// The live builds (lease not expired by the server's clock), oldest first;
// none when the table does not exist.
std::vector<live_build> read_live_builds(session& s, const std::string& history_table);

}  // namespace migrator::detail
