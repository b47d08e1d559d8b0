#include "builtin_ops.hpp"
#include "op_checks.hpp"

#include <gradflow/op.hpp>

#include <algorithm>
#include <cmath>
#include <string>

namespace gradflow::builtin {
namespace {

// Softmax over the last dimension of each sample.
class Softmax final : public Op {
 public:
  static OpSchema schema() {
    return OpSchema("Softmax",
                    "Softmax over the last dimension of each sample (numerically stable).")
        .input("x");
  }

  static std::unique_ptr<Softmax> create(const Attrs& /*attrs*/, NodeSetup& setup) {
    require_input_count(setup, 1, "Softmax");
    const Shape& x = setup.input_shape(0);
    if (x.empty())
      throw OpError(
          "Softmax expects an input of rank >= 1 (it normalises the last dimension), "
          "got a scalar (shape [])");
    require_positive_dims(x, "Softmax input");
    setup.set_output(x);
    const double n = static_cast<double>(numel(x));
    setup.set_flops(4 * n, 0, 4 * n);
    return std::make_unique<Softmax>(x.back());
  }

  explicit Softmax(int64_t last_dim) : last_(last_dim) {}

  void onnx_export(OnnxExport& ex) const {
    ex.add("Softmax", {ex.input(0)}, {ex.output()}, {{"axis", -1}});
  }

  // Opset 13 normalises over `axis` (default -1); earlier opsets over every dimension from
  // `axis` (default 1) on. Both are gradflow's Softmax when that is the last dimension alone.
  static bool onnx_import(OnnxImport& im) {
    if (!im.is("Softmax") || !im.input(0).runtime()) return false;
    const int64_t rank = static_cast<int64_t>(im.input(0).known_shape().size()) + 1;
    const int64_t axis = im.attr_int("axis", im.opset() >= 13 ? -1 : 1);
    if (axis != -1 && axis != rank - 1)
      throw OpError("Softmax over axis " + std::to_string(axis) + " of a rank-" +
                    std::to_string(rank) +
                    " tensor: gradflow's Softmax normalises the last dimension only");
    im.claim(1);
    im.add_input(0);
    return true;
  }

  void forward(const ForwardContext& c) override {
    const View& x = c.in(0);
    require_same_layout(x, c.out, "Softmax input", "Softmax output");
    if (x.cols % last_ != 0) throw OpError("Softmax input size is not a multiple of its last dim");
    for (int64_t start = 0; start < x.size(); start += last_) {
      const float* xs = x.data + start;
      float* ys = c.out.data + start;
      // Subtracting the maximum keeps exp() from overflowing; the result is unchanged.
      const float top = *std::max_element(xs, xs + last_);
      double sum = 0.0;
      for (int64_t i = 0; i < last_; ++i) {
        ys[i] = std::exp(xs[i] - top);
        sum += ys[i];
      }
      const float scale = static_cast<float>(1.0 / sum);
      for (int64_t i = 0; i < last_; ++i) ys[i] *= scale;
    }
  }

  void backward(const BackwardContext& c) override {
    const View& dx = c.in_grad(0);
    if (!dx) return;
    require_same_layout(c.out, c.out_grad, "Softmax output", "Softmax output gradient");
    require_same_layout(c.out, dx, "Softmax output", "Softmax input gradient");
    for (int64_t start = 0; start < c.out.size(); start += last_) {
      const float* y = c.out.data + start;
      const float* dy = c.out_grad.data + start;
      double dot = 0.0;
      for (int64_t i = 0; i < last_; ++i) dot += static_cast<double>(dy[i]) * y[i];
      for (int64_t i = 0; i < last_; ++i)
        dx.data[start + i] += y[i] * (dy[i] - static_cast<float>(dot));
    }
  }

  void explain(Explain& e) const {
    e.forward("{out}_i = exp({x}_i) / Σ_j exp({x}_j), over the last dimension (" +
              std::to_string(last_) + " values)");
    e.input_grad(0, "({grad x})_i += {out}_i (({grad out})_i − Σ_j ({grad out})_j {out}_j)");
  }

 private:
  int64_t last_;
};

}  // namespace

const gf_op_def* softmax_op() {
  return op_definition<Softmax>();
}

}  // namespace gradflow::builtin
