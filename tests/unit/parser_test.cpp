// The goose v3 migration format, one table row per rule: what a file splits
// into, and the exact "path:line: message" of every error.
#include "migrator/parser.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace std::string_literals;
using migrator::migration_body;
using migrator::parse_migration;

const std::map<std::string, std::string> test_vars = {
    {"NAME", "foo"}, {"EMPTY", ""}, {"SEMI", "x;"}, {"LONG", "abcdefgh"}};

std::optional<std::string> test_env(const std::string& name) {
  auto it = test_vars.find(name);
  if (it == test_vars.end()) return std::nullopt;
  return it->second;
}

migration_body parse(const std::string& text) { return parse_migration(text, "f.sql", test_env); }

// A statement as the tests write it: its text, and the line it starts on (0 = not checked).
struct stmt {
  std::string sql;
  int line = 0;
};

struct split_case {
  std::string name;
  std::string input;
  std::vector<stmt> up;
  std::vector<stmt> down;
  bool transaction = true;
};

void PrintTo(const split_case& c, std::ostream* os) { *os << c.name; }

std::string test_name(const std::string& name) {
  std::string s;
  for (char c : name) s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return s;
}

void expect_statements(const std::vector<migrator::statement>& got, const std::vector<stmt>& want,
                       const char* direction) {
  ASSERT_EQ(got.size(), want.size()) << direction;
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].sql, want[i].sql) << direction << " statement " << i + 1;
    if (want[i].line != 0) {
      EXPECT_EQ(got[i].line, want[i].line) << direction << " statement " << i + 1;
    }
  }
}

const std::vector<split_case> split_cases = {
    // --- Sections and simple statements -------------------------------------------
    {"up and down",
     "-- +goose Up\nCREATE TABLE t (id int);\n-- +goose Down\nDROP TABLE t;\n",
     {{"CREATE TABLE t (id int);", 2}},
     {{"DROP TABLE t;", 4}}},
    {"down is optional", "-- +goose Up\nSELECT 1;\n", {{"SELECT 1;", 2}}, {}},
    {"only a comment after up gives no statement", "-- +goose Up\n-- nothing to do yet", {}, {}},
    {"blank sections give no statements",
     "\n\n-- header\n-- +goose Up\n\n-- later\n-- +goose Down\n\n",
     {},
     {}},
    {"blank and whitespace lines before up are skipped",
     "    \n\n\t\n-- +goose Up\nSELECT 1;\n",
     {{"SELECT 1;", 5}},
     {}},
    {"multi-line statement",
     "-- +goose Up\nCREATE TABLE t (\n  id int\n);\n",
     {{"CREATE TABLE t (\n  id int\n);", 2}},
     {}},
    {"two statements on one line are one statement (goose)",
     "-- +goose Up\nSELECT 1; SELECT 2;\n",
     {{"SELECT 1; SELECT 2;", 2}},
     {}},
    {"comment after the semicolon is kept",
     "-- +goose Up\nSELECT 1;   -- first\nSELECT 2;\n",
     {{"SELECT 1;   -- first", 2}, {"SELECT 2;", 3}},
     {}},
    {"a semicolon inside the trailing comment does not end the statement",
     "-- +goose Up\nSELECT 1 -- not the end;\n, 2;\n",
     {{"SELECT 1 -- not the end;\n, 2;", 2}},
     {}},
    {"goose words: ';--' glued to the semicolon does not end the statement",
     "-- +goose Up\nSELECT 1;--glued\nSELECT 2;\n",
     {{"SELECT 1;--glued\nSELECT 2;", 2}},
     {}},
    {"goose words: a space before the semicolon still ends it",
     "-- +goose Up\nCOMMIT   ; -- done\n",
     {{"COMMIT   ; -- done", 2}},
     {}},
    {"a lone semicolon line is a statement", "-- +goose Up\n;\n", {{";", 2}}, {}},
    {"leading comments and blank lines are dropped, inner ones kept",
     "-- +goose Up\n\n-- about t\n  -- indented\n\nCREATE TABLE t (\n  -- the key\n\n  id int\n);\n-- "
     "after\n",
     {{"CREATE TABLE t (\n  -- the key\n\n  id int\n);", 6}},
     {}},
    {"a whitespace-only line starts the statement, so the comments after it are kept (goose)",
     "-- +goose Up\n   \n-- kept\nSELECT 1;\n",
     {{"-- kept\nSELECT 1;", 3}},
     {}},
    {"statements are trimmed of Unicode whitespace like Go's TrimSpace",
     "-- +goose Up\n\xC2\xA0 SELECT 1;\xE3\x80\x80\n",
     {{"SELECT 1;", 2}},
     {}},
    {"a Unicode space separates words like bufio.ScanWords",
     "-- +goose Up\nSELECT 1\xC2\xA0;\xE2\x80\x83-- c\n",
     {{"SELECT 1\xC2\xA0;\xE2\x80\x83-- c", 2}},
     {}},
    {"statements with trailing comments, tabs and a two-statement line",
     R"sql(-- +goose Up
CREATE TABLE parcels (
	parcel_id bigint NOT NULL,
	weight_g int,
	PRIMARY KEY (parcel_id)
);              -- the table

-- about the next ones
SELECT 1;       -- one
SELECT 2; SELECT 3;  -- two on a line
SELECT 4;       -- four

-- +goose Down
-- undo
DROP TABLE parcels;  -- the only one
)sql",
     {{"CREATE TABLE parcels (\n\tparcel_id bigint NOT NULL,\n\tweight_g int,\n\tPRIMARY KEY (parcel_id)\n);  "
       "            -- the table",
       2},
      {"SELECT 1;       -- one", 9},
      {"SELECT 2; SELECT 3;  -- two on a line", 10},
      {"SELECT 4;       -- four", 11}},
     {{"DROP TABLE parcels;  -- the only one", 15}}},

    // --- StatementBegin / StatementEnd --------------------------------------------
    {"a block is one statement",
     R"sql(-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION f() RETURNS int AS $$
BEGIN
  RETURN 1;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
)sql",
     {{"CREATE FUNCTION f() RETURNS int AS $$\nBEGIN\n  RETURN 1;\nEND;\n$$ LANGUAGE plpgsql;", 3}},
     {}},
    {"a block needs no semicolon",
     "-- +goose Up\nSELECT 1;\n-- +goose Down\n-- +goose StatementBegin\nDROP TRIGGER t\n-- +goose "
     "StatementEnd\n"
     "-- +goose StatementBegin\nDROP FUNCTION f()\n-- +goose StatementEnd\n",
     {{"SELECT 1;", 2}},
     {{"DROP TRIGGER t", 5}, {"DROP FUNCTION f()", 8}}},
    {"leading comments in a block are dropped, trailing ones kept",
     "-- +goose Up\n-- +goose StatementBegin\n\n-- dropped\nSELECT 1;\n-- kept\n\n-- +goose StatementEnd\n",
     {{"SELECT 1;\n-- kept", 5}},
     {}},
    {"a block keeps an unterminated string (COPY data)",
     "-- +goose Up\n-- +goose StatementBegin\nCOPY t (a, b) FROM stdin;\n1\tit's\n\\.\n-- +goose "
     "StatementEnd\n",
     {{"COPY t (a, b) FROM stdin;\n1\tit's\n\\.", 3}},
     {}},
    {"unterminated lines before StatementBegin join the block (goose)",
     "-- +goose Up\nSELECT 1\n-- +goose StatementBegin\n, 2;\n-- +goose StatementEnd\n",
     {{"SELECT 1\n, 2;", 2}},
     {}},
    {"an empty block yields no statement and the next line is parsed (goose would drop it)",
     "-- +goose Up\n-- +goose StatementBegin\n-- only a comment\n-- +goose StatementEnd\nSELECT 1;\n",
     {{"SELECT 1;", 5}},
     {}},
    {"blocks and simple statements mix",
     R"sql(
-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION parcels_touch()
RETURNS trigger AS $$
BEGIN
    NEW.weighed_at = now();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

CREATE TRIGGER parcels_touch
BEFORE UPDATE
ON parcels 
FOR EACH ROW EXECUTE FUNCTION  parcels_touch();

-- +goose Down
DROP TRIGGER parcels_touch ON parcels;
DROP FUNCTION parcels_touch();
)sql",
     {{"CREATE FUNCTION parcels_touch()\nRETURNS trigger AS $$\nBEGIN\n    "
       "NEW.weighed_at = now();\n"
       "    RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;",
       4},
      {"CREATE TRIGGER parcels_touch\nBEFORE UPDATE\nON parcels \n"
       "FOR EACH ROW EXECUTE FUNCTION  parcels_touch();",
       13}},
     {{"DROP TRIGGER parcels_touch ON parcels;", 19}, {"DROP FUNCTION parcels_touch();", 20}}},

    // --- Annotation spelling (goose's extractAnnotation) ---------------------------
    {"annotations are case-insensitive",
     "-- +goose UP\n-- +goose statementbegin\nSELECT 1\n-- +goose STATEMENTEND\n-- +goose down\nSELECT 2;\n",
     {{"SELECT 1", 3}},
     {{"SELECT 2;", 6}}},
    {"spacing around the annotation is free, trailing whitespace too",
     "--+goose   Up \t\n--    +goose Down\n",
     {},
     {}},
    {"the dashes are removed wherever they are, as goose does", "---- +goose Up--\n-- +gooseDown\n", {}, {}},
    {"Go's case folding: long s matches s",
     "-- +goose NO TRAN\xC5\xBF"
     "ACTION\n-- +goose Up\n",
     {},
     {},
     false},
    {"+GOOSE in capitals is not an annotation, just a comment",
     "-- +goose Up\n-- +GOOSE Down\nSELECT 1;\n",
     {{"SELECT 1;", 3}},
     {}},

    // --- NO TRANSACTION -------------------------------------------------------------
    {"NO TRANSACTION before Up",
     "-- +goose NO TRANSACTION\n-- +goose Up\nSELECT 1;\n",
     {{"SELECT 1;", 3}},
     {},
     false},
    {"NO TRANSACTION at the end",
     "-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n-- +goose NO TRANSACTION\n",
     {{"SELECT 1;", 2}},
     {{"SELECT 2;", 4}},
     false},
    {"NO TRANSACTION inside a statement is not part of it",
     "-- +goose Up\nCREATE INDEX CONCURRENTLY i\n-- +goose no transaction\nON t (a);\n",
     {{"CREATE INDEX CONCURRENTLY i\nON t (a);", 2}},
     {},
     false},

    // --- The intended difference: PostgreSQL quoting -------------------------------
    {"semicolon at a line end inside a string",
     "-- +goose Up\nINSERT INTO t VALUES ('a;\nb;\n');\nSELECT 2;\n",
     {{"INSERT INTO t VALUES ('a;\nb;\n');", 2}, {"SELECT 2;", 5}},
     {}},
    {"doubled quotes stay inside the string",
     "-- +goose Up\nSELECT 'it''s;\nstill';\n",
     {{"SELECT 'it''s;\nstill';", 2}},
     {}},
    {"E'' string with backslash-escaped quote",
     "-- +goose Up\nSELECT E'it\\'s;\nstill', e'\\\\';\n",
     {{"SELECT E'it\\'s;\nstill', e'\\\\';", 2}},
     {}},
    {"a backslash ends an ordinary string's quote normally",
     "-- +goose Up\nSELECT 'C:\\';\nSELECT 2;\n",
     {{"SELECT 'C:\\';", 2}, {"SELECT 2;", 3}},
     {}},
    {"an identifier ending in e before a quote is not E''",
     "-- +goose Up\nSELECT some'\\';\nSELECT 2;\n",
     {{"SELECT some'\\';", 2}, {"SELECT 2;", 3}},
     {}},
    {"dollar-quoted body without StatementBegin",
     "-- +goose Up\nDO $$\nBEGIN\n  PERFORM 1;\nEND;\n$$;\nSELECT 2;\n",
     {{"DO $$\nBEGIN\n  PERFORM 1;\nEND;\n$$;", 2}, {"SELECT 2;", 7}},
     {}},
    {"tagged dollar body ignores other tags",
     "-- +goose Up\nSELECT $fn$ a;\n$x$;\n$$;\n$fn$;\n",
     {{"SELECT $fn$ a;\n$x$;\n$$;\n$fn$;", 2}},
     {}},
    {"a $ inside an identifier does not open a body",
     "-- +goose Up\nSELECT a$b$ FROM t;\nSELECT 2;\n",
     {{"SELECT a$b$ FROM t;", 2}, {"SELECT 2;", 3}},
     {}},
    {"a parameter $1 does not open a body",
     "-- +goose Up\nPREPARE p AS SELECT $1;\nSELECT 2;\n",
     {{"PREPARE p AS SELECT $1;", 2}, {"SELECT 2;", 3}},
     {}},
    {"semicolon inside a quoted identifier",
     "-- +goose Up\nCREATE TABLE \"a;\nb\"\"c;\n\" (id int);\n",
     {{"CREATE TABLE \"a;\nb\"\"c;\n\" (id int);", 2}},
     {}},
    {"nested block comments",
     "-- +goose Up\nSELECT /* a; /* b;\n*/ c;\n*/ 1;\nSELECT 2;\n",
     {{"SELECT /* a; /* b;\n*/ c;\n*/ 1;", 2}, {"SELECT 2;", 5}},
     {}},
    {"dashes inside a string are not a comment (as in goose since its issue 699)",
     "-- +goose Up\nCOMMENT ON TABLE t IS 'depot --> door';\nSELECT '-- no';\n",
     {{"COMMENT ON TABLE t IS 'depot --> door';", 2}, {"SELECT '-- no';", 3}},
     {}},
    {"dashes inside a multi-line string are not a comment",
     "-- +goose Up\nINSERT INTO t VALUES ('a\n-- b', 1);\nSELECT 2;\n",
     {{"INSERT INTO t VALUES ('a\n-- b', 1);", 2}, {"SELECT 2;", 4}},
     {}},
    {"a quote inside a line comment opens nothing",
     "-- +goose Up\nSELECT 1 -- it's\n, 2;\nSELECT 3;\n",
     {{"SELECT 1 -- it's\n, 2;", 2}, {"SELECT 3;", 4}},
     {}},
    {"a quote inside a block comment opens nothing",
     "-- +goose Up\nSELECT 1 /* it's */;\nSELECT 2;\n",
     {{"SELECT 1 /* it's */;", 2}, {"SELECT 2;", 3}},
     {}},

    // --- Encodings -----------------------------------------------------------------
    {"UTF-8 BOM is dropped",
     "\xEF\xBB\xBF-- +goose Up\nSELECT 'caf\xC3\xA9';\n",
     {{"SELECT 'caf\xC3\xA9';", 2}},
     {}},
    {"CRLF lines give the statements of the LF file",
     "-- +goose Up\r\nCREATE TABLE t (\r\n  id int\r\n);\r\n-- +goose StatementBegin\r\nSELECT 1;\r\nSELECT "
     "2;\r\n"
     "-- +goose StatementEnd\r\n-- +goose Down\r\nDROP TABLE t;\r\n",
     {{"CREATE TABLE t (\n  id int\n);", 2}, {"SELECT 1;\nSELECT 2;", 6}},
     {{"DROP TABLE t;", 10}}},
    {"a CR inside a line is kept", "-- +goose Up\nSELECT 'a\rb';\n", {{"SELECT 'a\rb';", 2}}, {}},
    {"the last line needs no newline", "-- +goose Up\nSELECT 1;", {{"SELECT 1;", 2}}, {}},

    // --- ENVSUB (mfridman/interpolate, as goose) ------------------------------------
    {"envsub forms",
     R"sql(-- +goose Up
-- +goose ENVSUB ON
SELECT '$NAME', '${NAME}', '${UNSET:-d1}', '${EMPTY:-d2}', '${UNSET-d3}', '${EMPTY-d4}', '${NAME?set}';
-- +goose ENVSUB OFF
SELECT '$NAME';
)sql",
     {{"SELECT 'foo', 'foo', 'd1', 'd2', 'd3', '', 'foo';", 3}, {"SELECT '$NAME';", 5}},
     {}},
    {"envsub escapes: \\$ and $$ give $, \\\\ stays, $( stays",
     "-- +goose ENVSUB ON\n-- +goose Up\nSELECT '\\$NAME', '$$NAME', '\\\\', '$(x)';\nSELECT 'a', 'b$\n';\n",
     {{"SELECT '$NAME', '$NAME', '\\\\', '$(x)';", 3}, {"SELECT 'a', 'b$\n';", 4}},
     {}},
    {"envsub substrings and nested defaults",
     "-- +goose ENVSUB ON\n-- +goose Up\nSELECT '${LONG:2}', '${LONG:1:3}', '${LONG: -3}', '${LONG:2:-2}', "
     "'${UNSET:-${NAME}x}';\n",
     {{"SELECT 'cdefgh', 'bcd', 'fgh', 'cdef', 'foox';", 3}},
     {}},
    {"an unused default is not evaluated",
     "-- +goose ENVSUB ON\n-- +goose Up\nSELECT '${NAME:-${UNSET?never}}';\n",
     {{"SELECT 'foo';", 3}},
     {}},
    {"envsub skips comments before a statement and the annotation lines",
     "-- +goose ENVSUB ON\n-- +goose Up\n-- ${UNSET?not checked in a dropped comment}\nSELECT 1;\n",
     {{"SELECT 1;", 4}},
     {}},
    {"a substituted ';' ends the statement, as in goose",
     "-- +goose ENVSUB ON\n-- +goose Up\nSELECT ${SEMI}\nSELECT 2;\n",
     {{"SELECT x;", 3}, {"SELECT 2;", 4}},
     {}},
    {"envsub in a block",
     "-- +goose Up\n-- +goose StatementBegin\n-- +goose ENVSUB ON\nSELECT '$NAME';\n-- +goose StatementEnd\n",
     {{"SELECT 'foo';", 4}},
     {}},
};

class Split : public testing::TestWithParam<split_case> {};

TEST_P(Split, Statements) {
  const split_case& c = GetParam();
  const migration_body body = parse(c.input);
  expect_statements(body.up, c.up, "up");
  expect_statements(body.down, c.down, "down");
  EXPECT_EQ(body.use_transaction, c.transaction);
}

INSTANTIATE_TEST_SUITE_P(Parser, Split, testing::ValuesIn(split_cases),
                         [](const auto& info) { return test_name(info.param.name); });

// CRLF files: every case above with its line ends turned into CRLF splits the same.
TEST(Split, EveryCaseSplitsTheSameWithCrlf) {
  for (const split_case& c : split_cases) {
    if (c.input.find('\r') != std::string::npos) continue;
    std::string crlf;
    for (char ch : c.input) crlf += ch == '\n' ? std::string("\r\n") : std::string(1, ch);
    SCOPED_TRACE(c.name);
    const migration_body body = parse(crlf);
    expect_statements(body.up, c.up, "up");
    expect_statements(body.down, c.down, "down");
  }
}

struct error_case {
  std::string name;
  std::string input;
  std::string error;  // the whole what(): "f.sql:LINE: message"
};

void PrintTo(const error_case& c, std::ostream* os) { *os << c.name; }

const std::string expected_list =
    "Up, Down, StatementBegin, StatementEnd, NO TRANSACTION, ENVSUB ON, ENVSUB OFF";

const std::vector<error_case> error_cases = {
    // --- Sections -------------------------------------------------------------------
    {"empty file", "", "f.sql:1: no \"-- +goose Up\" annotation: a migration starts with \"-- +goose Up\""},
    {"only comments", "-- hello\n\n-- world\n",
     "f.sql:1: no \"-- +goose Up\" annotation: a migration starts with \"-- +goose Up\""},
    {"SQL before Up", "\nCREATE TABLE parcels (\n    id int\n);\n",
     "f.sql:2: SQL before \"-- +goose Up\": \"CREATE TABLE parcels (\" (a migration starts with \"-- +goose "
     "Up\")"},
    {"second Up",
     "-- +goose Up\nSELECT 1;\n\n-- +goose Down\nSELECT 2;\n\n-- +goose Up\nSELECT 3;\n",
     "f.sql:7: second \"-- +goose Up\" (the first is on line 1)"},
    {"Down before Up", "-- +goose Down\nDROP TABLE parcels;\n",
     "f.sql:1: \"-- +goose Down\" before \"-- +goose Up\" (a migration starts with \"-- +goose Up\")"},
    {"second Down", "-- +goose Up\n-- +goose Down\nSELECT 1;\n-- +goose Down\n",
     "f.sql:4: second \"-- +goose Down\" (the first is on line 2)"},

    // --- Blocks ---------------------------------------------------------------------
    {"StatementBegin before Up", "-- +goose StatementBegin\n",
     "f.sql:1: StatementBegin before \"-- +goose Up\" (a migration starts with \"-- +goose Up\")"},
    {"StatementBegin never closed", "-- +goose Up\nSELECT 1;\n-- +goose StatementBegin\nSELECT 2;\n",
     "f.sql:3: StatementBegin is never closed (add \"-- +goose StatementEnd\")"},
    {"StatementBegin inside a block",
     "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n-- +goose StatementBegin\n",
     "f.sql:4: StatementBegin inside the block opened on line 2 (add \"-- +goose StatementEnd\" before it)"},
    {"Down inside a block",
     "-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS void AS $$\n$$ LANGUAGE sql;\n\n-- "
     "+goose Down\n",
     "f.sql:6: \"-- +goose Down\" inside the StatementBegin block opened on line 2 (add \"-- +goose "
     "StatementEnd\" "
     "before it)"},
    {"StatementEnd without StatementBegin", "-- +goose Up\nSELECT 1;\n-- +goose StatementEnd\n",
     "f.sql:3: StatementEnd without a StatementBegin before it"},

    // --- Unterminated statements ----------------------------------------------------
    {"no semicolon before Down", "\n-- +goose Up\nALTER TABLE parcels\n\n-- +goose Down\n",
     "f.sql:3: statement \"ALTER TABLE parcels\" is not terminated before \"-- +goose Down\" on line 5: end it "
     "with "
     "\";\" or wrap it in \"-- +goose StatementBegin\" / \"-- +goose StatementEnd\""},
    {"no semicolon at the end of the file",
     "-- +goose Up\nSELECT 1;\n-- +goose Down\nDROP TABLE a;\nDROP TABLE b\n  -- x\n",
     "f.sql:5: statement \"DROP TABLE b...\" is not terminated before the end of the file: end it with \";\" "
     "or wrap it "
     "in \"-- +goose StatementBegin\" / \"-- +goose StatementEnd\""},
    {"the statement is quoted by its first line only",
     "-- +goose Up\n   \n-- a comment\nCREATE TABLE t (\n  id int\n)\n",
     "f.sql:3: statement \"-- a comment...\" is not terminated before the end of the file: end it with \";\" "
     "or "
     "wrap it in \"-- +goose StatementBegin\" / \"-- +goose StatementEnd\""},
    {"a string that is never closed", "-- +goose Up\nINSERT INTO t VALUES ('it;\n);\n",
     "f.sql:2: statement \"INSERT INTO t VALUES ('it;...\" is not terminated before the end of the file: a "
     "string "
     "opened on line 2 is never closed"},
    {"a dollar body that is never closed", "-- +goose Up\nDO $body$\nBEGIN END;\n$$;\n-- +goose Down\n",
     "f.sql:2: statement \"DO $body$...\" is not terminated before \"-- +goose Down\" on line 5: the "
     "dollar-quoted "
     "body $body$ opened on line 2 is never closed"},
    {"a quoted identifier that is never closed", "-- +goose Up\nSELECT 1 AS \"x;\n",
     "f.sql:2: statement \"SELECT 1 AS \"x;\" is not terminated before the end of the file: a double-quoted "
     "identifier opened on line 2 is never closed"},
    {"a block comment that is never closed", "-- +goose Up\nSELECT 1;\nSELECT /* a /* b */;\n",
     "f.sql:3: statement \"SELECT /* a /* b */;\" is not terminated before the end of the file: a /* comment "
     "opened on line 3 is never closed"},
    {"a semicolon after -- is part of the comment", "-- +goose Up\nCOMMIT -- done ;\n",
     "f.sql:2: statement \"COMMIT -- done ;\" is not terminated before the end of the file: end it with "
     "\";\" or "
     "wrap it in \"-- +goose StatementBegin\" / \"-- +goose StatementEnd\""},

    // --- Annotation syntax ----------------------------------------------------------
    {"leading space before an annotation", "-- +goose Up\n  -- +goose StatementBegin\n",
     "f.sql:2: annotation must start at the beginning of the line: remove the whitespace before \"--\""},
    {"leading tab before an annotation", "\t-- +goose Up\n",
     "f.sql:1: annotation must start at the beginning of the line: remove the whitespace before \"--\""},
    {"two +goose on one line", "-- +goose +goose Up\n", "f.sql:1: two \"+goose\" annotations on one line"},
    {"unknown annotation", "-- +goose Up\n-- +goose StatementStart\n",
     "f.sql:2: unknown annotation \"StatementStart\": expected one of " + expected_list},
    {"text after an annotation", "-- +goose Up -- create the table\n",
     "f.sql:1: unknown annotation \"Up  create the table\": expected one of " + expected_list},
    {"empty annotation", "-- +goose Up\n-- +goose\n",
     "f.sql:2: empty annotation \"-- +goose\": expected one of " + expected_list},
    {"a comment that mentions +goose is a malformed annotation (goose)",
     "-- +goose Up\n-- see the +goose docs\n",
     "f.sql:2: unknown annotation \"see the  docs\": expected one of " + expected_list},
    {"an annotation inside a string is still an annotation", "-- +goose Up\nSELECT '\n-- +goose Down\n';\n",
     "f.sql:2: statement \"SELECT '\" is not terminated before \"-- +goose Down\" on line 3: a string opened "
     "on line 2 "
     "is never closed"},

    // --- ENVSUB ---------------------------------------------------------------------
    {"required variable unset",
     "\n-- +goose ENVSUB ON\n-- +goose Up\nCREATE TABLE parcels (\n\tid int NOT "
     "NULL,\n\t${PARCEL_COLUMN?name the weight column} int\n);\n",
     "f.sql:6: variable substitution failed: $PARCEL_COLUMN: name the weight column"},
    {"required variable unset, no message", "-- +goose ENVSUB ON\n-- +goose Up\nSELECT '${UNSET?}';\n",
     "f.sql:3: variable substitution failed: $UNSET: not set"},
    {"a $ not followed by a name", "-- +goose ENVSUB ON\n-- +goose Up\nSELECT $1;\n",
     "f.sql:3: variable substitution failed: \"$\" must be followed by a variable name, got \"1\" (write "
     "\"\\$\" or "
     "\"$$\" for a literal \"$\", or turn ENVSUB off)"},
    {"an unclosed ${", "-- +goose ENVSUB ON\n-- +goose Up\nSELECT '${NAME:-x';\n",
     "f.sql:3: variable substitution failed: \"${NAME\" is never closed (add \"}\")"},
    {"a bad operator", "-- +goose ENVSUB ON\n-- +goose Up\nSELECT '${NAME+x}';\n",
     "f.sql:3: variable substitution failed: unexpected \"+\" after \"${NAME\": expected \"}\", \":-\", "
     "\"-\", \"?\" or "
     "\":\""},
    {"a bad substring offset", "-- +goose ENVSUB ON\n-- +goose Up\nSELECT '${NAME:x}';\n",
     "f.sql:3: variable substitution failed: \"${NAME:...}\" needs a whole number, got \"x\""},
    {"the syntax of an unused default is still checked",
     "-- +goose ENVSUB ON\n-- +goose Up\nSELECT '${NAME:-$1}';\n",
     "f.sql:3: variable substitution failed: \"$\" must be followed by a variable name, got \"1\" (write "
     "\"\\$\" or "
     "\"$$\" for a literal \"$\", or turn ENVSUB off)"},

    // --- Bytes ----------------------------------------------------------------------
    {"NUL byte", "-- +goose Up\nSELECT '\0';\n"s, "f.sql:2: NUL byte at column 9 (a migration is text)"},
    {"invalid UTF-8: Latin-1 byte", "-- +goose Up\nSELECT 'caf\xE9';\n",
     "f.sql:2: invalid UTF-8 at column 12 (save the file as UTF-8)"},
    {"invalid UTF-8: overlong encoding", "-- +goose Up\n\xC0\x80;\n",
     "f.sql:2: invalid UTF-8 at column 1 (save the file as UTF-8)"},
    {"invalid UTF-8: surrogate", "-- +goose Up\nSELECT 1;\n-- \xED\xA0\x80\n",
     "f.sql:3: invalid UTF-8 at column 4 (save the file as UTF-8)"},
    {"invalid UTF-8: truncated at the end", "-- +goose Up\nSELECT 1; -- \xE2\x82",
     "f.sql:2: invalid UTF-8 at column 14 (save the file as UTF-8)"},
    {"invalid UTF-8: stray continuation byte", "-- +goose Up\n\x80",
     "f.sql:2: invalid UTF-8 at column 1 (save the file as UTF-8)"},
};

class Error : public testing::TestWithParam<error_case> {};

TEST_P(Error, Message) {
  const error_case& c = GetParam();
  try {
    parse(c.input);
    FAIL() << "parsed without error";
  } catch (const migrator::parse_error& e) {
    EXPECT_EQ(std::string(e.what()), c.error);
    EXPECT_EQ(e.code(), migrator::error_code::parse);
    EXPECT_EQ(e.where().path, "f.sql");
  }
}

INSTANTIATE_TEST_SUITE_P(Parser, Error, testing::ValuesIn(error_cases),
                         [](const auto& info) { return test_name(info.param.name); });

TEST(Parser, ErrorLineIsTheLineOfTheProblem) {
  try {
    parse_migration("-- +goose Up\nSELECT 1;\n-- +goose Sideways\n",
                    "modules/billing/migrations/04003_prices.sql", test_env);
    FAIL();
  } catch (const migrator::parse_error& e) {
    EXPECT_EQ(e.where().path, "modules/billing/migrations/04003_prices.sql");
    EXPECT_EQ(e.where().line, 3);
    EXPECT_EQ(
        std::string(e.what()).rfind("modules/billing/migrations/04003_prices.sql:3: unknown annotation", 0),
        0u);
  }
}

TEST(Parser, WithoutEnvironmentEveryVariableIsUnset) {
  const auto body = parse_migration("-- +goose ENVSUB ON\n-- +goose Up\nSELECT '${X:-d}';\n", "f.sql", {});
  ASSERT_EQ(body.up.size(), 1u);
  EXPECT_EQ(body.up[0].sql, "SELECT 'd';");
}

TEST(Parser, LongLinesAreFine) {  // goose's scanner stops at 4 MB per line
  const std::string big(5 * 1024 * 1024, 'x');
  const auto body = parse("-- +goose Up\nSELECT '" + big + "';\n");
  ASSERT_EQ(body.up.size(), 1u);
  EXPECT_EQ(body.up[0].sql.size(), big.size() + 10);
}

TEST(ProcessEnvironment, ReadsTheEnvironment) {
  ::setenv("MIGRATOR_PARSER_TEST_VAR", "hello", 1);
  ::unsetenv("MIGRATOR_PARSER_TEST_UNSET");
  const auto env = migrator::process_environment();
  EXPECT_EQ(env("MIGRATOR_PARSER_TEST_VAR"), std::optional<std::string>("hello"));
  EXPECT_EQ(env("MIGRATOR_PARSER_TEST_UNSET"), std::nullopt);
  const auto body = parse_migration(
      "-- +goose ENVSUB ON\n-- +goose Up\nSELECT '$MIGRATOR_PARSER_TEST_VAR';\n", "f.sql", env);
  ASSERT_EQ(body.up.size(), 1u);
  EXPECT_EQ(body.up[0].sql, "SELECT 'hello';");
}

// --- File names -----------------------------------------------------------------------

struct file_name_case {
  std::string file;
  bool is_migration;
  std::optional<std::int64_t> version;
  std::string name;
};

TEST(FileName, Table) {
  const std::vector<file_name_case> cases = {
      {"04001_billing_init.sql", true, 4001, "billing_init"},
      {"1_a.sql", true, 1, "a"},
      {"00001_create_users_table.sql", true, 1, "create_users_table"},
      {"20240101120000_timestamped.sql", true, 20240101120000, "timestamped"},
      {"00002_.sql", true, 2, ""},
      {"00003_two_parts_name.sql", true, 3, "two_parts_name"},
      {"modules/billing/migrations/04002_prices.sql", true, 4002, "prices"},
      {"init.sql", true, std::nullopt, "init"},
      {"_init.sql", true, std::nullopt, "_init"},
      {"123.sql", true, std::nullopt, "123"},
      {"0_zero.sql", true, std::nullopt, "0_zero"},
      {"000_zero.sql", true, std::nullopt, "000_zero"},
      {"12a_mixed.sql", true, std::nullopt, "12a_mixed"},
      {"-5_negative.sql", true, std::nullopt, "-5_negative"},
      {"+5_plus.sql", true, std::nullopt, "+5_plus"},
      {"99999999999999999999_overflow.sql", true, std::nullopt, "99999999999999999999_overflow"},
      {"9223372036854775807_max.sql", true, 9223372036854775807, "max"},
      {".sql", true, std::nullopt, ""},
      {"04001_billing_init.SQL", false, std::nullopt, ""},
      {"04001_billing_init.sql.bak", false, std::nullopt, ""},
      {"04001_billing_init.go", false, std::nullopt, ""},
      {"README.md", false, std::nullopt, ""},
      {"sql", false, std::nullopt, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    const auto parts = migrator::parse_file_name(c.file);
    ASSERT_EQ(parts.has_value(), c.is_migration);
    if (!parts) continue;
    EXPECT_EQ(parts->version, c.version);
    EXPECT_EQ(parts->name, c.name);
  }
}

// --- Checksums ------------------------------------------------------------------------

TEST(Checksum, IsHexSha256) {
  EXPECT_EQ(migrator::migration_checksum(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(migrator::migration_checksum("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Checksum, IgnoresBomAndCrlf) {
  const std::string lf = "-- +goose Up\nSELECT 1;\n";
  EXPECT_EQ(migrator::migration_checksum("\xEF\xBB\xBF" + lf), migrator::migration_checksum(lf));
  EXPECT_EQ(migrator::migration_checksum("-- +goose Up\r\nSELECT 1;\r\n"), migrator::migration_checksum(lf));
  EXPECT_NE(migrator::migration_checksum("-- +goose Up\rSELECT 1;\n"), migrator::migration_checksum(lf));
  EXPECT_NE(migrator::migration_checksum(lf + " "), migrator::migration_checksum(lf));
}

}  // namespace
