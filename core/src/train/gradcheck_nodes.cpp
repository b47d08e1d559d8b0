// One node (or a fused producer-consumer pair) of a planned model as a test graph of
// <gradflow/testing.hpp>: copies of its inputs, parameters and state in guarded buffers, its
// plugin called through op_calls, so that a crash still names the node.
#include "train/gradcheck_nodes.hpp"

#include "graph/planner.hpp"
#include "runtime/op_calls.hpp"

#include <gradflow/testing/rules.hpp>

#include <algorithm>
#include <memory>

namespace gradflow {
namespace {

using testing::Slot;
using testing::TestGraph;

std::string op_label(const PlannedNode& n) {
  return "op " + std::string(n.op->def->name) + " (" + n.op->plugin_path + ")";
}

// A copy of `batch` samples of a value the node reads.
int value_slot(TestGraph& g, const Model& model, int value, const std::string& name, bool grad) {
  const Value& v = model.values()[value];
  const int slot = g.add_slot(Slot::Kind::input, name, v.shape, v.batched, grad);
  const float* data = v.current();
  std::copy(data, data + g.slot(slot).value.size(), g.slot(slot).value.data());
  return slot;
}

template <class Tensors>
void tensor_slots(TestGraph& g, const std::vector<int>& ids, const Tensors& all, Slot::Kind kind,
                  std::vector<int>& into) {
  for (int id : ids) {
    const auto& t = all[id];
    const std::string local = t.name.substr(t.name.find('.') + 1);
    const bool param = kind == Slot::Kind::param;
    const int slot =
        g.add_slot(kind, (param ? "parameter '" : "state '") + local + "'", t.shape, false, param);
    g.slot(slot).value.assign(std::vector<float>(t.value.data(), t.value.data() + t.value.size()));
    into.push_back(slot);
  }
}

// Adds `n` reading `inputs`; `fusion`: its backward is that fusion (inputs[fusion->input] is
// the output of a producer step added just before).
int add_node(TestGraph& g, const Model& model, const PlannedNode& n, const std::vector<int>& inputs,
             const gf_fusion* fusion, const std::string& label) {
  testing::Step s;
  s.label = label;
  s.inputs = inputs;
  tensor_slots(g, n.params, model.parameters(), Slot::Kind::param, s.params);
  tensor_slots(g, n.states, model.states(), Slot::Kind::state, s.state);
  const Value& out = model.values()[n.output];
  s.out = g.add_slot(Slot::Kind::output, "the output", out.shape, out.batched, true);
  const gf_op_def* def = n.op->def;
  void* instance = n.instance;
  const CallSites* sites = n.call_sites.get();
  s.forward = [def, instance, sites](const gf_call& c, gf_error* e) {
    return op_forward(*def, instance, c, e, sites);
  };
  if (is_differentiable(*def) || fusion)
    s.backward = [def, fusion, instance, sites](const gf_call& c, gf_error* e) {
      return op_backward(*def, fusion, instance, c, e, sites);
    };
  if (fusion) {
    s.fused = true;
    s.fused_input = fusion->input;
  }
  g.add_step(std::move(s));
  return g.steps().back().out;
}

std::string port(const PlannedNode& n, size_t k) {
  return n.op->def->input_names ? n.op->def->input_names[k] : std::to_string(k);
}

std::unique_ptr<TestGraph> node_graph(const Model& model, const PlannedNode& n, int64_t batch,
                                      bool grads, std::string& label) {
  auto g = std::make_unique<TestGraph>();
  g->batch = batch;
  g->seed = n.seed;
  label = op_label(n);
  std::vector<int> inputs;
  for (size_t k = 0; k < n.inputs.size(); ++k) {
    const bool wanted = grads && n.in_grad_views[k].data != nullptr;
    if (!n.fusion || k != n.fusion->input) {
      inputs.push_back(value_slot(*g, model, n.inputs[k], "input '" + port(n, k) + "'", wanted));
      continue;
    }
    const PlannedNode& p = model.nodes()[model.values()[n.inputs[k]].producer];
    const int source = value_slot(*g, model, p.inputs[0],
                                  "input '" + port(p, 0) + "' of node '" + p.spec->name + "'",
                                  model.values()[p.inputs[0]].needs_grad);
    const std::string producer = "node '" + p.spec->name + "' (" + op_label(p) + ")";
    inputs.push_back(add_node(*g, model, p, {source}, nullptr, producer));
    g->steps().back().fused_away = grads;  // the fused backward below does its part
    label += " with its backward fused with " + producer;
  }
  add_node(*g, model, n, inputs, grads ? n.fusion : nullptr, label);
  return g;
}

}  // namespace

NodeGradientCheck check_node(const Model& model, const PlannedNode& n, int64_t batch,
                             const GradientCheckOptions& o, std::vector<Diagnostic>& errors) {
  NodeGradientCheck result;
  result.node = n.spec->name;
  result.op = n.op->def->name;
  result.backward = n.in_backward;
  if (n.fusion && n.in_backward)
    result.fused_with =
        model.nodes()[model.values()[n.inputs[n.fusion->input]].producer].spec->name;
  std::string label;
  auto g = node_graph(model, n, batch, n.in_backward, label);
  testing::Report report = testing::check_deterministic(*g, label, n.in_backward);
  if (report.ok() && n.in_backward) {
    testing::GradientCheckOptions go;
    go.difference = o.difference;
    go.max_elements = o.node_elements;
    go.seed = o.seed;
    try {
      result.tensors = testing::gradient_table(*g, go);
      testing::report_table(result.tensors, label, 1.0, report);
    } catch (const testing::TestError& e) {
      report.fail(e.what());
    }
    report.merge(testing::check_backward_adds(*g, label, o.seed, false));
  }
  for (const auto& line : report.failure_lines())
    errors.push_back({n.spec->where, node_label(*n.spec) + ": " + line});
  return result;
}

}  // namespace gradflow
