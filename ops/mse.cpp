#include "builtin_ops.hpp"
#include "op_checks.hpp"

namespace gradflow::builtin {

OpSchema MSE::schema() {
  OpSchema s;
  s.name = "MSE";
  s.doc =
      "Squared-error loss ||prediction - target||^2 per sample (summed over components, not "
      "averaged), averaged over the batch.";
  s.inputs = {"prediction", "target"};
  s.loss = true;
  return s;
}

std::unique_ptr<MSE> MSE::create(const Attrs& /*attrs*/, NodeSetup& setup) {
  require_matching_pair(setup, "MSE", "prediction", "target");
  setup.set_output({}, false);
  return std::make_unique<MSE>();
}

void MSE::forward(std::span<const View> in, std::span<const View> /*params*/, const View& out) {
  const int64_t batch = loss_batch(in, out, "MSE");
  const View& p = in[0];
  const View& t = in[1];
  double total = 0.0;
  for (int64_t i = 0; i < p.size(); ++i) {
    const double d = static_cast<double>(p[i]) - t[i];
    total += d * d;
  }
  out[0] = static_cast<float>(total / static_cast<double>(batch));
}

void MSE::backward(std::span<const View> in, std::span<const View> /*params*/, const View& out,
                   const View& out_grad, std::span<const View> in_grads,
                   std::span<const View> /*param_grads*/) {
  const int64_t batch = loss_batch(in, out, "MSE");
  const View& p = in[0];
  const View& t = in[1];
  const float scale = 2.0f * out_grad[0] / static_cast<float>(batch);
  if (const View& dp = in_grads[0]) {
    require_same_layout(p, dp, "MSE prediction", "its gradient");
    for (int64_t i = 0; i < p.size(); ++i) dp[i] += scale * (p[i] - t[i]);
  }
  if (const View& dt = in_grads[1]) {
    require_same_layout(t, dt, "MSE target", "its gradient");
    for (int64_t i = 0; i < t.size(); ++i) dt[i] -= scale * (p[i] - t[i]);
  }
}

}  // namespace gradflow::builtin
