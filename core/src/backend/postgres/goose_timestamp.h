// goose's tstamp column (timestamp without time zone) as the history shows it,
// "YYYY-MM-DD HH:MM:SS", read as whole seconds (goose_seconds_sql) and written
// out here. The server prints an integer faster than it runs to_char (with
// to_char and ORDER BY, the whole history read of 1,000 rows took a fresh
// server process 24.4 ms instead of 23.2, connection included, by pgbench -C
// on PostgreSQL 15), and, unlike the timestamp's own text, the same under any
// DateStyle.
#pragma once

#include <cstdint>
#include <string>

namespace migrator::detail {

// The column list entry that reads `column` (a timestamp without time zone) as
// its whole seconds since 1970-01-01 00:00:00, as a bigint: truncated to the
// second before it becomes a number, so no rounding can carry it into the next
// second. NULL for NULL and for the infinite timestamps.
std::string goose_seconds_sql(const std::string& column);

// `seconds` from goose_seconds_sql as to_char(tstamp, 'YYYY-MM-DD HH24:MI:SS')
// prints the timestamp: the nominal (zone-less) calendar fields of the
// proleptic Gregorian calendar; a year before 1 as to_char's YYYY counts BC
// years (1 BC as 0001).
std::string goose_timestamp_text(std::int64_t seconds);

}  // namespace migrator::detail
