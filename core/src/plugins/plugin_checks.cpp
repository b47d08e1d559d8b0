#include "plugins/plugin_checks.hpp"

#include "graph/attribute_check.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <cstring>
#include <deque>
#include <set>
#include <string_view>

namespace gradflow {
namespace {

constexpr size_t kMaxNameLength = 128;
constexpr size_t kMaxDocLength = 64 * 1024;

bool name_chars_only(std::string_view s, bool allow_dot) {
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
          (allow_dot && c == '.')))
      return false;
  return true;
}

// The problem with a C string the plugin gave us, or "". `what` names it in the message.
std::string text_problem(const char* text, const std::string& what, size_t max_length,
                         bool nullable) {
  if (!text) return nullable ? "" : what + " is NULL";
  if (::strnlen(text, max_length + 1) > max_length)
    return what + " is not NUL-terminated within " + std::to_string(max_length) + " bytes";
  return "";
}

std::string name_problem(const char* text, const std::string& what) {
  if (std::string p = text_problem(text, what, kMaxNameLength, false); !p.empty()) return p;
  if (!*text) return what + " is empty";
  if (!name_chars_only(text, true))
    return what + " '" + plugin_message(text, kMaxNameLength) +
           "' has characters other than letters, digits, '_', '-' and '.'";
  return "";
}

std::string shape_problem(const gf_shape& shape, const std::string& what) {
  if (shape.rank > GF_MAX_RANK)
    return what + " has rank " + std::to_string(shape.rank) + ", above the limit of " +
           std::to_string(GF_MAX_RANK);
  for (uint32_t d = 0; d < shape.rank; ++d)
    if (shape.dims[d] <= 0)
      return what + " dimension " + std::to_string(d) + " is " + std::to_string(shape.dims[d]) +
             "; sizes must be positive";
  return "";
}

std::string attr_problem(const gf_attr_spec& a, uint32_t index) {
  std::string what = "attribute #" + std::to_string(index);
  if (std::string p = name_problem(a.name, what + "'s name"); !p.empty()) return p;
  what = "attribute '" + std::string(a.name) + "'";
  for (const char* reserved : {"name", "op", "inputs"})
    if (std::strcmp(a.name, reserved) == 0) return what + " clashes with the node key it names";
  if (a.type > GF_ATTR_INIT) return what + " has unknown type " + std::to_string(a.type);
  if (std::isnan(a.min) || std::isnan(a.max) || a.min > a.max)
    return what + fmt::format(" has an empty range [{}, {}]", a.min, a.max);
  if (std::string p = text_problem(a.doc, what + "'s doc", kMaxDocLength, true); !p.empty())
    return p;
  if (std::string p = text_problem(a.default_text, what + "'s default", kMaxDocLength, true);
      !p.empty() || !a.default_text)
    return p;
  YAML::Node value;
  try {
    value = YAML::Load(a.default_text);
  } catch (const YAML::Exception&) {
    return what + " has a default that is not YAML: '" + plugin_message(a.default_text, 64) + "'";
  }
  std::deque<std::string> strings;
  std::string problem;
  if (!convert_attribute(a, value, strings, &problem)) return what + ": its default" + problem;
  return "";
}

// A count above its limit, or a NULL table for a non-zero count.
std::string table_problem(uint32_t count, uint32_t limit, const void* table,
                          const std::string& count_name, const std::string& table_name) {
  if (count > limit)
    return count_name + " is " + std::to_string(count) + ", above the limit of " +
           std::to_string(limit);
  if (count > 0 && !table)
    return table_name + " is NULL but " + count_name + " is " + std::to_string(count);
  return "";
}

std::string ports_problem(const gf_op_def& def) {
  if (std::string p =
          table_problem(def.n_inputs, kMaxOpInputs, def.input_names, "n_inputs", "input_names");
      !p.empty())
    return p;
  for (uint32_t i = 0; i < def.n_inputs; ++i)
    if (std::string p = name_problem(def.input_names[i], "input #" + std::to_string(i) + "'s name");
        !p.empty())
      return p;
  return "";
}

std::string attrs_problem(const gf_op_def& def) {
  if (std::string p = table_problem(def.n_attrs, kMaxOpAttrs, def.attrs, "n_attrs", "attrs");
      !p.empty())
    return p;
  std::set<std::string> names;
  for (uint32_t i = 0; i < def.n_attrs; ++i) {
    if (std::string p = attr_problem(def.attrs[i], i); !p.empty()) return p;
    if (!names.insert(def.attrs[i].name).second)
      return "attribute '" + std::string(def.attrs[i].name) + "' is declared twice";
  }
  return "";
}

std::string param_problem(const gf_param_decl& p, uint32_t index, std::set<std::string>& names) {
  std::string what = "parameter #" + std::to_string(index);
  const void* end = std::memchr(p.name, '\0', sizeof p.name);
  if (!end)
    return what + "'s name is not NUL-terminated within its " + std::to_string(sizeof p.name) +
           " bytes";
  std::string name(p.name);
  if (name.empty()) return what + "'s name is empty";
  if (!name_chars_only(name, false))
    return what + "'s name '" + plugin_message(p.name, sizeof p.name) +
           "' has characters other than letters, digits, '_' and '-'";
  what = "parameter '" + name + "'";
  if (!names.insert(name).second) return what + " is declared twice";
  if (std::string s = shape_problem(p.shape, what); !s.empty()) return s;
  if (p.init.kind > GF_INIT_XAVIER)
    return what + " has unknown init kind " + std::to_string(p.init.kind);
  bool scaled = p.init.kind == GF_INIT_NORMAL || p.init.kind == GF_INIT_UNIFORM;
  if (scaled && !(std::isfinite(p.init.value) && p.init.value >= 0))
    return what + " has init scale " + std::to_string(p.init.value) +
           "; it must be a finite number >= 0";
  return "";
}

}  // namespace

std::string op_definition_problem(const gf_op_def& def) {
  if (def.struct_size < sizeof(gf_op_def))
    return "struct_size is " + std::to_string(def.struct_size) + ", smaller than gf_op_def (" +
           std::to_string(sizeof(gf_op_def)) + " bytes)";
  if (std::string p = name_problem(def.name, "its name"); !p.empty()) return p;
  if (!def.create || !def.forward || !def.destroy)
    return std::string(!def.create ? "create" : !def.forward ? "forward" : "destroy") + " is NULL";
  if (std::string p = text_problem(def.doc, "doc", kMaxDocLength, true); !p.empty()) return p;
  if (std::string p = ports_problem(def); !p.empty()) return p;
  return attrs_problem(def);
}

std::string op_label(const gf_op_def& def, uint32_t index) {
  std::string label = "op #" + std::to_string(index);
  if (def.struct_size >= sizeof(gf_op_def) && name_problem(def.name, "").empty())
    label += " '" + std::string(def.name) + "'";
  return label;
}

std::string node_info_problem(const gf_node_info& info) {
  if (std::string p = shape_problem(info.out_shape, "the output shape"); !p.empty()) return p;
  if (info.n_params > GF_MAX_PARAMS)
    return "n_params is " + std::to_string(info.n_params) + ", above the limit of " +
           std::to_string(GF_MAX_PARAMS);
  std::set<std::string> names;
  for (uint32_t i = 0; i < info.n_params; ++i)
    if (std::string p = param_problem(info.params[i], i, names); !p.empty()) return p;
  return "";
}

std::string plugin_message(const char* text, size_t capacity) {
  if (!text) return "(no message)";
  std::string out(text, ::strnlen(text, capacity));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return out.empty() ? "(no message)" : out;
}

}  // namespace gradflow
