// goose's tstamp column (timestamp without time zone) as the history shows it,
// "YYYY-MM-DD HH:MM:SS", what to_char(tstamp, 'YYYY-MM-DD HH24:MI:SS') prints,
// written here instead of by the server (with to_char and ORDER BY, the whole
// history read of 1,000 rows took a fresh server process 24.4 ms instead of
// 23.2, connection included, by pgbench -C on PostgreSQL 15). The history
// store reads it with COPY as its own text when the server writes times as
// DateStyle ISO does (goose_timestamp_from_iso), and otherwise as whole seconds
// (goose_seconds_sql, goose_timestamp_text), which print the same under any DateStyle.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

// The same text from the column's own text under DateStyle ISO (how COPY sends
// it): "YYYY-MM-DD HH:MM:SS", then the fraction, a zone offset (timestamptz)
// and " BC" that to_char's pattern leaves out. The year keeps every digit, a
// BC year its number, as to_char's YYYY writes them. Empty for "infinity" and
// "-infinity" (no time to show). Throws error(database) for any other text.
std::string goose_timestamp_from_iso(std::string_view iso);

}  // namespace migrator::detail
