#include "backend/postgres/goose_timestamp.h"

#include <cstdio>

namespace migrator::detail {

namespace {

// Floor division: -1 s is 23:59:59 of the day before.
std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

struct civil_date {
  std::int64_t year;  // astronomical: 0 is 1 BC
  int month, day;
};

// Days since 1970-01-01 to the proleptic Gregorian date, the calendar PostgreSQL
// uses for every year, counted in 400-year eras that begin on a March 1st (so
// that a leap day is the last day of its year).
civil_date date_from_days(std::int64_t days) {
  const std::int64_t shifted = days + 719468;  // days since 0000-03-01
  const std::int64_t era = floor_div(shifted, 146097);
  const std::int64_t day_of_era = shifted - era * 146097;
  const std::int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t month_from_march = (5 * day_of_year + 2) / 153;
  const int day = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  const int month = static_cast<int>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  return {year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

}  // namespace

std::string goose_seconds_sql(const std::string& column) {
  return "CASE WHEN isfinite(" + column + ") THEN date_part('epoch', date_trunc('second', " + column +
         "))::bigint END";
}

std::string goose_timestamp_text(std::int64_t seconds) {
  const std::int64_t days = floor_div(seconds, 86400);
  const std::int64_t of_day = seconds - days * 86400;
  const civil_date date = date_from_days(days);
  const std::int64_t year = date.year > 0 ? date.year : 1 - date.year;
  char text[64];
  std::snprintf(text, sizeof text, "%04lld-%02d-%02d %02d:%02d:%02d", static_cast<long long>(year), date.month,
                date.day, static_cast<int>(of_day / 3600), static_cast<int>(of_day / 60 % 60),
                static_cast<int>(of_day % 60));
  return text;
}

}  // namespace migrator::detail
