// The planner's stages, in the order Model::plan runs them. Each reports every problem it
// finds (an InputError listing them) before the next stage runs:
//   resolve_ops    every op known, right number of inputs, attributes valid  (plan_resolve.cpp)
//   order          topological order, a cycle printed with its nodes         (plan_order.cpp)
//   infer_shapes   ops created in order: output shapes, parameters, state     (plan_shapes.cpp)
//   check_outputs  losses are scalars, predict is per sample                  (plan_backward.cpp)
//   plan_backward  which values need a gradient; ops on that path have one    (plan_backward.cpp)
//   fuse           fusions the ops offer, where nothing else needs the value  (plan_fuse.cpp)
#pragma once

#include <gradflow/model.hpp>

#include "plugins/attributes.hpp"

#include <map>
#include <string>
#include <vector>

namespace gradflow {

class Planner {
 public:
  Planner(Model& model, const OpRegistry& registry, const PlanOptions& options)
      : model_(model), spec_(model.spec_), registry_(registry), options_(options) {}

  void resolve_ops();
  void order();
  void infer_shapes();
  void check_outputs();
  void plan_backward();
  void fuse();

 private:
  bool plan_node(size_t i);
  bool gather_inputs(size_t i, PlannedNode& planned, std::vector<gf_shape>& shapes,
                     std::string& text);
  void add_output(size_t i, PlannedNode& planned, const gf_node_info& info);
  std::string unbatched_reason(const Value& v) const;
  bool fusable(const PlannedNode& node, const gf_fusion& fusion) const;

  Model& model_;
  const GraphSpec& spec_;  // the model's own copy: NodeSpec pointers stay valid
  const OpRegistry& registry_;
  const PlanOptions& options_;
  std::vector<const OpEntry*> ops_;      // per node of the file
  std::vector<CheckedAttrs> attrs_;      // per node of the file
  std::vector<size_t> order_;            // file node indices in execution order
  std::map<std::string, int> value_of_;  // value name -> index
  DiagnosticList diags_;
};

std::string node_label(const NodeSpec& n);

}  // namespace gradflow
