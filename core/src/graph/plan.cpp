// Planning a graph: the stages of planner.hpp in order, then the limit on buffer memory.
#include <gradflow/model.hpp>

#include "graph/planner.hpp"
#include "runtime/op_calls.hpp"

namespace gradflow {

Model::Model(const GraphSpec& spec) : spec_(spec), host_(serial_host()) {}

Model::~Model() {
  for (auto& n : nodes_)
    if (n.instance && n.op) op_destroy(*n.op->def, n.instance, n.call_sites.get());
}

int Model::value_index(const std::string& name) const {
  for (size_t i = 0; i < values_.size(); ++i)
    if (values_[i].name == name) return static_cast<int>(i);
  return -1;
}

int Model::input_value(const std::string& name) const {
  int i = value_index(name);
  return (i >= 0 && values_[i].producer < 0) ? i : -1;
}

std::unique_ptr<Model> Model::plan(const GraphSpec& spec, const OpRegistry& registry,
                                   const PlanOptions& options) {
  std::unique_ptr<Model> model(new Model(spec));
  Planner planner(*model, registry, options);
  planner.resolve_ops();
  planner.order();
  planner.infer_shapes();
  planner.check_outputs();
  planner.plan_backward();
  // Each tensor may be within its limit and the sum still far beyond memory (thousands of
  // wide nodes); a graph that cannot run even one sample is a bad graph, not a late failure.
  model->check_buffer_limit(1);
  planner.fuse();
  return model;
}

}  // namespace gradflow
