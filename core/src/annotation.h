// goose's annotations ("-- +goose Up" and friends): which lines are
// annotations and what they say, goose's extractAnnotation rule for rule. Pure.
#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace migrator::parsing {

enum class annotation { up, down, statement_begin, statement_end, no_transaction, envsub_on, envsub_off };

// goose: a line is an annotation when, trimmed, it starts with "--" and it
// contains "+goose" anywhere (so "-- we use +goose" is a malformed annotation).
bool is_annotation_line(std::string_view line) noexcept;

// The annotation of a line for which is_annotation_line() holds, or the message
// that says what is wrong with it (no path, no line number).
std::variant<annotation, std::string> extract_annotation(std::string_view line);

}  // namespace migrator::parsing
