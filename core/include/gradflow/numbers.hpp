// Numbers written by people (graph files, flags, CSV cells, checkpoint metadata): strict,
// whole-string, finite. One set of rules for every reader of gradflow.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace gradflow {

std::optional<int64_t> parse_integer(const std::string& text);
// 0 to 2^64 - 1: seeds and counts that may use the whole range.
std::optional<uint64_t> parse_unsigned(const std::string& text);
std::optional<double> parse_number(const std::string& text);
// true/false, True/False, yes/no, on/off, as YAML 1.1 spells them.
std::optional<bool> parse_bool(const std::string& text);

}  // namespace gradflow
