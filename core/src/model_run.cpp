// Running a planned graph: forward in topological order, backward in exact reverse. Nothing
// here allocates once allocate() has run.
#include <gradflow/model.hpp>

#include <gradflow/random.hpp>

#include "runtime/threads.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

namespace gradflow {
namespace {

constexpr double kMaxBufferBytes = 16.0 * (1ull << 30);

// Zero-filled buffers are touched at once, so on a small machine a graph below 16 GiB would
// meet the OOM killer rather than an error; three quarters of RAM leaves room for the data set.
double buffer_limit() {
  long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return kMaxBufferBytes;
  return std::min(kMaxBufferBytes, 0.75 * static_cast<double>(pages) * static_cast<double>(page));
}

gf_tensor null_view() {
  return gf_tensor{};
}

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

double element_count(const std::vector<int64_t>& shape) {
  double n = 1;
  for (int64_t d : shape) n *= static_cast<double>(d);
  return n;
}

}  // namespace

double Model::buffer_bytes(int64_t max_batch) const {
  double bytes = 0;
  for (const auto& v : values_) {
    double per = element_count(v.shape) * 4.0;
    bytes += per * (v.batched ? static_cast<double>(max_batch) : 1.0) * (v.needs_grad ? 2.0 : 1.0);
  }
  for (const auto& p : params_) bytes += element_count(p.shape) * 4.0 * 2.0;
  return bytes;
}

void Model::check_buffer_limit(int64_t max_batch) const {
  double bytes = buffer_bytes(max_batch);
  const double limit = buffer_limit();
  if (bytes <= limit) return;
  // The biggest node output is where the user most likely has to cut.
  const Value* biggest = nullptr;
  for (const auto& v : values_)
    if (v.producer >= 0 && (!biggest || element_count(v.shape) > element_count(biggest->shape)))
      biggest = &v;
  SourceLocation where{spec_.path, 0, 0};
  std::string detail;
  if (biggest) {
    where = nodes_[biggest->producer].spec->where;
    detail = fmt::format("; the largest output is '{}' {} ({:.0f} MiB per sample)", biggest->name,
                         shape_to_string(biggest->shape),
                         element_count(biggest->shape) * 4.0 / (1 << 20));
  }
  throw InputError(where, fmt::format("the graph needs {:.0f} MiB of buffers at batch size {}, "
                                      "more than the limit of {:.0f} MiB{}: reduce layer sizes "
                                      "or the batch size",
                                      bytes / (1 << 20), max_batch, limit / (1 << 20), detail));
}

void Model::allocate(int64_t max_batch) {
  if (max_batch < 1) max_batch = 1;
  check_buffer_limit(max_batch);
  max_batch_ = max_batch;
  for (auto& v : values_) {
    v.data = Tensor(v.shape, v.batched ? max_batch : 0);
    if (v.needs_grad) v.grad = Tensor(v.shape, v.batched ? max_batch : 0);
  }
  for (auto& p : params_) {
    if (p.value.empty()) p.value = Tensor(p.shape, 0);
    p.grad = Tensor(p.shape, 0);
  }
  for (auto& node : nodes_) {
    node.in_views.clear();
    node.in_grad_views.clear();
    node.param_views.clear();
    node.param_grad_views.clear();
    for (int v : node.inputs) {
      node.in_views.push_back(values_[v].data.view());
      node.in_grad_views.push_back(values_[v].needs_grad ? values_[v].grad.view() : null_view());
    }
    for (int p : node.params) {
      node.param_views.push_back(params_[p].value.view());
      node.param_grad_views.push_back(params_[p].grad.view());
    }
    node.out_view = values_[node.output].data.view();
    node.out_grad_view =
        values_[node.output].needs_grad ? values_[node.output].grad.view() : null_view();
    // The fused CrossEntropy writes the logits' gradient itself, not the probabilities'.
    if (node.fused_softmax >= 0) node.in_grad_views[0] = null_view();
    if (node.op->def->reserve) {
      gf_error err{};
      if (node.op->def->reserve(node.instance, max_batch, &err) != GF_OK)
        run_op_failure(node, "reserve", err);
    }
  }
}

void Model::init_parameters(uint64_t seed) {
  for (auto& p : params_) {
    Random rng(mix_seed(seed, p.name));
    float* w = p.value.data();
    int64_t n = p.value.size();
    double fan_in = p.shape.size() >= 2 ? static_cast<double>(p.shape[1]) : static_cast<double>(n);
    double fan_out = p.shape.empty() ? 1.0 : static_cast<double>(p.shape[0]);
    for (int64_t i = 0; i < n; ++i) {
      switch (p.init.kind) {
        case GF_INIT_NORMAL:
          w[i] = static_cast<float>(p.init.value * rng.normal());
          break;
        case GF_INIT_UNIFORM:
          w[i] = static_cast<float>(p.init.value * (2 * rng.uniform() - 1));
          break;
        case GF_INIT_XAVIER: {
          double a = std::sqrt(6.0 / (fan_in + fan_out));
          w[i] = static_cast<float>(a * (2 * rng.uniform() - 1));
          break;
        }
        default:
          w[i] = 0.0f;
      }
    }
  }
}

void Model::refresh_views(PlannedNode& node, int64_t batch) {
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const Value& v = values_[node.inputs[i]];
    node.in_views[i].data = const_cast<float*>(v.current());
    node.in_views[i].batch = v.batched ? batch : 0;
    if (node.in_grad_views[i].data) node.in_grad_views[i].batch = v.batched ? batch : 0;
  }
  const Value& out = values_[node.output];
  node.out_view.batch = out.batched ? batch : 0;
  node.out_grad_view.batch = out.batched ? batch : 0;
}

void Model::time_nodes(NodeTimes* times) {
  node_times_ = times;
  if (!times) return;
  times->forward.assign(nodes_.size(), 0.0);
  times->backward.assign(nodes_.size(), 0.0);
  times->clear = 0;
}

// OpenBLAS's own rule puts every thread on a product from 262,144 multiply-adds (10 x 784 x 100
// already), where waking a second thread costs more than it saves. A node's products are about
// batch x its parameter count multiply-adds each (exactly, for a Linear layer), so one thread
// per kBlasWorkPerThread of those. The count depends only on shapes, never on timing: OpenBLAS's
// results change with its thread count, and a run must give the same numbers as the last one.
// Nodes without parameters keep OpenBLAS's own rule.
int Model::blas_threads_for(const PlannedNode& node, int64_t batch) const {
  constexpr double kBlasWorkPerThread = 4.0 * (1 << 20);
  const int limit = thread_limit();
  if (limit == 1 || node.params.empty()) return limit;
  double work = 0;
  for (int p : node.params) work += static_cast<double>(params_[p].value.size());
  work *= static_cast<double>(batch);
  return static_cast<int>(std::clamp(work / kBlasWorkPerThread, 1.0, static_cast<double>(limit)));
}

void Model::forward(int64_t batch) {
  for (size_t k = 0; k < nodes_.size(); ++k) {
    PlannedNode& node = nodes_[k];
    NodeClock clock(node_times_ ? &node_times_->forward[k] : nullptr);
    refresh_views(node, batch);
    use_blas_threads(blas_threads_for(node, batch));
    gf_error err{};
    int rc =
        node.op->def->forward(node.instance, node.in_views.data(),
                              static_cast<uint32_t>(node.in_views.size()), node.param_views.data(),
                              static_cast<uint32_t>(node.param_views.size()), &node.out_view, &err);
    if (rc != GF_OK) run_op_failure(node, "forward", err);
  }
}

void Model::clear_gradients(int64_t batch) {
  NodeClock clock(node_times_ ? &node_times_->clear : nullptr);
  // Only the rows of this batch: buffers are sized for the largest batch (often 100 times
  // more at batch 10), and clearing all of them would cost more than the step itself.
  for (auto& v : values_)
    if (v.needs_grad)
      std::fill_n(v.grad.data(), v.grad.sample_size() * (v.batched ? batch : 1), 0.0f);
  for (auto& p : params_) {
    if (!p.grad_cleared) p.grad.zero();
    p.grad_cleared = false;
  }
}

void Model::backward(int64_t batch) {
  clear_gradients(batch);
  for (auto [v, weight] : losses_)
    if (values_[v].needs_grad) values_[v].grad.data()[0] += static_cast<float>(weight);

  for (size_t k = nodes_.size(); k-- > 0;) {
    PlannedNode& node = nodes_[k];
    if (!node.in_backward || node.fused_away) continue;
    NodeClock clock(node_times_ ? &node_times_->backward[k] : nullptr);
    use_blas_threads(blas_threads_for(node, batch));
    gf_error err{};
    int rc = node.op->def->backward(
        node.instance, node.in_views.data(), static_cast<uint32_t>(node.in_views.size()),
        node.param_views.data(), static_cast<uint32_t>(node.param_views.size()), &node.out_view,
        &node.out_grad_view, node.in_grad_views.data(), node.param_grad_views.data(), &err);
    if (rc != GF_OK) run_op_failure(node, "backward", err);
    if (node.fused_softmax >= 0) add_softmax_ce_gradient(node, batch);
  }
}

// d/dz CE(softmax(z), y) = softmax(z) * sum(y) - y, averaged over the batch.
void Model::add_softmax_ce_gradient(const PlannedNode& loss_node, int64_t batch) {
  const PlannedNode& softmax = nodes_[loss_node.fused_softmax];
  Value& logits = values_[softmax.inputs[0]];
  if (!logits.needs_grad) return;
  const float* p = values_[softmax.output].data.data();
  const float* y = values_[loss_node.inputs[1]].current();
  float* g = logits.grad.data();
  const float scale = loss_node.out_grad_view.data[0] / static_cast<float>(batch);
  const int64_t classes = logits.data.sample_size();
  for (int64_t r = 0; r < batch; ++r) {
    float total = 0;
    for (int64_t c = 0; c < classes; ++c) total += y[r * classes + c];
    for (int64_t c = 0; c < classes; ++c)
      g[r * classes + c] += scale * (p[r * classes + c] * total - y[r * classes + c]);
  }
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

void Model::run_op_failure(const PlannedNode& node, const char* phase, const gf_error& err) const {
  std::string message(err.message, strnlen(err.message, GF_ERROR_CAPACITY));
  throw InputError(node.spec->where, "nodes[" + std::to_string(node.spec->index) + "] '" +
                                         node.spec->name + "': op " + node.op->def->name + " (" +
                                         node.op->plugin_path + ") failed in " + phase + ": " +
                                         message);
}

}  // namespace gradflow
