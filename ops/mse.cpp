#include "builtin_ops.hpp"
#include "op_checks.hpp"

#include <gradflow/op.hpp>

namespace gradflow::builtin {
namespace {

class MSE final : public Op {
 public:
  static OpSchema schema() {
    return OpSchema("MSE",
                    "Squared-error loss ||prediction - target||^2 per sample (summed over "
                    "components, not averaged), averaged over the batch.")
        .input("prediction")
        .input("target")
        .is_loss();
  }

  static std::unique_ptr<MSE> create(const Attrs& /*attrs*/, NodeSetup& setup) {
    require_matching_pair(setup, "MSE", "prediction", "target");
    setup.set_output({}, false);
    const double n = static_cast<double>(numel(setup.input_shape(0)));
    setup.set_flops(3 * n, 0, 3 * n);
    return std::make_unique<MSE>();
  }

  void forward(const ForwardContext& c) override {
    const int64_t batch = loss_batch(c.inputs, c.out, "MSE");
    const View& p = c.in(0);
    const View& t = c.in(1);
    double total = 0.0;
    for (int64_t i = 0; i < p.size(); ++i) {
      const double d = static_cast<double>(p.data[i]) - t.data[i];
      total += d * d;
    }
    c.out[0] = static_cast<float>(total / static_cast<double>(batch));
  }

  void backward(const BackwardContext& c) override {
    const int64_t batch = loss_batch(c.inputs, c.out, "MSE");
    const View& p = c.in(0);
    const View& t = c.in(1);
    const float scale = 2.0f * c.out_grad[0] / static_cast<float>(batch);
    if (const View& dp = c.in_grad(0)) {
      require_same_layout(p, dp, "MSE prediction", "its gradient");
      for (int64_t i = 0; i < p.size(); ++i) dp.data[i] += scale * (p.data[i] - t.data[i]);
    }
    if (const View& dt = c.in_grad(1)) {
      require_same_layout(t, dt, "MSE target", "its gradient");
      for (int64_t i = 0; i < t.size(); ++i) dt.data[i] -= scale * (p.data[i] - t.data[i]);
    }
  }

  void explain(Explain& e) const {
    e.forward("{out} = (1/{B}) Σ_b Σ_i ({prediction}_bi − {target}_bi)²");
    e.input_grad(0, "{grad prediction} += 2 {grad out} ({prediction} − {target}) / {B}");
    e.input_grad(1, "{grad target} += −2 {grad out} ({prediction} − {target}) / {B}");
  }
};

}  // namespace

const gf_op_def* mse_op() {
  return op_definition<MSE>();
}

}  // namespace gradflow::builtin
