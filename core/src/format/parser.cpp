// The goose v3 SQL migration format. Where a rule looks odd, it is because
// pressly/goose (internal/sqlparser/parser.go) does exactly that, and a file
// must split the same way under both tools. The intended differences, all
// listed in migrator/parser.h and pinned by tests/testdata/parser: quoting
// decides whether a line-end ';' or a "--" counts (inside a string, E''
// string, dollar-quoted body, quoted identifier or block comment, goose splits
// early or misses the end and sends broken SQL); a UTF-8 BOM and lines longer
// than 4 MB parse here (goose fails); an empty StatementBegin/End block yields
// no statement; NUL bytes and invalid UTF-8 are errors.
//
// This file holds the section and block state machine and the public entry
// points; the pieces it drives have their own files: annotation.h (which line
// is an annotation and which), sql_lexer.h (where a statement ends), envsub.h
// (ENVSUB) and unicode_text.h (Go's notion of whitespace, case and UTF-8).
#include "migrator/parser.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <utility>
#include <variant>
#include <vector>

#include "format/annotation.h"
#include "format/envsub.h"
#include "format/sql_lexer.h"
#include "support/sha256.h"
#include "support/unicode_text.h"

namespace migrator {
namespace {

using namespace parsing;

// ---------------------------------------------------------------------------
// The statement being collected: goose's buffer of "line\n". Kept as a view of
// the input while its lines are contiguous there (no CR dropped, no annotation
// skipped, no substitution), else copied.

class pending_statement {
 public:
  bool empty() const noexcept { return !started_; }

  void append(std::string_view line, bool from_input, int line_no) {
    if (text_line_ == 0 && !trim_left(line).empty()) text_line_ = line_no;
    if (!started_) {
      started_ = true;
      if (from_input) {
        begin_ = line.data();
        end_ = line.data() + line.size();
      } else {
        owned_.assign(line);
        is_owned_ = true;
      }
      return;
    }
    if (!is_owned_ && from_input && line.data() == end_ + 1 && *end_ == '\n') {
      end_ = line.data() + line.size();
      return;
    }
    if (!is_owned_) {
      owned_.assign(begin_, static_cast<std::size_t>(end_ - begin_));
      is_owned_ = true;
    }
    owned_ += '\n';
    owned_.append(line);
  }

  std::string_view text() const noexcept {
    if (is_owned_) return owned_;
    return {begin_, static_cast<std::size_t>(end_ - begin_)};
  }

  // The line where the statement's (trimmed) text begins; 0 while blank.
  int text_line() const noexcept { return text_line_; }

  void clear() noexcept {
    started_ = is_owned_ = false;
    begin_ = end_ = nullptr;
    owned_.clear();
    text_line_ = 0;
  }

 private:
  bool started_ = false;
  bool is_owned_ = false;
  const char* begin_ = nullptr;
  const char* end_ = nullptr;
  std::string owned_;
  int text_line_ = 0;
};

// ---------------------------------------------------------------------------

class migration_parser {
  // Texts from this size on reserve their statements (parse()).
  static constexpr std::size_t large_text = 64 * 1024;

 public:
  migration_parser(std::string_view path, const env_lookup& env) : path_(path), env_(env) {}

  migration_body parse(std::string_view text) {
    if (starts_with(text, utf8_bom)) text.remove_prefix(utf8_bom.size());
    if (const std::size_t bad = find_invalid_byte(text); bad != std::string_view::npos) {
      const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + bad, '\n'));
      const std::size_t nl = bad == 0 ? std::string_view::npos : text.rfind('\n', bad - 1);
      const std::size_t column = bad - (nl == std::string_view::npos ? 0 : nl + 1) + 1;
      if (text[bad] == '\0')
        fail(line, "NUL byte at column " + std::to_string(column) + " (a migration is text)");
      fail(line, "invalid UTF-8 at column " + std::to_string(column) + " (save the file as UTF-8)");
    }

    // Room in Up for a statement per ';' of the whole file (an upper bound of
    // Up's statements): a large migration's vector then does not regrow
    // (regrowing was 2.6 MB of fresh memory and 20,000 moves on W2's 20,000
    // statements, BENCHMARKS.md). Down, usually short, grows as before.
    if (text.size() >= large_text)
      body_.up.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), ';')) + 1);

    const char* p = text.data();
    const char* const end = p + text.size();
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      const char* line_end = nl ? nl : end;
      if (line_end > p && line_end[-1] == '\r') --line_end;  // bufio.ScanLines drops one CR
      ++line_no_;
      on_line(std::string_view(p, static_cast<std::size_t>(line_end - p)));
      p = nl ? nl + 1 : end;
    }

    if (section_ == section::none)
      fail(1, "no \"-- +goose Up\" annotation: a migration starts with \"-- +goose Up\"");
    if (in_block_) fail(block_line_, "StatementBegin is never closed (add \"-- +goose StatementEnd\")");
    require_terminated("the end of the file");
    return std::move(body_);
  }

 private:
  enum class section { none, up, down };

  [[noreturn]] void fail(int line, std::string message) const {
    throw parse_error(problem{std::string(path_), line, std::move(message)});
  }

  void on_line(std::string_view line) {
    if (section_ == section::none && trim_left(line).empty()) return;
    if (is_annotation_line(line)) return on_annotation(line);
    if (is_migrator_annotation_line(line)) return on_migrator_annotation(line);
    // Comments and blank lines before a statement are dropped; once it has
    // begun (even with a whitespace-only line), everything is kept.
    if (pending_.empty() && (line.empty() || starts_with(trim_left(line), "--"))) return;
    if (section_ == section::none)
      fail(line_no_, "SQL before \"-- +goose Up\": \"" + excerpt(trim_space(line)) +
                         "\" (a migration starts with \"-- +goose Up\")");

    std::string_view sql = line;
    bool from_input = true;
    if (envsub_ && line.find('$') != std::string_view::npos) {
      expanded_.clear();
      try {
        substitute_variables(line, env_, expanded_);
      } catch (const envsub_failure& f) {
        fail(line_no_, "variable substitution failed: " + f.message);
      }
      if (find_invalid_byte(expanded_) != std::string_view::npos)
        fail(line_no_, "variable substitution produced a NUL byte or invalid UTF-8");
      sql = expanded_;
      from_input = false;
    }
    pending_.append(sql, from_input, line_no_);
    if (!in_block_ && scanner_.ends_statement(sql, line_no_)) emit();
  }

  void on_annotation(std::string_view line) {
    auto extracted = extract_annotation(line);
    if (auto* message = std::get_if<std::string>(&extracted)) fail(line_no_, std::move(*message));
    switch (std::get<annotation>(extracted)) {
      case annotation::up:
        if (section_ != section::none)
          fail(line_no_, "second \"-- +goose Up\" (the first is on line " + std::to_string(up_line_) + ")");
        section_ = section::up;
        up_line_ = line_no_;
        return;
      case annotation::down:
        if (section_ == section::none)
          fail(line_no_,
               "\"-- +goose Down\" before \"-- +goose Up\" (a migration starts with \"-- +goose Up\")");
        if (in_block_)
          fail(line_no_, "\"-- +goose Down\" inside the StatementBegin block opened on line " +
                             std::to_string(block_line_) + " (add \"-- +goose StatementEnd\" before it)");
        if (section_ == section::down)
          fail(line_no_,
               "second \"-- +goose Down\" (the first is on line " + std::to_string(down_line_) + ")");
        require_terminated("\"-- +goose Down\" on line " + std::to_string(line_no_));
        pending_.clear();
        scanner_.reset();
        section_ = section::down;
        down_line_ = line_no_;
        return;
      case annotation::statement_begin:
        if (section_ == section::none)
          fail(line_no_, "StatementBegin before \"-- +goose Up\" (a migration starts with \"-- +goose Up\")");
        if (in_block_)
          fail(line_no_, "StatementBegin inside the block opened on line " + std::to_string(block_line_) +
                             " (add \"-- +goose StatementEnd\" before it)");
        // Unterminated lines before it become part of the block, as in goose.
        in_block_ = true;
        block_line_ = line_no_;
        return;
      case annotation::statement_end:
        if (!in_block_) fail(line_no_, "StatementEnd without a StatementBegin before it");
        in_block_ = false;
        emit();
        return;
      case annotation::no_transaction:
        body_.use_transaction = false;
        return;
      case annotation::envsub_on:
        envsub_ = true;
        return;
      case annotation::envsub_off:
        envsub_ = false;
        return;
    }
  }

  // Before "-- +goose Up" the line is a comment to goose and a baseline marker
  // to read_baseline_marker, which validates it; after it, goose would keep it
  // in a statement's text, so it is refused there.
  void on_migrator_annotation(std::string_view) {
    if (section_ != section::none)
      fail(line_no_, "\"-- +migrator\" annotations go before \"-- +goose Up\" (line " +
                         std::to_string(up_line_) + "), where goose reads them as comments");
  }

  // Stores the pending statement. An empty StatementBegin/End block yields no
  // statement (goose would send an empty one and drop the next line).
  void emit() {
    const std::string_view sql = trim_space(pending_.text());
    if (!sql.empty())
      (section_ == section::up ? body_.up : body_.down)
          .push_back(statement{std::string(sql), pending_.text_line()});
    pending_.clear();
    scanner_.reset();
  }

  void require_terminated(const std::string& reached) const {
    if (pending_.empty() || pending_.text_line() == 0) return;
    const std::string_view sql = trim_space(pending_.text());
    std::string message = "statement \"" + excerpt(sql) + "\" is not terminated before " + reached + ": ";
    const std::string open = scanner_.open_construct();
    if (!open.empty())
      message += open;
    else
      message += "end it with \";\" or wrap it in \"-- +goose StatementBegin\" / \"-- +goose StatementEnd\"";
    fail(pending_.text_line(), std::move(message));
  }

  std::string_view path_;
  const env_lookup& env_;
  migration_body body_;
  section section_ = section::none;
  int line_no_ = 0;
  int up_line_ = 0;
  int down_line_ = 0;
  bool in_block_ = false;
  int block_line_ = 0;
  bool envsub_ = false;
  pending_statement pending_;
  statement_end_scanner scanner_;
  std::string expanded_;
};

}  // namespace

std::optional<file_name_parts> parse_file_name(std::string_view file_name) {
  if (const std::size_t slash = file_name.rfind('/'); slash != std::string_view::npos)
    file_name.remove_prefix(slash + 1);
  constexpr std::string_view ext = ".sql";
  if (file_name.size() < ext.size() || file_name.substr(file_name.size() - ext.size()) != ext)
    return std::nullopt;
  const std::string_view stem = file_name.substr(0, file_name.size() - ext.size());
  // The version first, then the name once: a name is one allocation, not two.
  file_name_parts parts;
  const std::size_t underscore = stem.find('_');
  const std::string_view digits = underscore == std::string_view::npos ? std::string_view() : stem.substr(0, underscore);
  std::int64_t version = 0;
  bool numbered = !digits.empty();
  for (const char c : digits) {
    const int d = c - '0';
    if (!is_digit(static_cast<unsigned char>(c)) ||
        version > (std::numeric_limits<std::int64_t>::max() - d) / 10) {
      numbered = false;
      break;
    }
    version = version * 10 + d;
  }
  if (numbered && version > 0) {
    parts.version = version;
    parts.name = std::string(stem.substr(underscore + 1));
  } else {
    parts.name = std::string(stem);
  }
  return parts;
}

migration_body parse_migration(std::string_view text, std::string_view path, const env_lookup& env) {
  return migration_parser(path, env).parse(text);
}

std::string migration_checksum(std::string_view text) {
  if (starts_with(text, utf8_bom)) text.remove_prefix(utf8_bom.size());
  detail::sha256 hash;  // support/sha256.h; tests/unit/parser_test.cpp pins the digests
  // Hash the text in the runs between "\r\n" pairs, leaving out each '\r'.
  std::size_t start = 0;
  for (;;) {
    const std::size_t crlf = text.find("\r\n", start);
    const std::size_t stop = crlf == std::string_view::npos ? text.size() : crlf;
    hash.update(text.substr(start, stop - start));
    if (crlf == std::string_view::npos) break;
    start = crlf + 1;
  }
  return hash.hex_digest();
}

bool may_have_migrator_header(std::string_view text) noexcept {
  return text.find("+migrator") != std::string_view::npos;
}

migrator_header read_migrator_header(std::string_view text, std::string_view path) {
  if (starts_with(text, utf8_bom)) text.remove_prefix(utf8_bom.size());
  migrator_header header;
  // Without the marker there is no migrator annotation, hence nothing to read and
  // nothing to refuse: one search instead of a walk through the header's lines
  // (every start reads every file's header; almost none has one).
  if (!may_have_migrator_header(text)) return header;
  auto fail = [&](int line_no, std::string message) {
    throw parse_error(problem{std::string(path), line_no, std::move(message)});
  };
  int line_no = 0;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim_left(line).empty()) continue;
    if (is_annotation_line(line)) {
      const auto a = extract_annotation(line);
      if (std::holds_alternative<annotation>(a) && std::get<annotation>(a) == annotation::up) break;
      continue;
    }
    if (!starts_with(trim_left(line), "--"))
      break;  // SQL: the header is over (the parser says what is wrong)
    if (!is_migrator_annotation_line(line)) continue;
    if (is_contract_annotation(line)) {
      if (line[0] == ' ' || line[0] == '\t')
        fail(line_no,
             "annotation must start at the beginning of the line: remove the whitespace before \"--\"");
      if (header.contract)
        fail(line_no, "second contract annotation (the first is on line " +
                          std::to_string(header.contract->line) + ")");
      header.contract = contract_marker{line_no};
      continue;
    }
    auto extracted = extract_baseline_annotation(line);
    if (auto* message = std::get_if<std::string>(&extracted)) fail(line_no, std::move(*message));
    if (header.baseline)
      fail(line_no,
           "second baseline annotation (the first is on line " + std::to_string(header.baseline->line) + ")");
    header.baseline = baseline_marker{std::move(std::get<std::vector<std::int64_t>>(extracted)), line_no};
  }
  if (header.baseline && header.contract)
    fail(header.contract->line,
         "a baseline cannot be a contract migration (the baseline annotation is on line " +
             std::to_string(header.baseline->line) +
             "): a baseline builds its module's schema, it removes nothing");
  return header;
}

std::optional<baseline_marker> read_baseline_marker(std::string_view text, std::string_view path) {
  return read_migrator_header(text, path).baseline;
}

}  // namespace migrator
