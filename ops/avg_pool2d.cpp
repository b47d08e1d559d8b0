#include "builtin_ops.hpp"
#include "op_checks.hpp"
#include "window2d.hpp"
#include "window2d_onnx.hpp"

#include <gradflow/op.hpp>

#include <vector>

namespace gradflow::builtin {
namespace {

class AvgPool2D final : public Op {
 public:
  static OpSchema schema() {
    return OpSchema("AvgPool2D",
                    "Mean over each kernel window of each channel of [C, H, W] samples, as "
                    "PyTorch's AvgPool2d.")
        .input("x")
        .attr(kernel_attr())
        .attr(stride_attr("0", 0, "step between windows: s or [sh, sw]; 0 = the kernel"))
        .attr(padding_attr("zero padding on each side, at most half the kernel: p or [ph, pw]"))
        .attr(attr::boolean("count_include_pad")
                  .default_value(true)
                  .doc("divide by the whole kernel area (true, PyTorch's default) or only by "
                       "the input values inside the window (false, ONNX's default)"));
  }

  static std::unique_ptr<AvgPool2D> create(const Attrs& attrs, NodeSetup& setup) {
    return std::make_unique<AvgPool2D>(pool_setup(attrs, setup, "AvgPool2D"),
                                       attrs.boolean("count_include_pad"));
  }

  AvgPool2D(const Window2D& w, bool count_include_pad)
      : w_(w), count_include_pad_(count_include_pad) {}

  // ONNX's count_include_pad is this op's: its default (0) is the opposite of PyTorch's, so
  // it is always written.
  void onnx_export(OnnxExport& ex) const {
    std::vector<OnnxAttr> attrs = onnx_window_attrs(w_);
    attrs.emplace_back("count_include_pad", int64_t{count_include_pad_ ? 1 : 0});
    ex.add("AveragePool", {ex.input(0)}, {ex.output()}, attrs);
  }
  static bool onnx_import(OnnxImport& im) {
    const std::optional<OnnxWindow> window = read_pool_window(im, "AveragePool");
    if (!window) return false;
    const int64_t include_pad = im.attr_int("count_include_pad", 0);
    if (include_pad != 0 && include_pad != 1)
      throw OpError("count_include_pad = " + std::to_string(include_pad) + ": ONNX says 0 or 1");
    take_pool_node(im, *window, [&] { im.set("count_include_pad", include_pad == 1); });
    return true;
  }

  void explain(Explain& e) const {
    const std::string at = w_.input_at("c");
    const std::string n = count_include_pad_
                              ? std::to_string(w_.kernel_area())
                              : "the number of window (i, j)'s values inside the image";
    e.forward("{out}[c, i, j] = (1/n) Σ over " + w_.taps() + " of {x}" + at + ", n = " + n +
              w_.padding_note());
    e.input_grad(0, "{grad x}" + at + " += {grad out}[c, i, j] / n, for every i, j, u, v");
  }

  void forward(const ForwardContext& c) override {
    const View& x = c.in(0);
    check(x, c.out);
    w_.for_each_plane(c.host, x.rows, [&](int64_t p) {
      const float* in = x.data + p * w_.in_plane();
      float* out = c.out.data + p * w_.out_plane();
      for_each_window(w_, [&](int64_t o, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
        float total = 0.0f;
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t k = w0; k < w1; ++k) total += in[h * w_.in_w + k];
        out[o] = total * scale(h0, h1, w0, w1);
      });
    });
  }

  void backward(const BackwardContext& c) override {
    const View& dx = c.in_grad(0);
    if (!dx) return;
    check(c.in(0), c.out_grad);
    require_same_layout(c.in(0), dx, "AvgPool2D input", "its gradient");
    w_.for_each_plane(c.host, dx.rows, [&](int64_t p) {
      float* din = dx.data + p * w_.in_plane();
      const float* dout = c.out_grad.data + p * w_.out_plane();
      for_each_window(w_, [&](int64_t o, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
        const float g = dout[o] * scale(h0, h1, w0, w1);
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t k = w0; k < w1; ++k) din[h * w_.in_w + k] += g;
      });
    });
  }

 private:
  // With the padding counted, every window covers the whole kernel (windows never reach
  // beyond the padding); without it, only the input values the window holds.
  float scale(int64_t h0, int64_t h1, int64_t w0, int64_t w1) const {
    const int64_t count = count_include_pad_ ? w_.kernel_area() : (h1 - h0) * (w1 - w0);
    return 1.0f / static_cast<float>(count);
  }
  void check(const View& x, const View& y) const { w_.check_views(x, y, w_.channels, "AvgPool2D"); }

  Window2D w_;
  bool count_include_pad_;
};

}  // namespace

const gf_op_def* avg_pool2d_op() {
  return op_definition<AvgPool2D>();
}

}  // namespace gradflow::builtin
