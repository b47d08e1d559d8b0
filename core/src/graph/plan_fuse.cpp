// The last stage: fusions that ops offer (gf_fusion), taken where they change nothing but
// speed. The planner knows no op: it matches the producer's op name the consumer declared.
#include "graph/planner.hpp"

#include <cstring>

namespace gradflow {

bool Planner::fusable(const PlannedNode& node, const gf_fusion& fusion) const {
  const Value& value = model_.values_[node.inputs[fusion.input]];
  if (value.producer < 0) return false;
  const PlannedNode& producer = model_.nodes_[value.producer];
  if (std::strcmp(producer.op->def->name, fusion.producer) != 0 || !producer.in_backward ||
      producer.fused_away || producer.inputs.size() != 1 || !producer.params.empty())
    return false;
  // The fused backward writes the producer's input gradient in the shape of its output.
  if (model_.values_[producer.inputs[0]].shape != value.shape) return false;
  // Other readers (such as `predict`) may read the value; none may need its gradient.
  for (int c : value.consumers)
    if (&model_.nodes_[c] != &node && model_.nodes_[c].in_backward) return false;
  return true;
}

void Planner::fuse() {
  for (auto& node : model_.nodes_) {
    if (!node.in_backward) continue;
    const gf_op_def& def = *node.op->def;
    for (uint32_t f = 0; f < def.n_fusions && !node.fusion; ++f) {
      if (!fusable(node, *def.fusions[f])) continue;
      node.fusion = def.fusions[f];
      model_.nodes_[model_.values_[node.inputs[node.fusion->input]].producer].fused_away = true;
    }
  }
}

}  // namespace gradflow
