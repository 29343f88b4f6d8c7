#include "format/envsub.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "support/unicode_text.h"

namespace migrator::parsing {
namespace {

class interpolator {
 public:
  interpolator(std::string_view in, const env_lookup& env) : in_(in), env_(env) {}

  void run(std::string& out) {
    expression(false, true, &out);
    if (pos_ != in_.size()) throw envsub_failure{"internal error: substitution stopped early"};
  }

 private:
  // Parses text and expansions up to the end (or, in a brace, up to '}').
  // With eval false it only checks the syntax, like interpolate's parse of a
  // default that is not used.
  void expression(bool in_brace, bool eval, std::string* out) {
    const std::size_t n = in_.size();
    while (pos_ < n) {
      const char c = in_[pos_];
      if (in_brace && c == '}') break;
      const std::string_view rest = in_.substr(pos_);
      if (starts_with(rest, "\\\\")) {
        emit(eval, out, "\\\\");
        pos_ += 2;
      } else if (starts_with(rest, "\\$") || starts_with(rest, "$$")) {
        emit(eval, out, "$");
        pos_ += 2;
      } else if (starts_with(rest, "$(")) {
        emit(eval, out, "$(");
        pos_ += 2;
      } else if (c == '$' && pos_ < n - 1) {
        expansion(eval, out);
      } else {
        const std::size_t start = pos_;
        pos_ += rune_len(pos_);
        while (pos_ < n && in_[pos_] != '$' && in_[pos_] != '\\' && !(in_brace && in_[pos_] == '}'))
          pos_ += rune_len(pos_);
        emit(eval, out, in_.substr(start, pos_ - start));
      }
    }
  }

  void expansion(bool eval, std::string* out) {
    ++pos_;  // '$'
    if (in_[pos_] == '{') return brace(eval, out);
    const std::string name = identifier("$");
    if (eval)
      if (auto v = lookup(name)) out->append(*v);
  }

  void brace(bool eval, std::string* out) {
    ++pos_;  // '{'
    const std::string name = identifier("${");
    if (pos_ < in_.size() && in_[pos_] == '}') {
      ++pos_;
      if (eval)
        if (auto v = lookup(name)) out->append(*v);
      return;
    }
    if (pos_ >= in_.size()) throw envsub_failure{"\"${" + name + "\" is never closed (add \"}\")"};
    const std::size_t op_start = pos_;
    pos_ += rune_len(pos_);
    std::string_view op = in_.substr(op_start, pos_ - op_start);
    if (op == ":" && pos_ < in_.size() && in_[pos_] == '-') op = in_.substr(op_start, ++pos_ - op_start);

    std::optional<std::string> value;
    if (eval) value = lookup(name);
    std::string result;
    if (op == ":-") {  // default when unset or empty
      const bool use_default = !value || value->empty();
      expression(true, eval && use_default, &result);
      if (eval && !use_default) result = *value;
    } else if (op == "-") {  // default when unset
      expression(true, eval && !value, &result);
      if (eval && value) result = *value;
    } else if (op == "?") {  // required
      expression(true, eval && !value, &result);
      if (eval && !value) throw envsub_failure{"$" + name + ": " + (result.empty() ? "not set" : result)};
      if (eval) result = *value;
    } else if (op == ":") {  // substring, in bytes
      const std::int64_t offset = number(scan_until(":}"), name);
      std::optional<std::int64_t> length;
      if (!(pos_ < in_.size() && in_[pos_] == '}')) {
        if (pos_ < in_.size()) pos_ += rune_len(pos_);  // ':'
        length = number(scan_until("}"), name);
      }
      if (eval && value) result = substring(*value, offset, length);
    } else {
      throw envsub_failure{"unexpected \"" + std::string(op) + "\" after \"${" + name +
                           "\": expected \"}\", \":-\", \"-\", \"?\" or \":\""};
    }
    if (pos_ >= in_.size() || in_[pos_] != '}')
      throw envsub_failure{"\"${" + name + "\" is never closed (add \"}\")"};
    ++pos_;
    if (eval) out->append(result);
  }

  std::string identifier(const char* after) {
    if (pos_ >= in_.size() || !is_letter_at(pos_)) {
      const std::string got = pos_ >= in_.size()
                                  ? "the end of the line"
                                  : "\"" + std::string(in_.substr(pos_, rune_len(pos_))) + "\"";
      throw envsub_failure{"\"" + std::string(after) + "\" must be followed by a variable name, got " + got +
                           " (write \"\\$\" or \"$$\" for a literal \"$\", or turn ENVSUB off)"};
    }
    const std::size_t start = pos_;
    while (pos_ < in_.size() &&
           (is_letter_at(pos_) || is_digit(static_cast<unsigned char>(in_[pos_])) || in_[pos_] == '_'))
      pos_ += rune_len(pos_);
    return std::string(in_.substr(start, pos_ - start));
  }

  std::string_view scan_until(std::string_view stops) {
    const std::size_t start = pos_;
    while (pos_ < in_.size() && stops.find(in_[pos_]) == std::string_view::npos) pos_ += rune_len(pos_);
    return in_.substr(start, pos_ - start);
  }

  // Go's strconv.Atoi of the trimmed text.
  static std::int64_t number(std::string_view s, const std::string& name) {
    const std::string_view t = trim_space(s);
    std::size_t i = 0;
    const bool negative = !t.empty() && t[0] == '-';
    if (!t.empty() && (t[0] == '-' || t[0] == '+')) ++i;
    if (i == t.size()) throw envsub_failure{bad_number(s, name)};
    std::uint64_t v = 0;
    const std::uint64_t limit = negative ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1;
    for (; i < t.size(); ++i) {
      if (!is_digit(static_cast<unsigned char>(t[i]))) throw envsub_failure{bad_number(s, name)};
      const unsigned d = static_cast<unsigned>(t[i] - '0');
      if (v > (limit - d) / 10) throw envsub_failure{bad_number(s, name)};
      v = v * 10 + d;
    }
    return negative ? static_cast<std::int64_t>(0 - v) : static_cast<std::int64_t>(v);
  }

  static std::string bad_number(std::string_view s, const std::string& name) {
    return "\"${" + name + ":...}\" needs a whole number, got \"" + std::string(s) + "\"";
  }

  // interpolate's SubstringExpansion, with saturating arithmetic where Go
  // would overflow.
  static std::string substring(const std::string& v, std::int64_t offset,
                               std::optional<std::int64_t> length) {
    const auto len = static_cast<std::int64_t>(v.size());
    std::int64_t from = offset;
    if (from < 0) from += len;
    if (from < 0) from = 0;
    if (from > len) from = len;
    if (!length) return v.substr(static_cast<std::size_t>(from));
    std::int64_t to;
    if (*length >= 0) {
      to = *length > len ? len : from + *length;
    } else {
      to = *length + len;
      if (to < from) to = from;
    }
    if (to > len) to = len;
    return v.substr(static_cast<std::size_t>(from), static_cast<std::size_t>(to - from));
  }

  std::optional<std::string> lookup(const std::string& name) const {
    if (!env_) return std::nullopt;
    return env_(name);
  }

  static void emit(bool eval, std::string* out, std::string_view text) {
    if (eval) out->append(text);
  }

  std::size_t rune_len(std::size_t i) const noexcept {
    const auto c = static_cast<unsigned char>(in_[i]);
    const std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    return std::min(len, in_.size() - i);
  }

  // unicode.IsLetter, approximated: ASCII letters, and any non-ASCII character
  // but whitespace and U+FFFD (environment variable names are ASCII in practice).
  bool is_letter_at(std::size_t i) const noexcept {
    const auto c = static_cast<unsigned char>(in_[i]);
    if (c < 0x80) return is_ascii_letter(c);
    if (space_len(in_.data() + i, in_.data() + in_.size()) != 0) return false;
    return in_.substr(i, 3) != "\xEF\xBF\xBD";
  }

  std::string_view in_;
  const env_lookup& env_;
  std::size_t pos_ = 0;
};

}  // namespace

void substitute_variables(std::string_view line, const env_lookup& env, std::string& out) {
  interpolator(line, env).run(out);
}

}  // namespace migrator::parsing
