// DSN (libpq connection string) handling: normalisation of URIs written for
// other drivers, and redaction of passwords for everything that is printed.
// Pure: no I/O, no environment. Documented in docs/configuration.md.
#pragma once

#include <string>
#include <string_view>

#include "migrator/source.h"

namespace migrator {

// A SQLite DSN selects the SQLite backend (docs/sqlite.md):
//   sqlite:PATH          a database file, relative to the working directory or absolute
//   sqlite:///ABS/PATH   the same, URI-style (SQLAlchemy's spelling)
//   sqlite::memory:      a private in-memory database (gone when the process ends)
// The scheme in any letter case. Everything else is a PostgreSQL DSN.
backend_kind backend_of(std::string_view dsn);
// The file path of a SQLite DSN (":memory:" for the in-memory database).
// Throws migrator::error(config) when the DSN names no path, or has a '?'
// (SQLite's URI parameters such as ?mode=ro are not supported).
std::string sqlite_path(std::string_view dsn);

// Returns a DSN that libpq accepts for one written for another driver:
//   postgresql+<driver>://... and postgres+<driver>://... (SQLAlchemy's
//     +asyncpg, +psycopg, +psycopg2, +pg8000, Go's +pgx, ...)  -> postgresql://...
//   pgx://, pgx4://, pgx5:// (golang-migrate's pgx drivers)    -> postgresql://...
//   the scheme in any letter case (libpq only accepts lower case)
// For those driver URIs only, asyncpg's query parameter ssl=<sslmode value> becomes
// sslmode=<value>; every other part of a URI is kept byte for byte.
// postgresql:// and postgres:// URIs, keyword/value DSNs ("host=... dbname=...")
// and SQLite DSNs (sqlite:PATH) pass through unchanged; surrounding whitespace is removed. Empty stays empty
// (libpq then uses PG* variables, service files and .pgpass: nothing is injected).
// Throws migrator::error(config) for a URI with any other scheme (mysql://,
// jdbc:postgresql://, ...); the message names the scheme, never the rest.
std::string normalize_dsn(std::string_view dsn);

// Throws migrator::error(config) when libpq could not use the (normalised)
// PostgreSQL DSN at all: a string PQconninfoParse rejects (an unterminated
// quote, an unknown keyword, a bad URI) or a port that is not a number from 1
// to 65535 (libpq only notices that when it connects). Bad input, not a
// database error: the message says what is wrong, never the password.
// Empty DSNs pass; a SQLite DSN passes when sqlite_path accepts it.
void check_dsn(std::string_view dsn);

// The DSN with every password replaced by "***", in either form:
//   URI:            scheme://user:***@host/db, ?password=*** and ?sslpassword=***
//                   (keys compared case-insensitively and after percent-decoding)
//   keyword/value:  password=*** and sslpassword=***, quoted or not, with any
//                   spaces around '='
// Ambiguous input is redacted generously: in a URI everything from the first ':'
// after "://" to the last '@' is treated as the password (so raw '@', ':', '/',
// '?' and '#' in a password never leak); a keyword/value string that libpq could
// not parse is redacted from the first malformed pair to its end.
// Never leaves any byte of a password; the rest is kept as written.
std::string redact_dsn(std::string_view dsn);

// Last line of defence for any text that leaves the process (log lines, error
// messages: libpq may echo parts of a DSN). Replaces with "***":
//   - every password of `dsn` (see redact_dsn) as written, percent-decoded
//     (URI) and unescaped (keyword/value), wherever it appears in `text`, even
//     inside other words: a password such as "ibex" also hides the user "ibex";
//   - the password of any other URI ("scheme://user:pw@") or "password=..." /
//     "sslpassword=..." pair found in `text`.
// `dsn` may be empty (only the second rule applies).
std::string redact_secrets(std::string_view text, std::string_view dsn);

}  // namespace migrator
