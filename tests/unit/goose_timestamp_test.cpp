// goose's tstamp written as the history shows it, from its whole seconds,
// without a database. Each case's seconds and text are what PostgreSQL 15
// answered for the timestamp in the comment, to
// date_part('epoch', date_trunc('second', t))::bigint and to
// to_char(t, 'YYYY-MM-DD HH24:MI:SS'): the text the history showed before it
// read seconds.
#include <gtest/gtest.h>

#include <cstdint>

#include "backend/postgres/goose_timestamp.h"
#include "migrator/error.h"

namespace {

struct timestamp_case {
  std::int64_t seconds;
  const char* text;
};

TEST(goose_timestamp, writes_the_calendar_fields_to_char_writes) {
  const timestamp_case cases[] = {
      {0, "1970-01-01 00:00:00"},
      {-1, "1969-12-31 23:59:59"},                   // 1969-12-31 23:59:59.5: truncated, not rounded
      {951827696, "2000-02-29 12:34:56"},            // .999999: a leap day of a year divisible by 400
      {1796486936, "2026-12-05 16:08:56"},           // .999999
      {4107542399, "2100-02-28 23:59:59"},           // 2100 is no leap year
      {4107542400, "2100-03-01 00:00:00"},
      {-2203891201, "1900-02-28 23:59:59"},          // nor is 1900
      {-11670998400, "1600-02-29 00:00:00"},         // 1600 is
      {-62135596800, "0001-01-01 00:00:00"},         // the first day AD
      {-62135596801, "0001-12-31 23:59:59"},         // the second before it: 1 BC, as YYYY writes it
      {-62288352000, "0005-02-29 00:00:00"},         // 5 BC, a leap year (astronomical year -4)
      {327416976550, "12345-06-07 08:09:10"},        // five-digit years keep every digit
      {9224318015999, "294276-12-31 23:59:59"},      // the last second PostgreSQL can store
      {-210863520000, "4713-01-01 00:00:00"},        // 4713 BC, the first day it can
  };
  for (const auto& c : cases) EXPECT_EQ(migrator::detail::goose_timestamp_text(c.seconds), c.text) << c.seconds;
}

// The same texts from the column's own text, as the server sends it under
// DateStyle ISO (what COPY reads): each case is what PostgreSQL 15 printed for
// a timestamp (or, with an offset, a timestamptz) and what to_char(t,
// 'YYYY-MM-DD HH24:MI:SS') printed for it.
TEST(goose_timestamp, reads_the_iso_text_as_to_char_writes_it) {
  const struct {
    const char* iso;
    const char* text;
  } cases[] = {
      {"1970-01-01 00:00:00", "1970-01-01 00:00:00"},
      {"1969-12-31 23:59:59.5", "1969-12-31 23:59:59"},         // truncated, not rounded
      {"2000-02-29 12:34:56.999999", "2000-02-29 12:34:56"},
      {"0001-12-31 23:59:59 BC", "0001-12-31 23:59:59"},        // to_char's YYYY has no era
      {"0044-03-15 12:00:00.75 BC", "0044-03-15 12:00:00"},
      {"12345-06-07 08:09:10", "12345-06-07 08:09:10"},         // five-digit years keep every digit
      {"294276-12-31 23:59:59.999999", "294276-12-31 23:59:59"},
      {"2026-12-05 16:08:56+00", "2026-12-05 16:08:56"},        // timestamptz: the session's wall clock
      {"2026-12-05 16:08:56.5-03:30", "2026-12-05 16:08:56"},
      {"infinity", ""},                                         // no time to show
      {"-infinity", ""},
  };
  for (const auto& c : cases) EXPECT_EQ(migrator::detail::goose_timestamp_from_iso(c.iso), c.text) << c.iso;
}

TEST(goose_timestamp, refuses_a_text_that_is_not_an_iso_timestamp) {
  // DateStyle SQL, Postgres and German, and broken texts: goose's rows are then
  // read as seconds (history_store), so one of these here is an error.
  for (const char* text : {"12/05/2026 16:08:56", "Sat Dec 05 16:08:56 2026", "05.12.2026 16:08:56", "",
                           "2026-12-05", "2026-12-05T16:08:56", "2026-12-05 16:08:56x", "226-12-05 16:08:56",
                           "2026-1a-05 16:08:56"})
    EXPECT_THROW(migrator::detail::goose_timestamp_from_iso(text), migrator::error) << text;
}

}  // namespace
