#include "plugins/op_table_check.hpp"

#include "plugins/attributes.hpp"

#include <algorithm>
#include <cstring>
#include <set>

namespace gradflow {
namespace {

constexpr uint32_t kMaxPorts = 16;
constexpr uint32_t kMaxAttrs = 256;
constexpr uint32_t kMaxFusions = 16;
// Text a plugin hands over must end within these bounds: names become YAML keys, messages
// and checkpoint names; docs and defaults are read whole.
constexpr size_t kMaxNameBytes = 128;
constexpr size_t kMaxTextBytes = 64 * 1024;

std::string clipped(const std::string& text) {
  return text.size() <= 60 ? text : text.substr(0, 60) + "...";
}

bool known_attr_type(uint32_t type) {
  return type <= GF_ATTR_INTS;
}

// "" when `text` is a usable string: not NULL (unless `nullable`), NUL-terminated within
// `max_bytes`, not empty when it is a name. A wild pointer cannot be detected; these can.
std::string text_problem(const char* text, size_t max_bytes, bool nullable = false) {
  if (!text) return nullable ? "" : "is NULL";
  const size_t length = ::strnlen(text, max_bytes + 1);
  if (length > max_bytes) return "does not end within " + std::to_string(max_bytes) + " bytes";
  if (length == 0 && !nullable) return "is empty";
  return "";
}

std::string attr_problem(const gf_attr_spec& spec, uint32_t index) {
  if (std::string p = text_problem(spec.name, kMaxNameBytes); !p.empty())
    return "the name of attribute #" + std::to_string(index) + " " + p;
  const std::string what = "attribute '" + std::string(spec.name) + "'";
  for (const char* node_key : {"name", "op", "inputs"})
    if (std::strcmp(spec.name, node_key) == 0)
      return what + " has the name of a node key, so no graph could set it";
  if (!known_attr_type(spec.type)) return what + " has unknown type " + std::to_string(spec.type);
  if (!(spec.min <= spec.max)) return what + " has the range " + attribute_range_text(spec);
  if (std::string p = text_problem(spec.doc, kMaxTextBytes, true); !p.empty())
    return what + ": its doc " + p;
  if (std::string p = text_problem(spec.default_text, kMaxTextBytes, true); !p.empty())
    return what + ": its default " + p;
  if (!spec.default_text) return "";
  YAML::Node value;
  try {
    value = YAML::Load(spec.default_text);
  } catch (const YAML::Exception&) {
    return what + " has a default that is not YAML: '" + clipped(spec.default_text) + "'";
  }
  ConvertedAttr converted;
  std::string problem;
  if (!convert_attribute(value, spec, &converted, &problem))
    return what + ": the op's own default '" + clipped(spec.default_text) + "' " + problem +
           " (a bug in the plugin, not in the graph: a default must pass the op's own checks)";
  return "";
}

std::string fusion_problem(const gf_op_def& def) {
  if (def.n_fusions == 0) return "";
  if (def.n_fusions > kMaxFusions || !def.fusions) return "a malformed fusion list";
  for (uint32_t i = 0; i < def.n_fusions; ++i) {
    const gf_fusion* f = def.fusions[i];
    if (!f || f->struct_size < sizeof(gf_fusion) || !f->backward ||
        !text_problem(f->producer, kMaxNameBytes).empty())
      return "a malformed fusion #" + std::to_string(i);
    if (f->input >= def.n_inputs)
      return "fusion #" + std::to_string(i) + " names input " + std::to_string(f->input) + " of " +
             std::to_string(def.n_inputs);
  }
  return "";
}

// A count above its limit, or a NULL array for a non-zero count ("n_attrs 2 with attrs NULL").
std::string list_problem(uint32_t count, uint32_t limit, const void* array,
                         const std::string& count_name, const std::string& array_name) {
  if (count > limit)
    return count_name + " " + std::to_string(count) + ", above the limit of " +
           std::to_string(limit);
  if (count > 0 && !array)
    return count_name + " " + std::to_string(count) + " with " + array_name + " NULL";
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
  if (std::string p = text_problem(raw->name, kMaxNameBytes); !p.empty())
    return which + ": its name " + p;
  const std::string op = "op '" + std::string(raw->name) + "'";
  const auto def = normalized_op_def(*raw);
  if (std::string p = entry_points_problem(*def); !p.empty()) return op + " has " + p;
  if (std::string p = text_problem(def->doc, kMaxTextBytes, true); !p.empty())
    return op + ": its doc " + p;
  if (std::string p =
          list_problem(def->n_inputs, kMaxPorts, def->input_names, "n_inputs", "input_names");
      !p.empty())
    return op + " has " + p;
  for (uint32_t i = 0; i < def->n_inputs; ++i)
    if (std::string p = text_problem(def->input_names[i], kMaxNameBytes); !p.empty())
      return op + ": the name of input #" + std::to_string(i) + " " + p;
  if (std::string p = list_problem(def->n_attrs, kMaxAttrs, def->attrs, "n_attrs", "attrs");
      !p.empty())
    return op + " has " + p;
  std::set<std::string> names;
  for (uint32_t i = 0; i < def->n_attrs; ++i) {
    if (std::string p = attr_problem(def->attrs[i], i); !p.empty()) return op + ": " + p;
    if (!names.insert(def->attrs[i].name).second)
      return op + ": attribute '" + std::string(def->attrs[i].name) + "' is declared twice";
  }
  if (std::string p = fusion_problem(*def); !p.empty()) return op + " has " + p;
  return "";
}

}  // namespace gradflow
