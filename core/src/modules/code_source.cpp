#include "migrator/code_source.h"

#include <cctype>
#include <vector>

namespace migrator {

namespace {

constexpr std::string_view transactional_macro = "MIGRATOR_CODE_MIGRATION";
constexpr std::string_view no_transaction_macro = "MIGRATOR_CODE_MIGRATION_NO_TRANSACTION";

bool identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// Walks C++ text, skipping comments and string and character literals, so a
// macro name in a comment or a string does not count.
class code_scanner {
 public:
  code_scanner(std::string_view text, std::string_view path) : text_(text), path_(path) {}

  code_source_info find() {
    std::optional<code_source_info> found;
    while (i_ < text_.size()) {
      const char c = text_[i_];
      if (c == '\n') {
        ++line_;
        ++i_;
      } else if (starts("//")) {
        while (i_ < text_.size() && text_[i_] != '\n') ++i_;
      } else if (starts("/*")) {
        const int start = line_;
        i_ += 2;
        while (i_ < text_.size() && !starts("*/")) step();
        if (i_ >= text_.size()) fail(start, "a /* comment is never closed");
        i_ += 2;
      } else if (c == '"' || c == '\'') {
        quoted(c);
      } else if (identifier_char(c)) {
        const std::size_t begin = i_;
        while (i_ < text_.size() && identifier_char(text_[i_])) ++i_;
        const std::string_view word = text_.substr(begin, i_ - begin);
        // R"delim( ... )delim" and its u8R/uR/UR/LR forms.
        if (i_ < text_.size() && text_[i_] == '"' && !word.empty() && word.back() == 'R' &&
            (word == "R" || word == "u8R" || word == "uR" || word == "UR" || word == "LR")) {
          raw_string();
        } else if (i_ < text_.size() && text_[i_] == '\'' && std::isdigit(static_cast<unsigned char>(word[0]))) {
          ++i_;  // a digit separator (1'000), not a character literal
        } else if (word == transactional_macro || word == no_transaction_macro) {
          const int line = line_;
          code_source_info info = invocation(line, word);
          if (found)
            fail(line, "a second " + std::string(word) + " (the first is at line " + std::to_string(found->line) +
                           "); a file holds one code migration");
          found = std::move(info);
        }
      } else {
        ++i_;
      }
    }
    if (!found)
      fail(0, "defines no code migration: add MIGRATOR_CODE_MIGRATION(up) or MIGRATOR_CODE_MIGRATION(up, down) "
              "at file scope (see docs/module-authors.md)");
    return *found;
  }

 private:
  bool starts(std::string_view s) const { return text_.substr(i_, s.size()) == s; }
  void step() {
    if (text_[i_] == '\n') ++line_;
    ++i_;
  }

  [[noreturn]] void fail(int line, const std::string& message) const {
    throw parse_error(problem{std::string(path_), line, message});
  }

  void quoted(char quote) {
    const int start = line_;
    ++i_;
    while (i_ < text_.size() && text_[i_] != quote) {
      if (text_[i_] == '\n') fail(start, "a string or character literal is not closed on its line");
      if (text_[i_] == '\\' && i_ + 1 < text_.size()) ++i_;
      ++i_;
    }
    if (i_ >= text_.size()) fail(start, "a string or character literal is never closed");
    ++i_;
  }

  void raw_string() {
    const int start = line_;
    ++i_;  // the '"'
    const std::size_t open = text_.find('(', i_);
    if (open == std::string_view::npos) fail(start, "a raw string literal has no '('");
    const std::string end = ")" + std::string(text_.substr(i_, open - i_)) + "\"";
    i_ = open + 1;
    while (i_ < text_.size() && !starts(end)) step();
    if (i_ >= text_.size()) fail(start, "a raw string literal is never closed");
    i_ += end.size();
  }

  // The arguments of the macro at i_ (after its name), split at top-level commas.
  code_source_info invocation(int line, std::string_view macro) {
    while (i_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[i_]))) step();
    const std::string name(macro);
    if (i_ >= text_.size() || text_[i_] != '(') fail(line, name + " must be followed by (up) or (up, down)");
    ++i_;
    std::vector<std::string> arguments;
    std::string current;
    int depth = 0;
    for (;;) {
      if (i_ >= text_.size()) fail(line, name + "( is never closed");
      const char c = text_[i_];
      if (c == '"' || c == '\'') {
        const std::size_t begin = i_;
        quoted(c);
        current.append(text_.substr(begin, i_ - begin));
        continue;
      }
      if (starts("//")) {
        while (i_ < text_.size() && text_[i_] != '\n') ++i_;
        continue;
      }
      if (starts("/*")) {
        i_ += 2;
        while (i_ < text_.size() && !starts("*/")) step();
        i_ += 2;
        continue;
      }
      if (c == '(' || c == '[' || c == '{') ++depth;
      if ((c == ')' || c == ']' || c == '}') && depth-- == 0) {
        ++i_;
        break;
      }
      if (c == ',' && depth == 0) {
        arguments.push_back(trimmed(current));
        current.clear();
        step();
        continue;
      }
      current += c;
      step();
    }
    arguments.push_back(trimmed(current));
    if (arguments.size() > 2)
      fail(line, name + " takes (up) or (up, down), not " + std::to_string(arguments.size()) + " arguments");
    if (arguments[0].empty() || arguments[0] == "nullptr" || arguments[0] == "NULL" || arguments[0] == "0")
      fail(line, name + " has no up function: a code migration needs an up (down is optional)");
    code_source_info info;
    info.line = line;
    info.use_transaction = macro == transactional_macro;
    info.up = arguments[0];
    if (arguments.size() == 2 && arguments[1] != "nullptr" && arguments[1] != "NULL") info.down = arguments[1];
    return info;
  }

  std::string_view text_;
  std::string_view path_;
  std::size_t i_ = 0;
  int line_ = 1;
};

}  // namespace

std::optional<file_name_parts> parse_code_file_name(std::string_view file_name) {
  if (const std::size_t slash = file_name.rfind('/'); slash != std::string_view::npos)
    file_name.remove_prefix(slash + 1);
  constexpr std::string_view ext = ".cpp";
  if (file_name.size() < ext.size() || file_name.substr(file_name.size() - ext.size()) != ext)
    return std::nullopt;
  // The same numbering rules as a .sql file's name.
  return parse_file_name(std::string(file_name.substr(0, file_name.size() - ext.size())) + ".sql");
}

code_source_info read_code_source(std::string_view text, std::string_view path) {
  return code_scanner(text, path).find();
}

}  // namespace migrator
