// Typed access to YAML nodes that reports problems with file:line:column into a
// DiagnosticList instead of throwing, so one pass finds every problem of a file.
#pragma once

#include <gradflow/diagnostics.hpp>
#include <gradflow/numbers.hpp>

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gradflow {

class YamlReader {
 public:
  YamlReader(std::string file, DiagnosticList& diags) : file_(std::move(file)), diags_(diags) {}

  const std::string& file() const { return file_; }
  SourceLocation where(const YAML::Node& node) const;

  // Parses a file that must hold exactly one document. Syntax errors, NUL bytes, duplicate
  // keys at any depth, merge keys and a second document become diagnostics (see
  // yaml_strict.hpp); the caller stops if there are any.
  YAML::Node parse_document(const std::string& text);

  // Unknown keys, with a "did you mean" suggestion.
  void check_keys(const YAML::Node& map, const std::vector<std::string>& allowed,
                  const std::string& what);

  std::optional<std::string> as_string(const YAML::Node& node, const std::string& what);
  std::optional<int64_t> as_integer(const YAML::Node& node, const std::string& what, int64_t lo,
                                    int64_t hi);
  std::optional<double> as_number(const YAML::Node& node, const std::string& what, double lo,
                                  double hi);
  std::optional<bool> as_bool(const YAML::Node& node, const std::string& what);
  std::optional<std::vector<int64_t>> as_shape(const YAML::Node& node, const std::string& what);

  std::optional<std::string> optional_string(const YAML::Node& map, const char* key);
  std::optional<std::string> required_string(const YAML::Node& map, const char* key,
                                             const std::string& owner);

 private:
  std::string file_;
  DiagnosticList& diags_;
};

}  // namespace gradflow
