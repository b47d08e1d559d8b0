#include "builtin_ops.hpp"
#include "op_checks.hpp"

#include <gradflow/op.hpp>

namespace gradflow::builtin {
namespace {

// The mean of each channel over all its positions: [C, H, W] -> [C] (any [C, ...] of rank 2
// or more), as PyTorch's AdaptiveAvgPool2d(1) followed by a flatten.
class GlobalAvgPool final : public Op {
 public:
  static OpSchema schema() {
    return OpSchema("GlobalAvgPool",
                    "Mean of each channel over all its positions: [C, H, W] -> [C].")
        .input("x");
  }

  static std::unique_ptr<GlobalAvgPool> create(const Attrs& /*attrs*/, NodeSetup& setup) {
    require_input_count(setup, 1, "GlobalAvgPool");
    const Shape& x = setup.input_shape(0);
    if (x.size() < 2)
      throw OpError("GlobalAvgPool expects samples of shape [C, H, W] (rank 2 or more), got " +
                    shape_text(x));
    require_positive_dims(x, "GlobalAvgPool input");
    const double n = static_cast<double>(numel(x));
    setup.set_output({x[0]});
    setup.set_flops(n, 0, n);
    return std::make_unique<GlobalAvgPool>(x[0], numel(x) / x[0]);
  }

  GlobalAvgPool(int64_t channels, int64_t positions) : channels_(channels), positions_(positions) {}

  void forward(const ForwardContext& c) override {
    check(c.in(0), c.out);
    const float scale = 1.0f / static_cast<float>(positions_);
    for (int64_t r = 0; r < c.out.size(); ++r) {
      const float* x = c.in(0).data + r * positions_;
      float total = 0.0f;
      for (int64_t p = 0; p < positions_; ++p) total += x[p];
      c.out.data[r] = total * scale;
    }
  }

  void backward(const BackwardContext& c) override {
    const View& dx = c.in_grad(0);
    if (!dx) return;
    check(dx, c.out_grad);
    const float scale = 1.0f / static_cast<float>(positions_);
    for (int64_t r = 0; r < c.out_grad.size(); ++r) {
      float* d = dx.data + r * positions_;
      const float g = c.out_grad.data[r] * scale;
      for (int64_t p = 0; p < positions_; ++p) d[p] += g;
    }
  }

 private:
  void check(const View& x, const View& y) const {
    require_cols(x, channels_ * positions_, "GlobalAvgPool input");
    require_cols(y, channels_, "GlobalAvgPool output");
    if (x.rows != y.rows) throw OpError("GlobalAvgPool output batch differs from its input batch");
  }

  int64_t channels_;
  int64_t positions_;
};

}  // namespace

const gf_op_def* global_avg_pool_op() {
  return op_definition<GlobalAvgPool>();
}

}  // namespace gradflow::builtin
