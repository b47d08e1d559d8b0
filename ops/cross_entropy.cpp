#include <algorithm>
#include <cmath>

#include "builtin_ops.hpp"
#include "op_checks.hpp"

namespace gradflow::builtin {

namespace {

// Keeps log() finite when a probability underflows to zero.
constexpr float kMinProb = 1e-12f;

}  // namespace

OpSchema CrossEntropy::schema() {
  OpSchema s;
  s.name = "CrossEntropy";
  s.doc =
      "Cross-entropy loss: batch mean of -sum_i target_i * log(probs_i), probs clamped at "
      "1e-12.";
  s.inputs = {"probs", "target"};
  s.loss = true;
  return s;
}

std::unique_ptr<CrossEntropy> CrossEntropy::create(const Attrs& /*attrs*/, NodeSetup& setup) {
  require_matching_pair(setup, "CrossEntropy", "probs", "target");
  setup.set_output({}, false);
  return std::make_unique<CrossEntropy>();
}

void CrossEntropy::forward(std::span<const View> in, std::span<const View> /*params*/,
                           const View& out) {
  const int64_t batch = loss_batch(in, out, "CrossEntropy");
  const View& p = in[0];
  const View& y = in[1];
  double total = 0.0;
  for (int64_t i = 0; i < p.size(); ++i)
    total -= static_cast<double>(y[i]) * std::log(std::max(p[i], kMinProb));
  out[0] = static_cast<float>(total / static_cast<double>(batch));
}

void CrossEntropy::backward(std::span<const View> in, std::span<const View> /*params*/,
                            const View& out, const View& out_grad, std::span<const View> in_grads,
                            std::span<const View> /*param_grads*/) {
  const int64_t batch = loss_batch(in, out, "CrossEntropy");
  const View& p = in[0];
  const View& y = in[1];
  const float scale = out_grad[0] / static_cast<float>(batch);
  if (const View& dp = in_grads[0]) {
    require_same_layout(p, dp, "CrossEntropy probs", "its gradient");
    for (int64_t i = 0; i < p.size(); ++i) dp[i] -= scale * y[i] / std::max(p[i], kMinProb);
  }
  if (const View& dy = in_grads[1]) {
    require_same_layout(y, dy, "CrossEntropy target", "its gradient");
    for (int64_t i = 0; i < y.size(); ++i) dy[i] -= scale * std::log(std::max(p[i], kMinProb));
  }
}

}  // namespace gradflow::builtin
