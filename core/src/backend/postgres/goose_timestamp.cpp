#include "backend/postgres/goose_timestamp.h"

#include "migrator/error.h"

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
  // to_char's YYYY: at least four digits, and years before 1 as BC years (0 is 1 BC).
  std::int64_t year = date.year > 0 ? date.year : 1 - date.year;
  // Digits by hand: snprintf cost about 3,000 instructions a row, on every
  // status of a history with thousands of rows.
  char year_digits[20];
  int year_length = 0;
  do {
    year_digits[year_length++] = static_cast<char>('0' + year % 10);
    year /= 10;
  } while (year > 0 || year_length < 4);
  std::string text(static_cast<std::size_t>(year_length) + 15, '-');
  std::size_t at = 0;
  while (year_length > 0) text[at++] = year_digits[--year_length];
  const auto two = [&](std::int64_t value, char after) {
    text[at + 1] = static_cast<char>('0' + value / 10);
    text[at + 2] = static_cast<char>('0' + value % 10);
    if (after) text[at + 3] = after;
    at += 3;
  };
  two(date.month, '-');
  two(date.day, ' ');
  two(of_day / 3600, ':');
  two(of_day / 60 % 60, ':');
  two(of_day % 60, 0);
  return text;
}

std::string goose_timestamp_from_iso(std::string_view iso) {
  if (iso == "infinity" || iso == "-infinity") return {};
  const auto digit = [&](std::size_t at) { return at < iso.size() && iso[at] >= '0' && iso[at] <= '9'; };
  std::size_t year_digits = 0;
  while (digit(year_digits)) ++year_digits;
  // After the year: "-MM-DD HH:MM:SS", each separator where the pattern has it.
  const char* const rest = "-00-00 00:00:00";
  const std::size_t length = year_digits + 15;
  bool matches = year_digits >= 4 && iso.size() >= length;
  for (std::size_t k = 0; matches && k < 15; ++k)
    matches = rest[k] == '0' ? digit(year_digits + k) : iso[year_digits + k] == rest[k];
  // What may follow: a fraction, an offset or the era.
  if (matches && iso.size() > length) {
    const char next = iso[length];
    matches = next == '.' || next == '+' || next == '-' || next == ' ';
  }
  if (!matches)
    throw error(error_code::database,
                "goose's tstamp came as \"" + std::string(iso) + "\", not as DateStyle ISO writes a timestamp");
  return std::string(iso.substr(0, length));
}

}  // namespace migrator::detail
