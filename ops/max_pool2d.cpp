#include "builtin_ops.hpp"
#include "op_checks.hpp"
#include "window2d.hpp"

#include <gradflow/op.hpp>

#include <limits>

namespace gradflow::builtin {
namespace {

class MaxPool2D final : public Op {
 public:
  static OpSchema schema() {
    return OpSchema("MaxPool2D",
                    "Maximum over each kernel window of each channel of [C, H, W] samples, as "
                    "PyTorch's MaxPool2d; padding is never the maximum.")
        .input("x")
        .attr(kernel_attr())
        .attr(stride_attr("0", 0, "step between windows: s or [sh, sw]; 0 = the kernel"))
        .attr(padding_attr("padding on each side, at most half the kernel: p or [ph, pw]"));
  }

  static std::unique_ptr<MaxPool2D> create(const Attrs& attrs, NodeSetup& setup) {
    return std::make_unique<MaxPool2D>(pool_setup(attrs, setup, "MaxPool2D"));
  }

  explicit MaxPool2D(const Window2D& w) : w_(w) {}

  void forward(const ForwardContext& c) override {
    const View& x = c.in(0);
    check(x, c.out);
    c.host.parallel_for(w_.planes(x), w_.plane_grain(), [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        const float* in = x.data + p * w_.in_plane();
        float* out = c.out.data + p * w_.out_plane();
        for_each_window(w_, [&](int64_t o, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
          float best = -std::numeric_limits<float>::infinity();
          for (int64_t h = h0; h < h1; ++h)
            for (int64_t k = w0; k < w1; ++k) best = std::max(best, in[h * w_.in_w + k]);
          out[o] = best;
        });
      }
    });
  }

  // The gradient goes to the first window position holding the maximum, found again rather
  // than remembered: no index buffer for the largest batch.
  void backward(const BackwardContext& c) override {
    const View& dx = c.in_grad(0);
    if (!dx) return;
    const View& x = c.in(0);
    check(x, c.out);
    require_same_layout(x, dx, "MaxPool2D input", "its gradient");
    require_same_layout(c.out, c.out_grad, "MaxPool2D output", "its gradient");
    c.host.parallel_for(w_.planes(x), w_.plane_grain(), [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        const float* in = x.data + p * w_.in_plane();
        float* din = dx.data + p * w_.in_plane();
        const float* out = c.out.data + p * w_.out_plane();
        const float* dout = c.out_grad.data + p * w_.out_plane();
        for_each_window(w_, [&](int64_t o, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
          for (int64_t h = h0; h < h1; ++h)
            for (int64_t k = w0; k < w1; ++k)
              if (in[h * w_.in_w + k] == out[o]) {
                din[h * w_.in_w + k] += dout[o];
                return;
              }
        });
      }
    });
  }

 private:
  void check(const View& x, const View& y) const { w_.check_views(x, y, w_.channels, "MaxPool2D"); }

  Window2D w_;
};

}  // namespace

const gf_op_def* max_pool2d_op() {
  return op_definition<MaxPool2D>();
}

}  // namespace gradflow::builtin
