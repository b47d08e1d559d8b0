// Running a planned graph: forward in topological order, backward in exact reverse. Nothing
// here allocates once allocate() has run.
#include <gradflow/model.hpp>
#include <gradflow/random.hpp>

#include "runtime/op_calls.hpp"
#include "runtime/threads.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

namespace gradflow {
namespace {

// Adds the seconds of its lifetime to *slot, when there is one (timing is on).
class NodeClock {
 public:
  explicit NodeClock(double* slot) : slot_(slot) {
    if (slot_) start_ = std::chrono::steady_clock::now();
  }
  ~NodeClock() {
    if (slot_)
      *slot_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  NodeClock(const NodeClock&) = delete;
  NodeClock& operator=(const NodeClock&) = delete;

 private:
  double* slot_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

void Model::refresh_views(PlannedNode& node, int64_t batch, const Pass& pass) {
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const Value& v = values_[node.inputs[i]];
    node.in_views[i].data = const_cast<float*>(v.current());
    node.in_views[i].batch = v.batched ? batch : 0;
    if (node.in_grad_views[i].data) node.in_grad_views[i].batch = v.batched ? batch : 0;
  }
  const Value& out = values_[node.output];
  node.out_view.batch = out.batched ? batch : 0;
  node.out_grad_view.batch = out.batched ? batch : 0;
  node.call.training = pass.training ? 1u : 0u;
  // One stream per (node, step): resuming at a step replays its numbers exactly.
  node.call.seed = splitmix64(node.seed + static_cast<uint64_t>(pass.step));
}

void Model::time_nodes(NodeTimes* times) {
  node_times_ = times;
  if (!times) return;
  times->forward.assign(nodes_.size(), 0.0);
  times->backward.assign(nodes_.size(), 0.0);
  times->clear = 0;
}

void Model::forward(int64_t batch, Pass pass) {
  pass_ = pass;
  set_blas_threads_for_rows(batch);
  for (size_t k = 0; k < nodes_.size(); ++k) {
    PlannedNode& node = nodes_[k];
    NodeClock clock(node_times_ ? &node_times_->forward[k] : nullptr);
    refresh_views(node, batch, pass);
    node.call.out_grad = nullptr;
    node.call.in_grads = nullptr;
    node.call.param_grads = nullptr;
    gf_error err{};
    if (op_forward(*node.op->def, node.instance, node.call, &err, node.call_sites.get()) != GF_OK)
      run_op_failure(node, "forward", err);
  }
}

void Model::clear_gradients(int64_t batch) {
  NodeClock clock(node_times_ ? &node_times_->clear : nullptr);
  // Only the rows of this batch: buffers are sized for the largest batch (often 100 times
  // more at batch 10), and clearing all of them would cost more than the step itself.
  for (auto& v : values_)
    if (v.needs_grad)
      std::fill_n(v.grad.data(), v.grad.sample_size() * (v.batched ? batch : 1), 0.0f);
  if (!parameter_gradients_zero_)
    for (auto& p : params_) p.grad.zero();
  parameter_gradients_zero_ = false;
}

void Model::backward(int64_t batch) {
  set_blas_threads_for_rows(batch);
  clear_gradients(batch);
  for (auto [v, weight] : losses_)
    if (values_[v].needs_grad) values_[v].grad.data()[0] += static_cast<float>(weight);
  for (size_t k = nodes_.size(); k-- > 0;) {
    if (!nodes_[k].in_backward || nodes_[k].fused_away) continue;
    NodeClock clock(node_times_ ? &node_times_->backward[k] : nullptr);
    run_backward(nodes_[k]);
  }
}

void Model::run_backward(PlannedNode& node) {
  node.call.out_grad = &node.out_grad_view;
  node.call.in_grads = node.in_grad_views.data();
  node.call.param_grads = node.param_grad_views.data();
  gf_error err{};
  if (op_backward(*node.op->def, node.fusion, node.instance, node.call, &err,
                  node.call_sites.get()) != GF_OK)
    run_op_failure(node, "backward", err);
}

double Model::loss() const {
  double total = 0;
  for (auto [v, weight] : losses_) total += weight * static_cast<double>(values_[v].data.data()[0]);
  return total;
}

int Model::first_non_finite_node(int64_t batch) const {
  for (size_t k = 0; k < nodes_.size(); ++k) {
    const Value& v = values_[nodes_[k].output];
    int64_t n = v.data.sample_size() * (v.batched ? batch : 1);
    const float* d = v.data.data();
    for (int64_t i = 0; i < n; ++i)
      if (!std::isfinite(d[i])) return static_cast<int>(k);
  }
  return -1;
}

void Model::set_threads(int threads) {
  host_ = threads > 1 ? pooled_host(threads) : serial_host();
}

void Model::run_op_failure(const PlannedNode& node, const char* phase, const gf_error& err) const {
  const std::string message = op_error_text(err);
  throw InputError(node.spec->where, "nodes[" + std::to_string(node.spec->index) + "] '" +
                                         node.spec->name + "': op " + node.op->def->name + " (" +
                                         node.op->plugin_path + ") failed in " + phase + ": " +
                                         message);
}

}  // namespace gradflow
