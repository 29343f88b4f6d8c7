// redact_dsn and redact_secrets: every form a password can take, as tables,
// libpq's own parse as an oracle, and random passwords that must never leak.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "migrator/dsn.h"

namespace {

using migrator::redact_dsn;
using migrator::redact_secrets;

struct dsn_case {
  const char* input;
  const char* expected;
};

TEST(RedactDsn, Uri) {
  const dsn_case cases[] = {
      {"postgresql://user:secret@host/db", "postgresql://user:***@host/db"},
      {"postgresql://user:secret@host:5432/db?sslmode=require", "postgresql://user:***@host:5432/db?sslmode=require"},
      {"postgres://user:secret@host", "postgres://user:***@host"},
      {"postgresql://user@host/db", "postgresql://user@host/db"},
      {"postgresql://host/db", "postgresql://host/db"},
      {"postgresql://host:5432/db?sslmode=require", "postgresql://host:5432/db?sslmode=require"},
      {"postgresql:///db", "postgresql:///db"},
      {"postgresql://", "postgresql://"},
      {"postgresql://user:p%40ss%3Aw%2Fd@host/db", "postgresql://user:***@host/db"},
      {"postgresql://user:p@ss@host/db", "postgresql://user:***@host/db"},
      {"postgresql://user:pa:ss@host/db", "postgresql://user:***@host/db"},
      {"postgresql://user:p@s/s?w#rd@host/db", "postgresql://user:***@host/db"},
      {"postgresql://:secret@host", "postgresql://:***@host"},
      {"postgresql://user:@host", "postgresql://user:***@host"},
      {"postgresql://u:secret@h1:5432,h2:5433/db", "postgresql://u:***@h1:5432,h2:5433/db"},
      {"postgresql://u:secret@[::1]:5432/db", "postgresql://u:***@[::1]:5432/db"},
      {"postgresql://[::1]:5432/db", "postgresql://[::1]:5432/db"},
      {"postgresql://host/db?user=u&password=secret", "postgresql://host/db?user=u&password=***"},
      {"postgresql://host/db?password=secret&sslmode=require", "postgresql://host/db?password=***&sslmode=require"},
      {"postgresql://host/db?password=a&b&sslmode=require", "postgresql://host/db?password=***&sslmode=require"},
      {"postgresql://host/db?pass%77ord=secret", "postgresql://host/db?pass%77ord=***"},
      {"postgresql://host/db?PASSWORD=secret", "postgresql://host/db?PASSWORD=***"},
      {"postgresql://u@host/db?sslpassword=keypass", "postgresql://u@host/db?sslpassword=***"},
      {"postgresql://u:one@host/db?password=two", "postgresql://u:***@host/db?password=***"},
      {"postgresql+asyncpg://u:secret@h/db", "postgresql+asyncpg://u:***@h/db"},
      {"mysql://u:secret@h/db", "mysql://u:***@h/db"},
      {"  postgresql://u:secret@h/db\n", "  postgresql://u:***@h/db\n"},
      // Generous on purpose: an '@' after the host makes everything from the
      // port to it look like a password.
      {"postgresql://h:5432/db?application_name=a@b", "postgresql://h:***@b"},
  };
  for (const auto& c : cases) EXPECT_EQ(redact_dsn(c.input), c.expected) << "input: " << c.input;
}

TEST(RedactDsn, KeywordValue) {
  const dsn_case cases[] = {
      {"", ""},
      {"host=h dbname=d", "host=h dbname=d"},
      {"host=h password=secret dbname=d", "host=h password=*** dbname=d"},
      {"host=h password = secret dbname=d", "host=h password = *** dbname=d"},
      {"host=h password=  secret", "host=h password=  ***"},
      {R"(password='se cret\'x' host=h)", "password=*** host=h"},
      {R"(password='it''s' host=h)", "password=***"},  // libpq: 'it', then a key without '='
      {R"(password=se\ cret host=h)", "password=*** host=h"},
      {R"(password='a\\' host=h)", "password=*** host=h"},
      {"host=h password=", "host=h password=***"},
      {"host=h password='' dbname=d", "host=h password=*** dbname=d"},
      {"host=h sslpassword=keypass", "host=h sslpassword=***"},
      {"host=h PASSWORD=secret", "host=h PASSWORD=***"},
      {"password=a password=b", "password=*** password=***"},
      {"host=h\npassword=secret\n", "host=h\npassword=***\n"},
      {"host=h\tpassword\t=\tsecret", "host=h\tpassword\t=\t***"},
      // What libpq cannot parse is hidden from the first bad pair on.
      {"host=h password secret", "host=h ***"},
      {"host=h password='secret", "host=h ***"},
      {"application_name='x password=secret", "***"},
      {"host=h password=secret\\", "host=h password=***"},
  };
  for (const auto& c : cases) EXPECT_EQ(redact_dsn(c.input), c.expected) << "input: " << c.input;
}

TEST(RedactDsn, PasswordOfStarsIsStillReplaced) {
  EXPECT_EQ(redact_dsn("postgresql://u:****@h/db"), "postgresql://u:***@h/db");
  EXPECT_EQ(redact_dsn("password=* host=h"), "password=*** host=h");
}

// A SQLite DSN is a file name without a password: nothing of it is hidden,
// not even in a message that mentions it ("use sqlite:PATH or sqlite::memory:").
TEST(RedactDsn, SqliteDsnsHaveNoPassword) {
  const char* const dsns[] = {"sqlite:", "sqlite:app.db", "sqlite::memory:", "sqlite:///var/lib/app.db", "SQLite:x.db"};
  for (const char* dsn : dsns) {
    EXPECT_EQ(redact_dsn(dsn), dsn);
    const std::string message = std::string("--dsn ") + dsn + ": use sqlite:PATH or sqlite::memory:";
    EXPECT_EQ(redact_secrets(message, dsn), message) << dsn;
  }
}

TEST(RedactSecrets, Table) {
  struct secrets_case {
    const char* text;
    const char* dsn;
    const char* expected;
  };
  const secrets_case cases[] = {
      {"", "", ""},
      {"nothing to hide", "", "nothing to hide"},
      {"password authentication failed for user \"u\"", "postgresql://u:secret@h/db",
       "password authentication failed for user \"u\""},
      {"bad: secret and again secret", "postgresql://u:secret@h/db", "bad: *** and again ***"},
      {"got p@ss and p%40ss", "postgresql://u:p%40ss@h/db", "got *** and ***"},
      {"got se cret'x and se cret\\'x", R"(host=h password='se cret\'x')", "got *** and ***"},
      {"raw 'quoted'", "password='quoted'", "raw ***"},
      {"topsecretive", "password=secret", "top***ive"},
      {"from ?password=two", "postgresql://u@h/db?password=two", "from ?password=***"},
      // Other DSNs quoted in a message.
      {"could not connect to postgresql://a:zzz@h/db: refused", "", "could not connect to postgresql://a:***@h/db: refused"},
      {"using \"postgres://a:zzz@h\"", "", "using \"postgres://a:***@h\""},
      {"invalid: host=h password=zzz port=5", "", "invalid: host=h password=*** port=5"},
      {"invalid: host=h password = 'z z' port=5", "", "invalid: host=h password = *** port=5"},
      {"url ?sslpassword=zzz&x=1", "", "url ?sslpassword=***&x=1"},
      {"the password is wrong", "", "the password is wrong"},
      {"ibex@localhost as ibex", "postgresql://ibex:ibex@localhost/ibex", "***@localhost as ***"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(redact_secrets(c.text, c.dsn), c.expected) << "text: " << c.text << " dsn: " << c.dsn;
}

// The password libpq itself reads from a DSN (the oracle), or "" if none.
std::string libpq_password(const std::string& dsn) {
  char* message = nullptr;
  const std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(dsn.c_str(), &message), &PQconninfoFree);
  PQfreemem(message);
  if (!options) return "";
  for (const PQconninfoOption* o = options.get(); o->keyword; ++o)
    if (std::string(o->keyword) == "password" && o->val) return o->val;
  return "";
}

TEST(RedactSecrets, HidesThePasswordLibpqReads) {
  const char* const dsns[] = {
      "postgresql://clerk:plain@db.internal/ledger",
      "postgresql://clerk:p%40ss%3Aw%2Ford@db.internal/ledger",
      "postgres://clerk:a%20b@db.internal:5433/ledger?sslmode=require",
      "postgresql://db.internal/ledger?user=clerk&password=q%26uery",
      "postgresql://clerk@db.internal/ledger?password=one&application_name=x",
      "host=db.internal dbname=ledger password=simple",
      "host=db.internal password='with space' dbname=ledger",
      R"(host=db.internal password='it\'s' dbname=ledger)",
      R"(host=db.internal password=back\\slash dbname=ledger)",
      "host=db.internal password = spaced dbname=ledger",
      "  password=leading-blank host=db.internal",
  };
  for (const char* dsn : dsns) {
    SCOPED_TRACE(dsn);
    const std::string password = libpq_password(dsn);
    ASSERT_FALSE(password.empty()) << "libpq finds no password: fix the table";
    EXPECT_EQ(redact_secrets("before " + password + " after", dsn), "before *** after");
    EXPECT_EQ(redact_dsn(dsn).find(password), std::string::npos) << redact_dsn(dsn);
  }
}


// --- property: random passwords never survive redaction ----------------------

std::string percent_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string escape_quoted(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out;
}

std::string escape_unquoted(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '\'' || c == ' ' || c == '\t' || c == '\n') out += '\\';
    out += c;
  }
  return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(RedactProperty, RandomPasswordsNeverLeak) {
  // Everything printable and a few awkward bytes; no '*' (the mask itself).
  std::string alphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
      " !\"#$%&'()+,-./:;<=>?@[\\]^_`{|}~\t\xc3\xa9";
  std::mt19937 rng(20240501);
  std::uniform_int_distribution<std::size_t> length(1, 24), pick(0, alphabet.size() - 1);

  for (int round = 0; round < 3000; ++round) {
    std::string pw;
    for (std::size_t n = length(rng); pw.size() < n;) pw += alphabet[pick(rng)];
    const std::string enc = percent_encode(pw);

    struct form {
      std::string dsn, expected;
    };
    const form forms[] = {
        {"postgresql://user:" + pw + "@db.example.com:5432/app?sslmode=require",
         "postgresql://user:***@db.example.com:5432/app?sslmode=require"},
        {"postgresql+asyncpg://user:" + enc + "@db.example.com:5432/app",
         "postgresql+asyncpg://user:***@db.example.com:5432/app"},
        {"postgresql://user@db.example.com/app?sslmode=require&password=" + pw + "&application_name=app",
         "postgresql://user@db.example.com/app?sslmode=require&password=***&application_name=app"},
        {"postgresql://db.example.com:5432/app?password=" + enc + "&user=u",
         "postgresql://db.example.com:5432/app?password=***&user=u"},
        {"host=db port=5432 password = '" + escape_quoted(pw) + "' dbname=app",
         "host=db port=5432 password = *** dbname=app"},
        {"host=db password=" + escape_unquoted(pw) + " dbname=app", "host=db password=*** dbname=app"},
    };
    for (const form& f : forms) {
      const std::string redacted = redact_dsn(f.dsn);
      ASSERT_EQ(redacted, f.expected) << "dsn: " << f.dsn;
      const std::string message = "FATAL: could not connect with \"" + f.dsn + "\" (password " + pw +
                                  ", encoded " + enc + ", quoted " + escape_quoted(pw) + ")";
      const std::string scrubbed = redact_secrets(message, f.dsn);
      ASSERT_FALSE(contains(scrubbed, pw)) << "dsn: " << f.dsn << "\nout: " << scrubbed;
      if (enc != pw) {
        ASSERT_FALSE(contains(scrubbed, enc)) << "dsn: " << f.dsn << "\nout: " << scrubbed;
      }
    }
  }
}

}  // namespace
