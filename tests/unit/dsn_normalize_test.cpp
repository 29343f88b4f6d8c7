// normalize_dsn: URIs written for other drivers, one table row per form.
#include <gtest/gtest.h>

#include <string>

#include "migrator/dsn.h"
#include "migrator/error.h"

namespace {

using migrator::normalize_dsn;

struct dsn_case {
  const char* input;
  const char* expected;
};

TEST(NormalizeDsn, Table) {
  const dsn_case cases[] = {
      {"", ""},
      {"  \n", ""},
      {"host=localhost dbname=app", "host=localhost dbname=app"},
      {"  host=localhost dbname=app\n", "host=localhost dbname=app"},
      {"host=/tmp/sock port=5432 user=postgres dbname=postgres", "host=/tmp/sock port=5432 user=postgres dbname=postgres"},
      {"dbname=postgresql+asyncpg://x", "dbname=postgresql+asyncpg://x"},  // keyword form: untouched
      {"postgresql://u:p@h/db", "postgresql://u:p@h/db"},
      {"postgres://u:p@h/db", "postgres://u:p@h/db"},
      {"postgresql://", "postgresql://"},
      {"POSTGRESQL://u:p@h/db", "postgresql://u:p@h/db"},
      {"Postgres://u:p@h/db", "postgres://u:p@h/db"},
      {"postgresql+asyncpg://ibex:ibex@localhost:5432/ibex", "postgresql://ibex:ibex@localhost:5432/ibex"},
      {"postgresql+psycopg://u:p@h/db", "postgresql://u:p@h/db"},
      {"postgresql+psycopg2://u:p@h/db", "postgresql://u:p@h/db"},
      {"postgresql+pg8000://u:p@h/db", "postgresql://u:p@h/db"},
      {"postgres+pgx://u:p@h/db", "postgresql://u:p@h/db"},
      {"PostgreSQL+AsyncPG://u:p@h/db", "postgresql://u:p@h/db"},
      {"pgx://u:p@h:5432/db?sslmode=disable", "postgresql://u:p@h:5432/db?sslmode=disable"},
      {"pgx4://u:p@h/db", "postgresql://u:p@h/db"},
      {"pgx5://u:p@h:5432/db?sslmode=disable", "postgresql://u:p@h:5432/db?sslmode=disable"},
      // asyncpg's ssl=<mode> is libpq's sslmode=<mode>, for driver URIs only.
      {"postgresql+asyncpg://u:p@h/db?ssl=require", "postgresql://u:p@h/db?sslmode=require"},
      {"postgresql+asyncpg://u:p@h/db?application_name=x&ssl=verify-full",
       "postgresql://u:p@h/db?application_name=x&sslmode=verify-full"},
      {"postgresql+asyncpg://u:p@h/db?ssl=true", "postgresql://u:p@h/db?ssl=true"},
      {"postgresql://u:p@h/db?ssl=require", "postgresql://u:p@h/db?ssl=require"},
      {"postgresql+asyncpg://u:p?ssl=require@h/db", "postgresql://u:p?ssl=require@h/db"},  // inside the password
      {"postgresql+asyncpg://u:p@h/db?sslmode=require", "postgresql://u:p@h/db?sslmode=require"},
  };
  for (const auto& c : cases) EXPECT_EQ(normalize_dsn(c.input), c.expected) << "input: " << c.input;
}

TEST(NormalizeDsn, UnsupportedSchemesAreConfigErrorsWithoutThePassword) {
  const dsn_case cases[] = {
      {"mysql://u:secret@h/db", "'mysql://'"},
      {"jdbc:postgresql://h/db?user=u&password=secret", "'jdbc:...://'"},
      {"postgresql+://u:secret@h/db", "'postgresql+://'"},
      {"cockroachdb://u:secret@h/db", "'cockroachdb://'"},
  };
  for (const auto& c : cases) {
    try {
      normalize_dsn(c.input);
      ADD_FAILURE() << "no error for " << c.input;
    } catch (const migrator::error& e) {
      EXPECT_EQ(e.code(), migrator::error_code::config);
      EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << e.what();
    }
  }
}

// SQLite's URI parameters are refused rather than becoming part of the file's
// name; a SQLite DSN without a file is a configuration error too.
TEST(SqliteDsn, PathsAreAcceptedAndQueryParametersRefused) {
  const std::pair<const char*, const char*> accepted[] = {
      {"sqlite:app.db", "app.db"},
      {"sqlite:///var/lib/app.db", "/var/lib/app.db"},
      {"sqlite::memory:", ":memory:"},
  };
  for (const auto& [dsn, path] : accepted) {
    EXPECT_EQ(migrator::sqlite_path(dsn), path) << dsn;
    EXPECT_NO_THROW(migrator::check_dsn(dsn)) << dsn;
  }
  const std::pair<const char*, const char*> refused[] = {
      {"sqlite:a.db?mode=ro", "has a '?'"},
      {"sqlite:///tmp/a.db?cache=shared", "has a '?'"},
      {"sqlite:", "names no file"},
      {"sqlite://", "names no file"},
  };
  for (const auto& [dsn, why] : refused) {
    for (auto check : {+[](const char* d) { migrator::sqlite_path(d); }, +[](const char* d) { migrator::check_dsn(d); }}) {
      try {
        check(dsn);
        ADD_FAILURE() << "no error for " << dsn;
      } catch (const migrator::error& e) {
        EXPECT_EQ(e.code(), migrator::error_code::config) << dsn;
        EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
      }
    }
  }
}

}  // namespace
