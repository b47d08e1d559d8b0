// The op-author API: derive from gradflow::Op, describe the op in a static schema(), create
// instances in a static create(), and list the op classes once with GRADFLOW_PLUGIN.
// Everything here compiles into the plugin itself; only the C structs of
// <gradflow/plugin_abi.h> cross the library boundary, and every exception an op throws is
// caught at that boundary and returned to the host as an error value.
//
//   class Scale : public gradflow::Op {
//    public:
//     static OpSchema schema() {
//       return OpSchema("Scale", "y = factor * x").input("x").attr(
//           attr::number("factor").default_value(2.0).range(-100, 100).doc("the factor"));
//     }
//     static std::unique_ptr<Scale> create(const Attrs& a, NodeSetup& setup) { ... }
//     void forward(const ForwardContext& c) override { ... }
//     void backward(const BackwardContext& c) override { ... }  // omit: not differentiable
//     void explain(Explain& e) const { ... }  // optional: formulas for `graph-runner explain`
//     void onnx_export(OnnxExport& ex) const { ... }           // optional, see <gradflow/onnx.hpp>
//     static bool onnx_import(OnnxImport& im) { ... }          // optional
//   };
//   GRADFLOW_PLUGIN("my-ops", Scale)
#pragma once

#include <gradflow/plugin_abi.h>
#include <gradflow/onnx.hpp>
#include <gradflow/op_explain.hpp>
#include <gradflow/op_schema.hpp>
#include <gradflow/op_setup.hpp>
#include <gradflow/op_view.hpp>
#include <gradflow/random.hpp>

#include <cstdint>
#include <span>
#include <utility>

namespace gradflow {

// The host's thread pool, as ops see it.
class Host {
 public:
  explicit Host(const gf_host* host) : host_(host) {}
  int threads() const { return host_ ? static_cast<int>(host_->threads) : 1; }

  // Calls f(begin, end) on chunks of [0, n) of at least `grain` items, possibly on several
  // threads at once; returns when all are done. f must not throw.
  template <class F>
  void parallel_for(int64_t n, int64_t grain, F&& f) const {
    if (n <= 0) return;
    if (!host_ || host_->threads <= 1 || n < 2 * grain) {
      f(int64_t{0}, n);
      return;
    }
    auto thunk = [](void* ctx, int64_t begin, int64_t end) { (*static_cast<F*>(ctx))(begin, end); };
    host_->parallel_for(host_->self, n, grain, thunk,
                        const_cast<void*>(static_cast<const void*>(&f)));
  }

 private:
  const gf_host* host_;
};

// Everything one forward call of a node sees.
struct ForwardContext {
  std::span<const View> inputs;
  std::span<const View> params;
  std::span<const View> state;  // the op's state tensors, writable (see NodeSetup::add_state)
  View out;
  bool training = false;  // false in evaluation, prediction and export
  uint64_t seed = 0;      // this node's random stream for this step
  Host host{nullptr};

  const View& in(size_t i) const { return inputs[i]; }
  const View& param(size_t i) const { return params[i]; }
  // A generator for this node and step: the same run seed gives the same numbers, and the
  // backward of a step sees the same stream as its forward.
  Random random() const { return Random(seed); }
};

// A backward call: the forward's tensors plus the gradients. Add into in_grad(i) and
// param_grad(i), never assign: a value that feeds several nodes sums their gradients, and
// parameter gradients are summed over the batch (out_grad already holds the loss's 1/N).
struct BackwardContext : ForwardContext {
  View out_grad;
  std::span<const View> in_grads;     // empty View: that input needs no gradient
  std::span<const View> param_grads;  // empty View: that parameter is frozen

  const View& in_grad(size_t i) const { return in_grads[i]; }
  const View& param_grad(size_t i) const { return param_grads[i]; }
};

// Base class of every op instance (one per graph node). forward and backward run inside the
// training step and must not allocate: size scratch buffers in reserve(). An op is
// differentiable exactly when its class defines backward().
class Op {
 public:
  virtual ~Op() = default;
  virtual void reserve(int64_t /*max_batch*/) {}
  virtual void forward(const ForwardContext& ctx) = 0;
  virtual void backward(const BackwardContext& /*ctx*/) {}
};

}  // namespace gradflow

#include <gradflow/detail/op_binding.hpp>

// Defines the plugin's one exported entry point. The returned struct is constant data, so the
// host can check its ABI version before any C++ code of the plugin runs.
#define GRADFLOW_PLUGIN(plugin_name, ...)                                                          \
  extern "C" __attribute__((visibility("default"))) const gf_plugin* gradflow_plugin(void) {       \
    static constexpr gf_plugin kPlugin{sizeof(gf_plugin), GF_ABI_MAJOR, GF_ABI_MINOR, plugin_name, \
                                       &::gradflow::detail::op_table<__VA_ARGS__>};                \
    return &kPlugin;                                                                               \
  }

// The same for a plugin whose op classes live in separate files, each exposing a function that
// returns gradflow::op_definition<TheOp>(): GRADFLOW_PLUGIN_TABLE("my-ops", conv_op, pool_op).
#define GRADFLOW_PLUGIN_TABLE(plugin_name, ...)                                                    \
  extern "C" __attribute__((visibility("default"))) const gf_plugin* gradflow_plugin(void) {       \
    static constexpr gf_plugin kPlugin{sizeof(gf_plugin), GF_ABI_MAJOR, GF_ABI_MINOR, plugin_name, \
                                       &::gradflow::detail::def_table<__VA_ARGS__>};               \
    return &kPlugin;                                                                               \
  }
