// How an op's declarations read in messages and in `graph-runner ops`.
#include <gradflow/registry.hpp>

#include <cmath>
#include <limits>

namespace gradflow {

const char* attr_type_name(uint32_t type) {
  switch (type) {
    case GF_ATTR_INT:
      return "int";
    case GF_ATTR_FLOAT:
      return "float";
    case GF_ATTR_BOOL:
      return "bool";
    case GF_ATTR_STRING:
      return "string";
    case GF_ATTR_INIT:
      return "init";
    case GF_ATTR_INTS:
      return "int or int list";
  }
  return "?";
}

std::string attribute_range_text(const gf_attr_spec& spec) {
  auto num = [](double v) {
    if (v == std::numeric_limits<double>::infinity()) return std::string("inf");
    if (v == -std::numeric_limits<double>::infinity()) return std::string("-inf");
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  };
  return "[" + num(spec.min) + ", " + num(spec.max) + "]";
}

bool has_range(const gf_attr_spec& spec) {
  const bool numeric =
      spec.type == GF_ATTR_INT || spec.type == GF_ATTR_FLOAT || spec.type == GF_ATTR_INTS;
  return numeric && (std::isfinite(spec.min) || std::isfinite(spec.max));
}

bool is_differentiable(const gf_op_def& def) {
  return def.backward || def.backward_ex;
}

}  // namespace gradflow
