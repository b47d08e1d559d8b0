#include "builtin_ops.hpp"
#include "op_checks.hpp"
#include "window2d.hpp"
#include "window2d_onnx.hpp"

#include <gradflow/op.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

namespace gradflow::builtin {
namespace {

constexpr float kLowest = -std::numeric_limits<float>::infinity();

// The maximum is a copy of one of the window's values, so bit equality finds it; comparing
// bits as integers lets the compiler use conditional moves (a float == compiles to branches).
inline uint32_t bits(float v) {
  uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}
inline float from_bits(uint32_t b) {
  float v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}

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

  explicit MaxPool2D(const Window2D& w)
      : w_(w),
        padded_(w.padded()),
        pairs_(!padded_ && w.kernel_h == 2 && w.kernel_w == 2 && w.stride_h == 2 &&
               w.stride_w == 2) {}

  // ONNX's MaxPool never takes its padding as the maximum either.
  void onnx_export(OnnxExport& ex) const {
    ex.add("MaxPool", {ex.input(0)}, {ex.output()}, onnx_window_attrs(w_));
  }
  static bool onnx_import(OnnxImport& im) {
    const std::optional<OnnxWindow> window = read_pool_window(im, "MaxPool");
    if (window) take_pool_node(im, *window);
    return window.has_value();
  }

  void explain(Explain& e) const {
    e.forward("{out}[c, i, j] = max over " + w_.taps() + " of {x}" + w_.input_at("c") +
              (padded_ ? " (the padding is never the maximum)" : ""));
    e.input_grad(0,
                 "{grad x}[c, at] += {grad out}[c, i, j], at the first position of window (i, j) "
                 "that holds its maximum");
  }

  void forward(const ForwardContext& c) override {
    const View& x = c.in(0);
    check(x, c.out);
    w_.for_each_plane(c.host, x.rows, [&](int64_t p) {
      const float* in = x.data + p * w_.in_plane();
      float* out = c.out.data + p * w_.out_plane();
      if (pairs_)
        forward_pairs(in, out);
      else if (padded_)
        forward_padded(in, out);
      else
        forward_plain(in, out);
    });
  }

  // The gradient goes to the first window position holding the maximum, found again rather
  // than remembered (no index buffer for the largest batch), without branches: which position
  // wins is random, and mispredicted branches cost more than the search.
  void backward(const BackwardContext& c) override {
    const View& dx = c.in_grad(0);
    if (!dx) return;
    const View& x = c.in(0);
    check(x, c.out);
    require_same_layout(x, dx, "MaxPool2D input", "its gradient");
    require_same_layout(c.out, c.out_grad, "MaxPool2D output", "its gradient");
    w_.for_each_plane(c.host, x.rows, [&](int64_t p) {
      const float* in = x.data + p * w_.in_plane();
      float* din = dx.data + p * w_.in_plane();
      const float* out = c.out.data + p * w_.out_plane();
      const float* dout = c.out_grad.data + p * w_.out_plane();
      if (pairs_)
        backward_pairs(in, out, dout, din);
      else if (padded_)
        backward_padded(in, out, dout, din);
      else
        backward_plain(in, out, dout, din);
    });
  }

 private:
  // 2x2 windows with stride 2, the usual pool: unrolled.
  void forward_pairs(const float* in, float* out) const {
    for (int64_t oh = 0; oh < w_.out_h; ++oh) {
      const float* r0 = in + 2 * oh * w_.in_w;
      const float* r1 = r0 + w_.in_w;
      float* o = out + oh * w_.out_w;
      for (int64_t ow = 0; ow < w_.out_w; ++ow)
        o[ow] =
            std::max(std::max(r0[2 * ow], r0[2 * ow + 1]), std::max(r1[2 * ow], r1[2 * ow + 1]));
    }
  }
  // Without padding every window is whole: row by row over all windows of an output row.
  void forward_plain(const float* in, float* out) const {
    for (int64_t oh = 0; oh < w_.out_h; ++oh) {
      float* o = out + oh * w_.out_w;
      std::fill(o, o + w_.out_w, kLowest);
      for (int64_t i = 0; i < w_.kernel_h; ++i) {
        const float* row = in + (oh * w_.stride_h + i) * w_.in_w;
        for (int64_t j = 0; j < w_.kernel_w; ++j)
          for (int64_t ow = 0; ow < w_.out_w; ++ow)
            o[ow] = std::max(o[ow], row[ow * w_.stride_w + j]);
      }
    }
  }
  void forward_padded(const float* in, float* out) const {
    for_each_window(w_, [&](int64_t o, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
      float best = kLowest;
      for (int64_t h = h0; h < h1; ++h)
        for (int64_t k = w0; k < w1; ++k) best = std::max(best, in[h * w_.in_w + k]);
      out[o] = best;
    });
  }

  // Each input belongs to one window here, so every one of the four gets an add (of zero
  // unless it is the window's first maximum): no branch, no scattered index.
  void backward_pairs(const float* in, const float* out, const float* dout, float* din) const {
    for (int64_t oh = 0; oh < w_.out_h; ++oh) {
      const float* r0 = in + 2 * oh * w_.in_w;
      const float* r1 = r0 + w_.in_w;
      float* d0 = din + 2 * oh * w_.in_w;
      float* d1 = d0 + w_.in_w;
      for (int64_t ow = 0; ow < w_.out_w; ++ow) {
        const uint32_t best = bits(out[oh * w_.out_w + ow]);
        const float g = dout[oh * w_.out_w + ow];
        // All-ones masks, computed without short-circuits (which compile to branches).
        const uint32_t m0 = -static_cast<uint32_t>(bits(r0[2 * ow]) == best);
        const uint32_t m1 = ~m0 & -static_cast<uint32_t>(bits(r0[2 * ow + 1]) == best);
        const uint32_t m2 = ~(m0 | m1) & -static_cast<uint32_t>(bits(r1[2 * ow]) == best);
        const uint32_t m3 = ~(m0 | m1 | m2) & -static_cast<uint32_t>(bits(r1[2 * ow + 1]) == best);
        const uint32_t gb = bits(g);
        d0[2 * ow] += from_bits(gb & m0);
        d0[2 * ow + 1] += from_bits(gb & m1);
        d1[2 * ow] += from_bits(gb & m2);
        d1[2 * ow + 1] += from_bits(gb & m3);
      }
    }
  }
  void backward_plain(const float* in, const float* out, const float* dout, float* din) const {
    for (int64_t oh = 0; oh < w_.out_h; ++oh)
      for (int64_t ow = 0; ow < w_.out_w; ++ow) {
        const int64_t o = oh * w_.out_w + ow;
        const int64_t corner = oh * w_.stride_h * w_.in_w + ow * w_.stride_w;
        add_at_first_max(in + corner, din + corner, 0, w_.kernel_h, 0, w_.kernel_w, out[o],
                         dout[o]);
      }
  }
  void backward_padded(const float* in, const float* out, const float* dout, float* din) const {
    for_each_window(w_, [&](int64_t o, int64_t h0, int64_t h1, int64_t w0, int64_t w1) {
      add_at_first_max(in, din, h0, h1, w0, w1, out[o], dout[o]);
    });
  }
  // Adds g at the first position of rows [h0, h1) x columns [w0, w1) of `in` holding `best`
  // (nowhere when none does, which only NaN inputs cause).
  void add_at_first_max(const float* in, float* din, int64_t h0, int64_t h1, int64_t w0, int64_t w1,
                        float best, float g) const {
    int64_t at = -1;
    const uint32_t target = bits(best);
    for (int64_t h = h1 - 1; h >= h0; --h)
      for (int64_t k = w1 - 1; k >= w0; --k) {
        // at = match ? position : at, as arithmetic so that it stays a conditional move.
        const int64_t match = -static_cast<int64_t>(bits(in[h * w_.in_w + k]) == target);
        at = ((h * w_.in_w + k) & match) | (at & ~match);
      }
    if (at >= 0) din[at] += g;
  }

  void check(const View& x, const View& y) const { w_.check_views(x, y, w_.channels, "MaxPool2D"); }

  Window2D w_;
  bool padded_;
  bool pairs_;
};

}  // namespace

const gf_op_def* max_pool2d_op() {
  return op_definition<MaxPool2D>();
}

}  // namespace gradflow::builtin
