// goose's annotations ("-- +goose Up" and friends): which lines are
// annotations and what they say, goose's extractAnnotation rule for rule. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace migrator::parsing {

enum class annotation { up, down, statement_begin, statement_end, no_transaction, envsub_on, envsub_off };

// goose: a line is an annotation when, trimmed, it starts with "--" and it
// contains "+goose" anywhere (so "-- we use +goose" is a malformed annotation).
bool is_annotation_line(std::string_view line) noexcept;

// The annotation of a line for which is_annotation_line() holds, or the message
// that says what is wrong with it (no path, no line number).
std::variant<annotation, std::string> extract_annotation(std::string_view line);

// This tool's own annotation, "-- +migrator baseline replaces 4001-4003,4005".
// It holds no "+goose", so goose (and sqlc) read it as a plain comment and drop
// it with the comments before the first statement. A line is one when, trimmed,
// it starts with "--" and the rest, trimmed, starts with "+migrator".
bool is_migrator_annotation_line(std::string_view line) noexcept;

// The versions a baseline annotation lists (ascending, without duplicates), or
// the message that says what is wrong with the line (no path, no line number).
// The list: versions and inclusive ranges "A-B", separated by commas.
std::variant<std::vector<std::int64_t>, std::string> extract_baseline_annotation(std::string_view line);

// "-- +migrator contract": the migration removes what older builds of the
// application still use, so it waits until none of them runs (see
// docs/rolling-deploys.md). True for that line exactly (any spacing, nothing
// after the word); false for a baseline line.
bool is_contract_annotation(std::string_view line) noexcept;

}  // namespace migrator::parsing
