// Shared helpers of the data loaders: file reading, checked arithmetic, YAML value parsing.
#include "data_internal.hpp"

#include <gradflow/numbers.hpp>
#include <gradflow/user_file.hpp>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <system_error>

namespace gradflow::data_detail {

std::string read_regular_file(const std::string& path) {
  return read_file(path, "data file");
}

std::optional<int64_t> checked_mul(int64_t a, int64_t b) {
  int64_t result = 0;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &result)) return std::nullopt;
  return result;
}

SourceLocation yaml_location(const std::string& file, const YAML::Node& node) {
  SourceLocation where{file, 0, 0};
  if (!node) return where;
  YAML::Mark mark = node.Mark();
  if (!mark.is_null() && mark.line >= 0) {
    where.line = mark.line + 1;
    where.column = mark.column + 1;
  }
  return where;
}

namespace {

// The scalar text of a node, or nullopt (with an error) if it is a list or mapping.
std::optional<std::string> scalar_text(const YAML::Node& node, const std::string& key,
                                       const std::string& what, const std::string& file,
                                       DiagnosticList& errors) {
  if (!node.IsScalar()) {
    errors.error(yaml_location(file, node), "'" + key + "' must be " + what);
    return std::nullopt;
  }
  return node.Scalar();
}

}  // namespace

std::optional<int64_t> yaml_integer(const YAML::Node& node, const std::string& key,
                                    const std::string& file, DiagnosticList& errors) {
  auto text = scalar_text(node, key, "an integer", file, errors);
  if (!text) return std::nullopt;
  auto value = parse_integer(*text);
  if (!value) {
    errors.error(yaml_location(file, node),
                 "'" + key + "' must be an integer, got '" + *text + "'");
  }
  return value;
}

std::optional<uint64_t> yaml_unsigned(const YAML::Node& node, const std::string& key,
                                      const std::string& file, DiagnosticList& errors) {
  auto text = scalar_text(node, key, "a non-negative integer", file, errors);
  if (!text) return std::nullopt;
  auto value = parse_unsigned(*text);
  if (!value) {
    errors.error(yaml_location(file, node),
                 "'" + key + "' must be a non-negative integer below 2^64, got '" + *text + "'");
  }
  return value;
}

std::optional<double> yaml_number(const YAML::Node& node, const std::string& key,
                                  const std::string& file, DiagnosticList& errors) {
  auto text = scalar_text(node, key, "a number", file, errors);
  if (!text) return std::nullopt;
  // YAML spells infinities and NaN as .inf / .nan; map them so that range checks can say
  // "must be finite" rather than "not a number".
  const std::string& s = *text;
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf") {
    return std::numeric_limits<double>::infinity();
  }
  if (s == "-.inf" || s == "-.Inf" || s == "-.INF") return -std::numeric_limits<double>::infinity();
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return std::numeric_limits<double>::quiet_NaN();
  double value = 0;
  const char* begin = s.data();
  const char* end = begin + s.size();
  if (begin != end && *begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || begin == end) {
    errors.error(yaml_location(file, node), "'" + key + "' must be a number, got '" + s + "'");
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> yaml_string(const YAML::Node& node, const std::string& key,
                                       const std::string& file, DiagnosticList& errors) {
  auto text = scalar_text(node, key, "a string", file, errors);
  if (text && text->empty()) {
    errors.error(yaml_location(file, node), "'" + key + "' must not be empty");
    return std::nullopt;
  }
  return text;
}

Limits read_limits(const YAML::Node& spec, const std::string& source, DiagnosticList& errors) {
  Limits limits;
  for (const char* key : {"train_limit", "test_limit"}) {
    YAML::Node node = spec[key];
    if (!node) continue;
    auto value = yaml_integer(node, key, source, errors);
    if (!value) continue;
    if (*value < 1) {
      errors.error(yaml_location(source, node),
                   std::string("'") + key + "' must be at least 1, got " + std::to_string(*value));
      continue;
    }
    (std::string(key) == "train_limit" ? limits.train : limits.test) = *value;
  }
  return limits;
}

void apply_limit(Split& split, std::optional<int64_t> limit) {
  if (!limit || *limit >= split.size) return;
  split.size = *limit;
  const auto cells = static_cast<size_t>(*limit * split.feature_size());
  // shrink_to_fit: a limit exists to save memory, so give the rest back.
  if (split.has_float_features()) {
    split.x.resize(cells);
    split.x.shrink_to_fit();
  } else {
    split.pixels.resize(cells);
    split.pixels.shrink_to_fit();
  }
  split.labels.resize(static_cast<size_t>(*limit));
}

std::string resolve_path(const std::string& base_dir, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_absolute() || base_dir.empty()) return p.string();
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

std::optional<std::string> yaml_input_path(const YAML::Node& spec, const std::string& key,
                                           const std::string& base_dir, const std::string& source,
                                           DiagnosticList& errors) {
  YAML::Node node = spec[key];
  if (!node) {
    errors.error(yaml_location(source, spec), "missing '" + key + "' (a file path)");
    return std::nullopt;
  }
  auto text = yaml_string(node, key, source, errors);
  if (!text) return std::nullopt;
  std::string path = resolve_path(base_dir, *text);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    errors.error(yaml_location(source, node), "'" + key + "': no such file '" + path + "'");
    return std::nullopt;
  }
  return path;
}

}  // namespace gradflow::data_detail
