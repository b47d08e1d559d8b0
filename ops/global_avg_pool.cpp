#include "builtin_ops.hpp"
#include "onnx_shape.hpp"
#include "op_checks.hpp"

#include <gradflow/op.hpp>

#include <string>
#include <vector>

namespace gradflow::builtin {
namespace {

// Whether node 1 turns GlobalAveragePool's [N, C, 1, ...] into [N, C]: a Flatten on axis 1 or
// a Reshape to a constant shape that leaves [C] per sample.
bool flattened_after(const OnnxImport& im, const Shape& pooled) {
  if (im.is("Flatten", 1)) return onnx_flatten_axis(im, 1, pooled.size()) == 1;
  if (!im.is("Reshape", 1) || !im.input(1, 1).constant()) return false;
  return onnx_reshape_target(im.input(1, 1), pooled, im.attr_int("allowzero", 0, 1) != 0) ==
         Shape{pooled[0]};
}

// GlobalAveragePool keeps the spatial axes (as 1s); followed by a flatten it is this op, on
// its own (over [C, H, W]) an AvgPool2D whose one window is the whole plane.
bool import_global_average_pool(OnnxImport& im) {
  if (!im.is("GlobalAveragePool") || !im.input(0).runtime()) return false;
  const Shape x = im.input(0).known_shape();
  if (x.size() < 2)
    throw OpError("the input '" + im.input(0).name + "' has per-sample shape " + shape_text(x) +
                  "; GlobalAveragePool needs [C, H, W] samples");
  Shape pooled(x.size(), 1);
  pooled[0] = x[0];
  if (flattened_after(im, pooled)) {
    im.claim(2);
    im.add_input(0);
    return true;
  }
  if (x.size() != 3)
    throw OpError("GlobalAveragePool of " + shape_text(x) +
                  " samples without a Flatten after it: gradflow pools [C, H, W] to [C, 1, 1] "
                  "(AvgPool2D) or, flattened, to [C] (GlobalAvgPool)");
  im.claim(1, "AvgPool2D");
  im.set("kernel", std::vector<int64_t>{x[1], x[2]});
  im.add_input(0);
  return true;
}

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

  // ONNX's GlobalAveragePool keeps the spatial axes as 1s, which the Flatten then drops.
  void onnx_export(OnnxExport& ex) const {
    const std::string pooled = ex.temp("pooled");
    ex.add("GlobalAveragePool", {ex.input(0)}, {pooled});
    ex.add("Flatten", {pooled}, {ex.output()}, {{"axis", 1}});
  }
  static bool onnx_import(OnnxImport& im) { return import_global_average_pool(im); }

  void explain(Explain& e) const {
    const std::string n = std::to_string(positions_);
    e.forward("{out}[c] = (1/" + n + ") Σ {x}[c, …], over the " + n + " values of channel c");
    e.input_grad(0, "{grad x}[c, …] += {grad out}[c] / " + n);
  }

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
