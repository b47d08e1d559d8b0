#include "plugins/op_table_check.hpp"

#include "plugins/attributes.hpp"

#include <algorithm>
#include <cstring>

namespace gradflow {
namespace {

constexpr uint32_t kMaxPorts = 16;
constexpr uint32_t kMaxAttrs = 256;
constexpr uint32_t kMaxFusions = 16;

bool known_attr_type(uint32_t type) {
  return type <= GF_ATTR_INTS;
}

std::string attr_problem(const gf_attr_spec& spec) {
  if (!spec.name || !*spec.name) return "an attribute without a name";
  const std::string what = "attribute '" + std::string(spec.name) + "'";
  if (!known_attr_type(spec.type)) return what + " has unknown type " + std::to_string(spec.type);
  if (!(spec.min <= spec.max)) return what + " has the range " + attribute_range_text(spec);
  if (!spec.default_text) return "";
  YAML::Node value;
  try {
    value = YAML::Load(spec.default_text);
  } catch (const YAML::Exception&) {
    return what + " has a default that is not YAML: '" + spec.default_text + "'";
  }
  ConvertedAttr converted;
  std::string problem;
  if (!convert_attribute(value, spec, &converted, &problem))
    return what + ": the op's own default '" + spec.default_text + "' " + problem +
           " (a bug in the plugin, not in the graph: a default must pass the op's own checks)";
  return "";
}

std::string fusion_problem(const gf_op_def& def) {
  if (def.n_fusions == 0) return "";
  if (def.n_fusions > kMaxFusions || !def.fusions) return "a malformed fusion list";
  for (uint32_t i = 0; i < def.n_fusions; ++i) {
    const gf_fusion* f = def.fusions[i];
    if (!f || f->struct_size < sizeof(gf_fusion) || !f->producer || !f->backward)
      return "a malformed fusion #" + std::to_string(i);
    if (f->input >= def.n_inputs)
      return "fusion #" + std::to_string(i) + " names input " + std::to_string(f->input) + " of " +
             std::to_string(def.n_inputs);
  }
  return "";
}

std::string entry_points_problem(const gf_op_def& def) {
  if (!def.create && !def.create_ex) return "no create function";
  if (!def.forward && !def.forward_ex) return "no forward function";
  if (!def.destroy) return "no destroy function";
  return "";
}

}  // namespace

std::unique_ptr<gf_op_def> normalized_op_def(const gf_op_def& def) {
  return std::make_unique<gf_op_def>(detail::grown_op_def(def));
}

std::string op_def_problem(const gf_op_def* raw, uint32_t index) {
  const std::string which = "op #" + std::to_string(index);
  if (!raw) return which + " is a null pointer";
  if (raw->struct_size < kOpDefSize_1_0)
    return which + " has struct_size " + std::to_string(raw->struct_size) + ", below ABI 1.0's " +
           std::to_string(kOpDefSize_1_0);
  if (!raw->name || !*raw->name) return which + " has no name";
  const std::string op = "op '" + std::string(raw->name) + "'";
  const auto def = normalized_op_def(*raw);
  if (std::string p = entry_points_problem(*def); !p.empty()) return op + " has " + p;
  if (def->n_inputs > kMaxPorts || (def->n_inputs > 0 && !def->input_names))
    return op + " has a malformed input list";
  for (uint32_t i = 0; i < def->n_inputs; ++i)
    if (!def->input_names[i] || !*def->input_names[i]) return op + " has an input without a name";
  if (def->n_attrs > kMaxAttrs || (def->n_attrs > 0 && !def->attrs))
    return op + " has a malformed attribute list";
  for (uint32_t i = 0; i < def->n_attrs; ++i)
    if (std::string p = attr_problem(def->attrs[i]); !p.empty()) return op + ": " + p;
  if (std::string p = fusion_problem(*def); !p.empty()) return op + " has " + p;
  return "";
}

}  // namespace gradflow
