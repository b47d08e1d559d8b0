// Running a planned graph: forward in topological order, backward in exact reverse. Nothing
// here allocates once allocate() has run.
#include <gradflow/model.hpp>

#include <gradflow/random.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <cmath>

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

void Model::forward(int64_t batch) {
  for (auto& node : nodes_) {
    refresh_views(node, batch);
    gf_error err{};
    int rc =
        node.op->def->forward(node.instance, node.in_views.data(),
                              static_cast<uint32_t>(node.in_views.size()), node.param_views.data(),
                              static_cast<uint32_t>(node.param_views.size()), &node.out_view, &err);
    if (rc != GF_OK) run_op_failure(node, "forward", err);
  }
}

void Model::backward(int64_t batch) {
  // Only the rows of this batch: buffers are sized for the largest batch (often 100 times
  // more at batch 10), and clearing all of them would cost more than the step itself.
  for (auto& v : values_)
    if (v.needs_grad)
      std::fill_n(v.grad.data(), v.grad.sample_size() * (v.batched ? batch : 1), 0.0f);
  for (auto& p : params_) {
    if (!p.grad_cleared) p.grad.zero();
    p.grad_cleared = false;
  }
  for (auto [v, weight] : losses_)
    if (values_[v].needs_grad) values_[v].grad.data()[0] += static_cast<float>(weight);

  for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) {
    PlannedNode& node = *it;
    if (!node.in_backward || node.fused_away) continue;
    gf_error err{};
    int rc = node.op->def->backward(
        node.instance, node.in_views.data(), static_cast<uint32_t>(node.in_views.size()),
        node.param_views.data(), static_cast<uint32_t>(node.param_views.size()), &node.out_view,
        &node.out_grad_view, node.in_grad_views.data(), node.param_grad_views.data(), &err);
    if (rc != GF_OK) run_op_failure(node, "backward", err);
    if (node.fused_softmax >= 0) {
      // d/dz CE(softmax(z), y) = softmax(z) * sum(y) - y, averaged over the batch.
      const PlannedNode& softmax = nodes_[node.fused_softmax];
      Value& logits = values_[softmax.inputs[0]];
      if (!logits.needs_grad) continue;
      const float* p = values_[softmax.output].data.data();
      const float* y = values_[node.inputs[1]].current();
      float* g = logits.grad.data();
      float scale = node.out_grad_view.data[0] / static_cast<float>(batch);
      int64_t k = logits.data.sample_size();
      for (int64_t r = 0; r < batch; ++r) {
        float total = 0;
        for (int64_t c = 0; c < k; ++c) total += y[r * k + c];
        for (int64_t c = 0; c < k; ++c)
          g[r * k + c] += scale * (p[r * k + c] * total - y[r * k + c]);
      }
    }
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
