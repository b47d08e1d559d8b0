// A planned model's memory: every value, gradient, parameter and state tensor allocated once,
// for the largest batch, and the views and call structs handed to plugins built once.
#include <gradflow/model.hpp>

#include "runtime/op_calls.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>

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
  for (const auto& s : states_) bytes += element_count(s.shape) * 4.0;
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
  for (auto& s : states_)
    if (s.value.empty()) s.value = Tensor(s.shape, 0);
  for (auto& node : nodes_) {
    bind_views(node);
    gf_error err{};
    if (op_reserve(*node.op->def, node.instance, max_batch, &err, node.call_sites.get()) != GF_OK)
      run_op_failure(node, "reserve", err);
  }
}

void Model::bind_views(PlannedNode& node) {
  node.in_views.clear();
  node.in_grad_views.clear();
  node.param_views.clear();
  node.param_grad_views.clear();
  node.state_views.clear();
  for (int v : node.inputs) {
    node.in_views.push_back(values_[v].data.view());
    node.in_grad_views.push_back(values_[v].needs_grad ? values_[v].grad.view() : gf_tensor{});
  }
  for (int p : node.params) {
    node.param_views.push_back(params_[p].value.view());
    node.param_grad_views.push_back(params_[p].grad.view());
  }
  for (int s : node.states) node.state_views.push_back(states_[s].value.view());
  const Value& out = values_[node.output];
  node.out_view = out.data.view();
  node.out_grad_view = out.needs_grad ? out.grad.view() : gf_tensor{};
  // A fused backward writes the gradient of its producer's input (see gf_fusion).
  if (node.fusion) {
    const PlannedNode& producer = nodes_[values_[node.inputs[node.fusion->input]].producer];
    const Value& source = values_[producer.inputs[0]];
    node.in_grad_views[node.fusion->input] = source.needs_grad ? source.grad.view() : gf_tensor{};
  }
  gf_call& c = node.call;
  c = gf_call{};
  c.struct_size = sizeof(gf_call);
  c.host = &host_;
  c.inputs = node.in_views.data();
  c.n_inputs = static_cast<uint32_t>(node.in_views.size());
  c.params = node.param_views.data();
  c.n_params = static_cast<uint32_t>(node.param_views.size());
  c.state = node.state_views.data();
  c.n_state = static_cast<uint32_t>(node.state_views.size());
  c.out = &node.out_view;
}

std::vector<Model::FileTensor> Model::file_tensors() {
  std::vector<FileTensor> out;
  for (auto& p : params_) out.push_back({&p.name, &p.shape, &p.value});
  for (auto& s : states_) out.push_back({&s.name, &s.shape, &s.value});
  return out;
}

}  // namespace gradflow
