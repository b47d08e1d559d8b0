// Stages five and six: the graph's outputs (losses are scalars, predict is per sample), then
// the backward plan: a value needs a gradient when it depends on something trainable (or on
// an input whose gradient was asked for) and some loss depends on it.
#include "graph/planner.hpp"

namespace gradflow {

void Planner::check_outputs() {
  for (const auto& term : spec_.loss) {
    const int index = value_of_.at(term.node);
    const Value& v = model_.values_[index];
    const PlannedNode& producer = model_.nodes_[v.producer];
    if (v.batched || !v.shape.empty())
      diags_.error(term.where, "loss '" + term.node + "' is not a scalar: node '" + term.node +
                                   "' (" + producer.op->def->name + ") outputs " +
                                   shape_to_string(v.shape) + " per sample; a loss must be an " +
                                   "op such as CrossEntropy, MSE or SVM that reduces the batch");
    else
      model_.losses_.push_back({index, term.weight});
  }
  if (!spec_.predict.empty()) {
    model_.predict_ = value_of_.at(spec_.predict);
    if (!model_.values_[model_.predict_].batched)
      diags_.error(spec_.predict_where,
                   "'predict' names '" + spec_.predict +
                       "', a batch-mean scalar; it must be a per-sample output");
  }
  diags_.throw_if_any();
}

void Planner::plan_backward() {
  auto& values = model_.values_;
  std::vector<bool> depends_on_trainable(values.size(), false);
  for (const auto& name : options_.input_grads)
    if (int v = model_.input_value(name); v >= 0) depends_on_trainable[v] = true;
  for (auto& node : model_.nodes_) {
    bool any = !node.params.empty();
    for (int v : node.inputs) any = any || depends_on_trainable[v];
    depends_on_trainable[node.output] = any;
  }
  std::vector<bool> feeds_loss(values.size(), false);
  for (auto [v, w] : model_.losses_) feeds_loss[v] = true;
  for (auto it = model_.nodes_.rbegin(); it != model_.nodes_.rend(); ++it)
    if (feeds_loss[it->output])
      for (int v : it->inputs) feeds_loss[v] = true;
  for (size_t v = 0; v < values.size(); ++v)
    values[v].needs_grad = depends_on_trainable[v] && feeds_loss[v];
  for (auto& node : model_.nodes_) {
    node.in_backward = values[node.output].needs_grad;
    if (node.in_backward && !is_differentiable(*node.op->def))
      diags_.error(node.spec->where, node_label(*node.spec) + ": op " + node.op->def->name +
                                         " is not differentiable, but the loss needs the " +
                                         "gradient through it (plugin " + node.op->plugin_path +
                                         ")");
  }
  diags_.throw_if_any();
}

}  // namespace gradflow
