// Stage two for one node: its YAML attributes checked against the op's declared schema and
// turned into the typed values the plugin receives.
#pragma once

#include <gradflow/plugin_abi.h>
#include <gradflow/graph_spec.hpp>
#include <gradflow/registry.hpp>

#include <deque>
#include <string>
#include <vector>

namespace gradflow {

// One attribute value in the plugin's terms; `text` and `list` back the pointers of STRING
// and the elements of INTS values.
struct ConvertedAttr {
  gf_attr_value value{};
  gf_attr_list list{};
  std::string text;
};

struct CheckedAttrs {
  std::vector<gf_attr_value> values;
  std::vector<gf_attr_list> lists;  // parallel to values
  std::deque<std::string> strings;  // owns the text that values[i].s points to
  void add(const ConvertedAttr& attr);
};

// Converts one YAML value against its spec (type, range); false with the reason ("must be an
// integer, got 'x'", "is 5, outside [0, 1]") in `problem`. Used for files and for the defaults
// a plugin declares.
bool convert_attribute(const YAML::Node& value, const gf_attr_spec& spec, ConvertedAttr* out,
                       std::string* problem);

// Reports every unknown, missing, mistyped or out-of-range attribute of `node` into `diags`.
CheckedAttrs check_attributes(const NodeSpec& node, const gf_op_def& def, const std::string& file,
                              DiagnosticList& diags);

}  // namespace gradflow
