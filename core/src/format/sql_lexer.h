// Where a statement ends (outside StatementBegin/End). Pure.
//
// goose ends a statement on a line whose last whitespace-separated word before
// the first word starting with "--" ends with ';'. We apply that rule to the
// same words, with PostgreSQL's lexical state tracked across lines: a word that
// starts inside a string, identifier, dollar body or block comment does not
// open a comment, and a final ';' inside one of those does not end the
// statement. A "--" in the middle of a word opens a line comment for the lexer
// (so a quote after it opens nothing) but, as in goose, does not stop the words.
#pragma once

#include <string>
#include <string_view>

namespace migrator::parsing {

class statement_end_scanner {
 public:
  // Feeds the next line of the statement; true when it ends the statement.
  bool ends_statement(std::string_view line, int line_no);

  void reset() noexcept {
    state_ = lexical::code;
    depth_ = 0;
    escape_pending_ = false;
  }

  // For messages: what is still open, and since which line ("" = nothing).
  std::string open_construct() const;

 private:
  enum class lexical { code, line_comment, string, escape_string, identifier, dollar, block_comment };

  bool quoted() const noexcept { return state_ != lexical::code && state_ != lexical::line_comment; }
  bool passes_over(unsigned char c) const noexcept;

  void open(lexical s, int line_no) noexcept {
    state_ = s;
    open_line_ = line_no;
  }

  // "$tag$" or "$$" at p: remembers the delimiter.
  bool dollar_tag(const char* p, const char* end);

  lexical state_ = lexical::code;
  int depth_ = 0;
  int open_line_ = 0;
  bool escape_pending_ = false;
  std::string tag_;
};

}  // namespace migrator::parsing
