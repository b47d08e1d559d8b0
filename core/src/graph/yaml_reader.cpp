#include "graph/yaml_reader.hpp"

#include "graph/yaml_strict.hpp"

#include <yaml-cpp/depthguard.h>

#include <algorithm>
#include <cmath>

namespace gradflow {

SourceLocation YamlReader::where(const YAML::Node& node) const {
  if (!node.IsDefined()) return {file_, 0, 0};
  YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {file_, 0, 0};
  return {file_, mark.line + 1, mark.column + 1};
}

YAML::Node YamlReader::parse_document(const std::string& text) {
  check_yaml_strictness(text, file_, diags_);
  // Reported above; yaml-cpp would only add a confusing second message.
  if (text.find('\0') != std::string::npos) return YAML::Node();
  try {
    return YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp stops at a fixed depth and says only "bad file".
    diags_.error({file_, e.mark.line + 1, e.mark.column + 1},
                 "YAML nesting deeper than " + std::to_string(e.depth()) +
                     " levels; a graph file needs only a few");
  } catch (const YAML::ParserException& e) {
    diags_.error({file_, e.mark.line + 1, e.mark.column + 1}, "YAML syntax: " + e.msg);
  } catch (const YAML::Exception& e) {
    diags_.error({file_, e.mark.line + 1, e.mark.column + 1}, "YAML: " + e.msg);
  }
  return YAML::Node();
}

void YamlReader::check_keys(const YAML::Node& map, const std::vector<std::string>& allowed,
                            const std::string& what) {
  for (const auto& entry : map) {
    if (!entry.first.IsScalar()) {
      diags_.error(where(entry.first), what + " must be plain text");
      continue;
    }
    const std::string& key = entry.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string message = "unknown " + what + " '" + key + "'";
    std::string guess = closest_match(key, allowed);
    if (!guess.empty()) {
      message += " (did you mean '" + guess + "'?)";
    } else {
      message += " (expected one of:";
      for (const auto& a : allowed) message += " " + a;
      message += ")";
    }
    diags_.error(where(entry.first), message);
  }
}

std::optional<std::string> YamlReader::as_string(const YAML::Node& node, const std::string& what) {
  if (!node.IsScalar()) {
    diags_.error(where(node), what + " must be text, not a " +
                                  (node.IsMap()        ? "mapping"
                                   : node.IsSequence() ? "list"
                                                       : "null"));
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<int64_t> YamlReader::as_integer(const YAML::Node& node, const std::string& what,
                                              int64_t lo, int64_t hi) {
  if (!node.IsScalar()) {
    diags_.error(where(node), what + " must be an integer");
    return std::nullopt;
  }
  auto value = parse_integer(node.Scalar());
  if (!value) {
    auto real = parse_number(node.Scalar());
    if (real && (*real > static_cast<double>(hi) || *real < static_cast<double>(lo))) {
      diags_.error(where(node), what + " is " + node.Scalar() + ", outside [" + std::to_string(lo) +
                                    ", " + std::to_string(hi) + "]");
    } else {
      diags_.error(where(node), what + " must be an integer, got '" + node.Scalar() + "'");
    }
    return std::nullopt;
  }
  if (*value < lo || *value > hi) {
    diags_.error(where(node), what + " is " + std::to_string(*value) + ", outside [" +
                                  std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return std::nullopt;
  }
  return value;
}

std::optional<double> YamlReader::as_number(const YAML::Node& node, const std::string& what,
                                            double lo, double hi) {
  if (!node.IsScalar()) {
    diags_.error(where(node), what + " must be a number");
    return std::nullopt;
  }
  auto value = parse_number(node.Scalar());
  if (!value) {
    diags_.error(where(node), what + " must be a finite number, got '" + node.Scalar() + "'");
    return std::nullopt;
  }
  if (*value < lo || *value > hi) {
    diags_.error(where(node), what + " is " + node.Scalar() + ", outside [" +
                                  YAML::Dump(YAML::Node(lo)) + ", " + YAML::Dump(YAML::Node(hi)) +
                                  "]");
    return std::nullopt;
  }
  return value;
}

std::optional<bool> YamlReader::as_bool(const YAML::Node& node, const std::string& what) {
  auto value = node.IsScalar() ? parse_bool(node.Scalar()) : std::nullopt;
  if (!value) diags_.error(where(node), what + " must be true or false");
  return value;
}

std::optional<std::vector<int64_t>> YamlReader::as_shape(const YAML::Node& node,
                                                         const std::string& what) {
  if (!node.IsSequence()) {
    diags_.error(where(node), what + " must be a list of sizes, e.g. [784]");
    return std::nullopt;
  }
  if (node.size() > 4) {
    diags_.error(where(node), what + " has rank " + std::to_string(node.size()) +
                                  "; at most 4 dimensions are supported");
    return std::nullopt;
  }
  std::vector<int64_t> shape;
  bool ok = true;
  for (const auto& d : node) {
    auto v = as_integer(d, what + " dimension", 1, 1 << 24);
    if (v)
      shape.push_back(*v);
    else
      ok = false;
  }
  if (!ok) return std::nullopt;
  return shape;
}

std::optional<std::string> YamlReader::optional_string(const YAML::Node& map, const char* key) {
  YAML::Node node = map[key];
  if (!node || node.IsNull()) return std::nullopt;
  return as_string(node, std::string("'") + key + "'");
}

std::optional<std::string> YamlReader::required_string(const YAML::Node& map, const char* key,
                                                       const std::string& owner) {
  YAML::Node node = map[key];
  if (!node || node.IsNull()) {
    diags_.error(where(map), owner + ": missing '" + key + "'");
    return std::nullopt;
  }
  return as_string(node, owner + ": '" + key + "'");
}

}  // namespace gradflow
