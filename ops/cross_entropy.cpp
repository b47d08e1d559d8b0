#include "builtin_ops.hpp"
#include "op_checks.hpp"

#include <gradflow/op.hpp>

#include <algorithm>
#include <cmath>

namespace gradflow::builtin {
namespace {

// Keeps log() finite when a probability underflows to zero.
constexpr float kMinProb = 1e-12f;

class CrossEntropy final : public Op {
 public:
  // Fed by a Softmax, the op takes over its backward (Caffe's SoftmaxWithLoss): the gradient
  // with respect to the logits is p sum(y) - y, exact and cheaper than the two Jacobians.
  static OpSchema schema() {
    return OpSchema("CrossEntropy",
                    "Cross-entropy loss: batch mean of -sum_i target_i * log(probs_i), probs "
                    "clamped at 1e-12.")
        .input("probs")
        .input("target")
        .is_loss()
        .fuses("Softmax", 0);
  }

  static std::unique_ptr<CrossEntropy> create(const Attrs& /*attrs*/, NodeSetup& setup) {
    require_matching_pair(setup, "CrossEntropy", "probs", "target");
    setup.set_output({}, false);
    const double n = static_cast<double>(numel(setup.input_shape(0)));
    setup.set_flops(2 * n, 0, 2 * n);
    return std::make_unique<CrossEntropy>(setup.input_shape(0).back());
  }

  explicit CrossEntropy(int64_t last_dim) : last_(last_dim) {}

  void forward(const ForwardContext& c) override {
    const int64_t batch = loss_batch(c.inputs, c.out, "CrossEntropy");
    const View& p = c.in(0);
    const View& y = c.in(1);
    double total = 0.0;
    for (int64_t i = 0; i < p.size(); ++i)
      total -= static_cast<double>(y.data[i]) * std::log(std::max(p.data[i], kMinProb));
    c.out[0] = static_cast<float>(total / static_cast<double>(batch));
  }

  void backward(const BackwardContext& c) override {
    const float scale =
        c.out_grad[0] / static_cast<float>(loss_batch(c.inputs, c.out, "CrossEntropy"));
    const View& p = c.in(0);
    const View& y = c.in(1);
    if (const View& dp = c.in_grad(0)) {
      require_same_layout(p, dp, "CrossEntropy probs", "its gradient");
      for (int64_t i = 0; i < p.size(); ++i)
        dp.data[i] -= scale * y.data[i] / std::max(p.data[i], kMinProb);
    }
    add_target_gradient(c, scale);
  }

  // in_grad(0) is the gradient of the Softmax's input (the logits); in(0) its output.
  void backward_fused(const BackwardContext& c) {
    const float scale =
        c.out_grad[0] / static_cast<float>(loss_batch(c.inputs, c.out, "CrossEntropy"));
    const View& p = c.in(0);
    const View& y = c.in(1);
    if (const View& dz = c.in_grad(0)) {
      require_same_layout(p, dz, "CrossEntropy probs", "the logits' gradient");
      for (int64_t start = 0; start < p.size(); start += last_) {
        float total = 0;
        for (int64_t k = 0; k < last_; ++k) total += y.data[start + k];
        for (int64_t k = 0; k < last_; ++k)
          dz.data[start + k] += scale * (p.data[start + k] * total - y.data[start + k]);
      }
    }
    add_target_gradient(c, scale);
  }

  void explain(Explain& e) const {
    e.forward("{out} = −(1/{B}) Σ_b Σ_i {target}_bi log {probs}_bi");
    e.input_grad(0, "{grad probs} += −{grad out} {target} / ({B} {probs})");
    e.input_grad(1, "{grad target} += −{grad out} log({probs}) / {B}");
    e.fused_grad(0, "{grad source probs} += {grad out} ({probs} Σ_i {target}_i − {target}) / {B}");
    e.note(
        "fed by a softmax, this loss writes the gradient of the softmax's input itself: "
        "with one-hot targets ∂L/∂logits = (ŷ − y) / B, with ŷ = {probs} and y = {target}");
  }

 private:
  static void add_target_gradient(const BackwardContext& c, float scale) {
    const View& dy = c.in_grad(1);
    if (!dy) return;
    require_same_layout(c.in(1), dy, "CrossEntropy target", "its gradient");
    for (int64_t i = 0; i < dy.size(); ++i)
      dy.data[i] -= scale * std::log(std::max(c.in(0).data[i], kMinProb));
  }

  int64_t last_;
};

}  // namespace

const gf_op_def* cross_entropy_op() {
  return op_definition<CrossEntropy>();
}

}  // namespace gradflow::builtin
