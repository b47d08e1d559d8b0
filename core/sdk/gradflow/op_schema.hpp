// What an op declares about itself (name, inputs, attributes with defaults and ranges, loss,
// fusions) and how it reads attribute values. Part of <gradflow/op.hpp>.
#pragma once

#include <gradflow/plugin_abi.h>
#include <gradflow/op_view.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gradflow {

// One attribute, built by name: attr::number("slope").default_value(0.01).range(0, 1).doc(...).
// Without default_value the attribute is required. The host checks types and ranges and fills
// defaults before create() runs; it also checks that the op's own defaults are in range.
struct AttrSpec {
  std::string name;
  gf_attr_type type = GF_ATTR_FLOAT;
  std::optional<std::string> default_text;  // YAML text; nullopt = required
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  std::string doc_text;

  // The default as YAML text: "xavier", "{normal: 0.3}", "[2, 2]", "mean".
  AttrSpec default_value(std::string_view yaml) && {
    default_text = std::string(yaml);
    return std::move(*this);
  }
  // (Without this overload a string literal would convert to bool.)
  AttrSpec default_value(const char* yaml) && {
    return std::move(*this).default_value(std::string_view(yaml));
  }
  AttrSpec default_value(double value) && {
    char text[40];
    std::snprintf(text, sizeof text, "%.17g", value);
    return std::move(*this).default_value(std::string_view(text));
  }
  AttrSpec default_value(int value) && { return std::move(*this).default_value(int64_t{value}); }
  AttrSpec default_value(int64_t value) && {
    return std::move(*this).default_value(std::string_view(std::to_string(value)));
  }
  AttrSpec default_value(bool value) && {
    return std::move(*this).default_value(std::string_view(value ? "true" : "false"));
  }
  AttrSpec default_value(std::initializer_list<int64_t> values) && {
    std::string text = "[";
    for (int64_t v : values) text += (text.size() > 1 ? ", " : "") + std::to_string(v);
    return std::move(*this).default_value(std::string_view(text + "]"));
  }
  // Inclusive; for ints lists, each element.
  AttrSpec range(double lo, double hi) && {
    min = lo;
    max = hi;
    return std::move(*this);
  }
  AttrSpec doc(std::string_view text) && {
    doc_text = std::string(text);
    return std::move(*this);
  }
};

namespace attr {
inline AttrSpec of(const char* name, gf_attr_type type) {
  AttrSpec s;
  s.name = name;
  s.type = type;
  return s;
}
inline AttrSpec integer(const char* name) {
  return of(name, GF_ATTR_INT);
}
inline AttrSpec number(const char* name) {
  return of(name, GF_ATTR_FLOAT);
}
inline AttrSpec boolean(const char* name) {
  return of(name, GF_ATTR_BOOL);
}
inline AttrSpec text(const char* name) {
  return of(name, GF_ATTR_STRING);
}
inline AttrSpec init(const char* name) {
  return of(name, GF_ATTR_INIT);
}
// An int or a list of up to GF_MAX_LIST ints, e.g. `kernel: 3` or `kernel: [3, 5]`.
inline AttrSpec ints(const char* name) {
  return of(name, GF_ATTR_INTS);
}
}  // namespace attr

struct OpSchema {
  std::string name;
  std::string doc;
  std::vector<std::string> inputs;
  std::vector<AttrSpec> attrs;
  bool loss = false;  // output is a batch-mean scalar usable in `loss:`
  // A fusion the op offers (see gf_fusion): input `fused_input` fed by op `fused_producer`;
  // the op class then defines backward_fused(const BackwardContext&).
  std::string fused_producer;
  uint32_t fused_input = 0;

  OpSchema() = default;
  OpSchema(std::string op_name, std::string op_doc)
      : name(std::move(op_name)), doc(std::move(op_doc)) {}
  OpSchema& input(std::string port) {
    inputs.push_back(std::move(port));
    return *this;
  }
  OpSchema& attr(AttrSpec spec) {
    attrs.push_back(std::move(spec));
    return *this;
  }
  OpSchema& is_loss() {
    loss = true;
    return *this;
  }
  OpSchema& fuses(std::string producer, uint32_t input) {
    fused_producer = std::move(producer);
    fused_input = input;
    return *this;
  }
};

inline const char* attr_type_word(uint32_t type);

// Attribute values after the host checked types and ranges and filled defaults.
class Attrs {
 public:
  Attrs(const gf_attr_value* values, uint32_t n, const gf_attr_list* lists = nullptr)
      : values_(values, n), lists_(lists) {}
  int64_t integer(const char* name) const { return find(name, GF_ATTR_INT).i; }
  double real(const char* name) const { return find(name, GF_ATTR_FLOAT).f; }
  bool boolean(const char* name) const { return find(name, GF_ATTR_BOOL).i != 0; }
  std::string text(const char* name) const { return find(name, GF_ATTR_STRING).s; }
  gf_init init(const char* name) const { return find(name, GF_ATTR_INIT).init; }
  std::vector<int64_t> ints(const char* name) const {
    const gf_attr_value& v = find(name, GF_ATTR_INTS);
    if (!lists_) throw OpError("attribute '" + std::string(name) + "': the host gave no list");
    const gf_attr_list& list = lists_[&v - values_.data()];
    return std::vector<int64_t>(list.values, list.values + std::min<uint32_t>(list.n, GF_MAX_LIST));
  }

 private:
  const gf_attr_value& find(const char* name, uint32_t type) const {
    for (const auto& v : values_) {
      if (std::strcmp(v.name, name) != 0) continue;
      if (v.type == type) return v;
      throw OpError("attribute '" + std::string(name) + "' is declared as " +
                    attr_type_word(v.type) + " but read as " + attr_type_word(type) +
                    ": use the matching reader of Attrs");
    }
    throw OpError("attribute '" + std::string(name) + "' was not declared in the op's schema");
  }
  std::span<const gf_attr_value> values_;
  const gf_attr_list* lists_;
};

inline const char* attr_type_word(uint32_t type) {
  switch (type) {
    case GF_ATTR_INT:
      return "an int (integer())";
    case GF_ATTR_FLOAT:
      return "a float (real())";
    case GF_ATTR_BOOL:
      return "a bool (boolean())";
    case GF_ATTR_STRING:
      return "a string (text())";
    case GF_ATTR_INIT:
      return "an initialiser (init())";
    case GF_ATTR_INTS:
      return "an int list (ints())";
    default:
      return "an unknown type";
  }
}

}  // namespace gradflow
