// Stage four: in execution order, each op is created with its inputs' shapes; it declares its
// output shape, parameters and state, which become the model's values and tensors.
#include "graph/node_info_check.hpp"
#include "graph/planner.hpp"
#include "runtime/op_calls.hpp"

#include <gradflow/random.hpp>

#include <cstring>

namespace gradflow {
namespace {

// Third-party ops are named with their file: the author needs to know which build failed.
std::string origin(const OpEntry& op) {
  return op.plugin_name == "gradflow-builtin" ? std::string() : " [plugin " + op.plugin_path + "]";
}

// Parameters and state tensors, named "<node>.<name>" in files and messages.
template <class T>
void declare_tensors(const std::string& node, int node_index, const gf_param_decl* decls,
                     uint32_t n, std::vector<T>& into, std::vector<int>& indices) {
  for (uint32_t k = 0; k < n; ++k) {
    T tensor;
    tensor.name = node + "." + decls[k].name;
    tensor.node = node_index;
    tensor.shape = from_gf_shape(decls[k].shape);
    tensor.init = decls[k].init;
    indices.push_back(static_cast<int>(into.size()));
    into.push_back(std::move(tensor));
  }
}

}  // namespace

void Planner::infer_shapes() {
  for (const auto& in : spec_.inputs) {
    Value v;
    v.name = in.name;
    v.shape = in.shape;
    value_of_[in.name] = static_cast<int>(model_.values_.size());
    model_.values_.push_back(std::move(v));
  }
  for (size_t i : order_) plan_node(i);
  diags_.throw_if_any();
  for (size_t k = 0; k < model_.nodes_.size(); ++k)
    for (int v : model_.nodes_[k].inputs)
      model_.values_[v].consumers.push_back(static_cast<int>(k));
}

// Input values and their shapes; false when an input is missing (its producer failed and was
// reported) or is a batch-mean scalar.
// A loss feeding a node is the graph author's mistake; an op that is not a loss but reduced
// the batch most likely forgot to declare its output (a 1.0 plugin's create() that never
// called set_output leaves the host's zeroed description: unbatched, rank 0).
std::string Planner::unbatched_reason(const Value& v) const {
  const OpEntry& op = *model_.nodes_[v.producer].op;
  if (op.def->flags & GF_OP_LOSS) return "is a loss (a batch-mean scalar)";
  return "comes from op " + std::string(op.def->name) + " (" + op.plugin_path +
         "), which is not a loss but declared an output without a batch dimension: does its "
         "create() call NodeSetup::set_output?";
}

bool Planner::gather_inputs(size_t i, PlannedNode& planned, std::vector<gf_shape>& shapes,
                            std::string& text) {
  const NodeSpec& n = spec_.nodes[i];
  bool ok = true;
  for (const auto& in : n.inputs) {
    auto it = value_of_.find(in);
    if (it == value_of_.end()) {
      ok = false;
      continue;
    }
    const Value& v = model_.values_[it->second];
    if (!v.batched) {
      diags_.error(n.where, node_label(n) + ": input '" + in + "' " + unbatched_reason(v) +
                                "; only per-sample values can feed other nodes");
      ok = false;
      continue;
    }
    planned.inputs.push_back(it->second);
    shapes.push_back(to_gf_shape(v.shape));
    text += (text.empty() ? "" : ", ") + std::string("'") + in + "' " + shape_to_string(v.shape);
  }
  return ok;
}

bool Planner::plan_node(size_t i) {
  const NodeSpec& n = spec_.nodes[i];
  const OpEntry& op = *ops_[i];
  PlannedNode planned;
  planned.spec = &n;
  planned.op = &op;
  planned.seed = mix_seed(spec_.train.seed, "node/" + n.name);
  planned.call_sites = make_call_sites(
      Diagnostic{n.where, node_label(n) + ": op " + op.def->name + " (" + op.plugin_path + ")"}
          .format());
  std::vector<gf_shape> shapes;
  std::string inputs_text;
  if (!gather_inputs(i, planned, shapes, inputs_text)) return false;
  const std::string context = inputs_text.empty() ? "" : "; inputs: " + inputs_text;

  gf_node_info info{};
  info.struct_size = sizeof(gf_node_info);
  gf_error err{};
  const CheckedAttrs& attrs = attrs_[i];
  CreateCall call{attrs.values.data(),
                  attrs.lists.data(),
                  static_cast<uint32_t>(attrs.values.size()),
                  shapes.data(),
                  static_cast<uint32_t>(shapes.size()),
                  planned.seed,
                  &model_.host_};
  if (op_create(*op.def, call, &info, &planned.instance, &err, planned.call_sites.get()) != GF_OK) {
    diags_.error(n.where, node_label(n) + " (" + op.def->name + "): " + op_error_text(err) +
                              context + origin(op));
    return false;
  }
  auto reject = [&](const std::string& message) {
    diags_.error(n.where, node_label(n) + message);
    model_.nodes_.push_back(std::move(planned));  // so that the instance is destroyed
    return false;
  };
  std::string problem = planned.instance ? node_info_problem(info)
                                         : std::string("create() succeeded but made no instance");
  if (!problem.empty())
    return reject(": op " + std::string(op.def->name) + " (" + op.plugin_path +
                  ") returned a malformed node description: " + problem);
  // Sizes come from the file (out_features: 10000000 on a wide input); catching them here
  // gives the node's line, where allocate() could only name the whole graph.
  if (std::string big = oversized_tensors(n.name, info); !big.empty())
    return reject(" (" + std::string(op.def->name) + "): " + big + context + origin(op));
  add_output(i, planned, info);
  return true;
}

void Planner::add_output(size_t i, PlannedNode& planned, const gf_node_info& info) {
  const NodeSpec& n = spec_.nodes[i];
  const int node_index = static_cast<int>(model_.nodes_.size());
  Value out;
  out.name = n.name;
  out.shape = from_gf_shape(info.out_shape);
  out.batched = info.out_batched != 0;
  out.producer = node_index;
  planned.output = static_cast<int>(model_.values_.size());
  value_of_[n.name] = planned.output;
  model_.values_.push_back(std::move(out));
  declare_tensors(n.name, node_index, info.params, info.n_params, model_.params_, planned.params);
  declare_tensors(n.name, node_index, info.state, info.n_state, model_.states_, planned.states);
  planned.flops = {info.flops_forward, info.flops_backward_params, info.flops_backward_inputs};
  model_.nodes_.push_back(std::move(planned));
}

}  // namespace gradflow
