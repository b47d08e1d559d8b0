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

struct CheckedAttrs {
  std::vector<gf_attr_value> values;
  std::deque<std::string> strings;  // owns the text that values[i].s points to
};

// Reports every unknown, missing, mistyped or out-of-range attribute of `node` into `diags`.
CheckedAttrs check_attributes(const NodeSpec& node, const gf_op_def& def, const std::string& file,
                              DiagnosticList& diags);

// "{normal: 0.3}" style text for messages and `graph-runner ops`.
std::string describe_init(const gf_init& init);

}  // namespace gradflow
