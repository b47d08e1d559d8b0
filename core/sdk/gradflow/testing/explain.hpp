// What an op says to `graph-runner explain`, collected through its C entry point as the host
// collects it, so a test can look at the formulas. Part of <gradflow/testing.hpp>.
#pragma once

#include <gradflow/testing/node.hpp>

#include <string>
#include <vector>

namespace gradflow::testing {

struct Formula {
  uint32_t kind = 0;  // GF_EXPLAIN_FORWARD, _INPUT_GRAD, _PARAM_GRAD or _FUSED_GRAD
  uint32_t index = 0;
  std::string text;  // with the op's {placeholders}, as written
};

struct Explanation {
  bool declared = false;  // the op has an explain entry point
  bool ok = false;
  std::string message;  // the op's message when it failed
  std::vector<Formula> formulas;
};

namespace detail {

struct FormulaSink {
  Explanation* result;
  int accept;  // how many formulas the host takes before refusing; -1: all
};

inline int collect_formula(void* host, uint32_t kind, uint32_t index, const char* text) {
  auto* sink = static_cast<FormulaSink*>(host);
  if (sink->accept >= 0 && static_cast<int>(sink->result->formulas.size()) >= sink->accept)
    return GF_FAIL;
  sink->result->formulas.push_back({kind, index, text ? text : ""});
  return GF_OK;
}

}  // namespace detail

// Inputs are named in0, in1, ...; the node and its output "node". `accept` >= 0 makes the host
// refuse every formula after that many, to see that the op reports the refusal.
inline Explanation explain(const Node& node, int accept = -1) {
  Explanation result;
  const gf_op_def& def = node.op().def();
  if (def.struct_size <= offsetof(gf_op_def, explain) || !def.explain) return result;
  result.declared = true;
  const auto& shapes = node.input_shapes();
  std::vector<std::string> names;
  for (size_t i = 0; i < shapes.size(); ++i) names.push_back("in" + std::to_string(i));
  std::vector<gf_explain_tensor> inputs, params;
  for (size_t i = 0; i < shapes.size(); ++i)
    inputs.push_back({names[i].c_str(), detail::pack(shapes[i]), 1});
  const gf_node_info& info = node.info();
  for (uint32_t p = 0; p < info.n_params; ++p)
    params.push_back({info.params[p].name, info.params[p].shape, 0});
  detail::FormulaSink sink{&result, accept};
  gf_explain ex{};
  ex.struct_size = sizeof ex;
  ex.node = "node";
  ex.inputs = inputs.data();
  ex.n_inputs = static_cast<uint32_t>(inputs.size());
  ex.params = params.data();
  ex.n_params = info.n_params;
  ex.out = {"node", info.out_shape, info.out_batched};
  ex.host = &sink;
  ex.write = &detail::collect_formula;
  gf_error err{};
  result.ok = def.explain(node.instance(), &ex, &err) == GF_OK;
  err.message[GF_ERROR_CAPACITY - 1] = '\0';
  result.message = err.message;
  return result;
}

}  // namespace gradflow::testing
