#include "builtin_ops.hpp"
#include "op_checks.hpp"
#include "window2d.hpp"

#include <gradflow/op.hpp>

#include <cblas.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

namespace gradflow::builtin {
namespace {

// im2col workspace of one slot, in floats: beyond it a layer is an error, not a 1 GiB buffer.
constexpr int64_t kMaxColumns = int64_t{1} << 26;
// Slots split a batch into fixed ranges of samples, each with its own workspace and weight
// gradient, that the host may run on different threads. Their number depends only on the
// layer and the batch, never on the thread count, so results are the same on any machine.
constexpr int64_t kMaxSlots = 8;
constexpr int64_t kSlotBudget = int64_t{1} << 22;  // floats of workspace for all slots
// A training forward keeps the column matrices of up to this many floats of samples for its
// backward, which would otherwise build them again (a batch of 64 for LeNet's layers).
constexpr int64_t kKeepBudget = int64_t{1} << 22;

// The outputs [lo, hi) of one axis whose input position out * stride - pad + offset is inside
// [0, in).
struct Span {
  int64_t lo, hi;
};
Span inside(int64_t out, int64_t in, int64_t stride, int64_t pad, int64_t offset) {
  // Smallest o with o * stride >= pad - offset; largest with o * stride <= in - 1 + pad - offset.
  const int64_t need = pad - offset;
  int64_t lo = need <= 0 ? 0 : (need + stride - 1) / stride;
  const int64_t top = in - 1 + pad - offset;
  int64_t hi = top < 0 ? 0 : top / stride + 1;
  lo = std::min(lo, out);
  hi = std::clamp(hi, lo, out);
  return {lo, hi};
}

// dst[k] = src[k * stride] for k < n. Runs are short (an output row): with stride 1 they are
// copied in 8-float blocks, the last one overlapping the one before, which compile to a few
// moves rather than a library call.
inline void gather_run(const float* __restrict src, float* __restrict dst, int64_t n,
                       int64_t stride) {
  if (stride == 1 && n >= 8) {
    int64_t k = 0;
    for (; k + 8 <= n; k += 8) std::memcpy(dst + k, src + k, 8 * sizeof(float));
    if (k < n) std::memcpy(dst + n - 8, src + n - 8, 8 * sizeof(float));
    return;
  }
  for (int64_t k = 0; k < n; ++k) dst[k] = src[k * stride];
}

// dst[k * stride] += src[k] for k < n.
inline void scatter_add_run(const float* __restrict src, float* __restrict dst, int64_t n,
                            int64_t stride) {
  int64_t k = 0;
  if (stride == 1)
    for (; k + 8 <= n; k += 8)
      for (int l = 0; l < 8; ++l) dst[k + l] += src[k + l];
  for (; k < n; ++k) dst[k * stride] += src[k];
}

// Rows of `col` are (channel, kernel row, kernel column), columns the output positions: one
// row holds the input value each output position sees through that kernel tap (0 in padding).
void im2col(const Window2D& w, const float* image, float* col) {
  const int64_t plane = w.out_plane();
  for (int64_t c = 0; c < w.channels; ++c)
    for (int64_t i = 0; i < w.kernel_h; ++i) {
      const Span rows = inside(w.out_h, w.in_h, w.stride_h, w.pad_h, i);
      for (int64_t j = 0; j < w.kernel_w; ++j) {
        float* row = col + ((c * w.kernel_h + i) * w.kernel_w + j) * plane;
        const Span cols = inside(w.out_w, w.in_w, w.stride_w, w.pad_w, j);
        // A tap that reaches into the padding gets its whole row cleared at once: one call
        // instead of a small one at each end of every run.
        if (rows.lo > 0 || rows.hi < w.out_h || cols.lo > 0 || cols.hi < w.out_w)
          std::fill(row, row + plane, 0.0f);
        // Offsets as integers: a pointer to the padding before the image would not be valid.
        const int64_t first =
            (c * w.in_h - w.pad_h + i) * w.in_w + cols.lo * w.stride_w - w.pad_w + j;
        for (int64_t oh = rows.lo; oh < rows.hi; ++oh)
          gather_run(image + (first + oh * w.stride_h * w.in_w), row + oh * w.out_w + cols.lo,
                     cols.hi - cols.lo, w.stride_w);
      }
    }
}

// The reverse of im2col: each column entry is added to the image position it came from.
void col2im_add(const Window2D& w, const float* col, float* image) {
  const int64_t plane = w.out_plane();
  for (int64_t c = 0; c < w.channels; ++c)
    for (int64_t i = 0; i < w.kernel_h; ++i) {
      const Span rows = inside(w.out_h, w.in_h, w.stride_h, w.pad_h, i);
      for (int64_t j = 0; j < w.kernel_w; ++j) {
        const float* row = col + ((c * w.kernel_h + i) * w.kernel_w + j) * plane;
        const Span cols = inside(w.out_w, w.in_w, w.stride_w, w.pad_w, j);
        float* target =
            image + (c * w.in_h - w.pad_h + i) * w.in_w + cols.lo * w.stride_w - w.pad_w + j;
        for (int64_t oh = rows.lo; oh < rows.hi; ++oh)
          scatter_add_run(row + oh * w.out_w + cols.lo, target + oh * w.stride_h * w.in_w,
                          cols.hi - cols.lo, w.stride_w);
      }
    }
}

// Eight running sums, so that the loop vectorises (a single float sum may not be reordered).
float sum(const float* v, int64_t n) {
  float lanes[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) lanes[k] += v[i + k];
  float total = 0.0f;
  for (; i < n; ++i) total += v[i];
  for (float lane : lanes) total += lane;
  return total;
}

class Conv2D final : public Op {
 public:
  static OpSchema schema() {
    return OpSchema("Conv2D",
                    "2-D convolution (cross-correlation, as PyTorch's Conv2d) of [C, H, W] "
                    "samples: weight [C', C, kh, kw], bias [C'], output [C', H', W'] with "
                    "H' = (H + 2 padding - kh) / stride + 1.")
        .input("x")
        .attr(attr::integer("out_channels").range(1, 1e6).doc("output channels C'"))
        .attr(kernel_attr())
        .attr(stride_attr("1", 1, "step between windows: s or [sh, sw]"))
        .attr(padding_attr("zeros added on each side: p or [ph, pw]"))
        .attr(attr::boolean("bias").default_value(true).doc("whether the layer has a bias"))
        .attr(attr::init("init").default_value("he").doc("initialisation of the weight"))
        .attr(attr::init("bias_init").default_value("zeros").doc("initialisation of the bias"));
  }

  static std::unique_ptr<Conv2D> create(const Attrs& attrs, NodeSetup& setup) {
    require_input_count(setup, 1, "Conv2D");
    const Window2D w = window_from(attrs, setup.input_shape(0), "Conv2D");
    const int64_t out_channels = attrs.integer("out_channels");
    const int64_t taps = w.channels * w.kernel_area();
    const double macs = static_cast<double>(out_channels) * static_cast<double>(taps) *
                        static_cast<double>(w.out_plane());
    require_sane_work(macs, "Conv2D");
    if (static_cast<double>(taps) * static_cast<double>(w.out_plane()) > kMaxColumns)
      throw OpError("Conv2D needs " + std::to_string(taps) + " x " + std::to_string(w.out_plane()) +
                    " values of im2col workspace per sample, " + "above the limit of " +
                    std::to_string(kMaxColumns) +
                    ": use a smaller kernel or input, or a larger stride");
    const bool has_bias = attrs.boolean("bias");
    setup.set_output({out_channels, w.out_h, w.out_w});
    setup.add_param("weight", {out_channels, w.channels, w.kernel_h, w.kernel_w},
                    attrs.init("init"));
    if (has_bias) setup.add_param("bias", {out_channels}, attrs.init("bias_init"));
    const double bias_flops =
        has_bias ? static_cast<double>(out_channels) * static_cast<double>(w.out_plane()) : 0.0;
    setup.set_flops(2 * macs + bias_flops, 2 * macs + bias_flops, 2 * macs);
    return std::make_unique<Conv2D>(w, out_channels, has_bias);
  }

  Conv2D(const Window2D& w, int64_t out_channels, bool has_bias)
      : w_(w),
        out_channels_(out_channels),
        taps_(w.channels * w.kernel_area()),
        has_bias_(has_bias),
        // A 1x1 kernel without stride or padding reads its input as the column matrix itself.
        direct_(w.kernel_area() == 1 && w.stride_h == 1 && w.stride_w == 1 && w.pad_h == 0 &&
                w.pad_w == 0) {}

  void reserve(int64_t max_batch) override {
    const int64_t columns = direct_ ? 0 : taps_ * w_.out_plane();
    slots_ = std::clamp<int64_t>(kSlotBudget / std::max<int64_t>(columns, 1), 1, kMaxSlots);
    slots_ = std::min(slots_, std::max<int64_t>(max_batch, 1));
    columns_.assign(static_cast<size_t>(slots_ * columns), 0.0f);
    kept_capacity_ = columns ? std::min(max_batch, kKeepBudget / columns) : 0;
    // Left uninitialised: pages beyond the training batch are never touched, so they cost no
    // memory (reserve() is sized for the evaluation batch, often much larger).
    kept_.reset(new float[static_cast<size_t>(kept_capacity_ * columns)]);
    kept_rows_ = 0;
    // Slot 0 adds into the host's gradients; the others into their own, summed afterwards.
    partials_.assign(static_cast<size_t>((slots_ - 1) * param_size()), 0.0f);
  }

  void forward(const ForwardContext& c) override {
    const View& x = c.in(0);
    check(x, c.out, c.params);
    const int64_t slots = std::min(slots_, x.rows);
    const int64_t keep = c.training ? std::min(kept_capacity_, x.rows) : 0;
    c.host.parallel_for(slots, 1, [&](int64_t begin, int64_t end) {
      for (int64_t s = begin; s < end; ++s)
        for (int64_t b = first(s, slots, x.rows); b < first(s + 1, slots, x.rows); ++b)
          forward_sample(x.row(b), c.out.row(b), c.params, b < keep ? kept(b) : workspace(s));
    });
    kept_rows_ = keep;
  }

  void backward(const BackwardContext& c) override {
    const View& x = c.in(0);
    check(x, c.out_grad, c.params);
    if (c.in_grad(0)) require_same_layout(c.in_grad(0), x, "Conv2D input gradient", "its input");
    const int64_t slots = std::min(slots_, x.rows);
    if (slots < 1) return;
    std::fill(partials_.begin(), partials_.begin() + (slots - 1) * param_size(), 0.0f);
    // A null parameter gradient means the host froze that parameter.
    const bool weight_wanted = static_cast<bool>(c.param_grad(0));
    const bool bias_wanted = has_bias_ && c.param_grad(1);
    c.host.parallel_for(slots, 1, [&](int64_t begin, int64_t end) {
      for (int64_t s = begin; s < end; ++s) {
        float* own = s == 0 ? nullptr : partial(s);
        float* weight_grad = !weight_wanted ? nullptr : own ? own : c.param_grad(0).data;
        float* bias_grad = !bias_wanted ? nullptr : own ? own + weights() : c.param_grad(1).data;
        for (int64_t b = first(s, slots, x.rows); b < first(s + 1, slots, x.rows); ++b)
          backward_sample(c, b, weight_grad, bias_grad, workspace(s));
      }
    });
    for (int64_t s = 1; s < slots; ++s) {
      add(partial(s), weights(), c.param_grad(0).data);
      if (has_bias_) add(partial(s) + weights(), out_channels_, c.param_grad(1).data);
    }
  }

 private:
  int64_t weights() const { return out_channels_ * taps_; }
  int64_t param_size() const { return weights() + (has_bias_ ? out_channels_ : 0); }
  float* partial(int64_t slot) { return partials_.data() + (slot - 1) * param_size(); }
  float* workspace(int64_t slot) {
    return columns_.data() + slot * (direct_ ? 0 : taps_ * w_.out_plane());
  }
  float* kept(int64_t row) const { return kept_.get() + row * taps_ * w_.out_plane(); }
  static int64_t first(int64_t slot, int64_t slots, int64_t rows) { return slot * rows / slots; }
  static void add(const float* from, int64_t n, float* to) {
    if (!to) return;
    for (int64_t i = 0; i < n; ++i) to[i] += from[i];
  }

  void forward_sample(float* x, float* y, std::span<const View> params, float* col) const {
    const int plane = static_cast<int>(w_.out_plane());
    float beta = 0.0f;
    if (has_bias_) {
      for (int64_t o = 0; o < out_channels_; ++o)
        std::fill(y + o * plane, y + (o + 1) * plane, params[1].data[o]);
      beta = 1.0f;
    }
    if (direct_)
      col = x;
    else
      im2col(w_, x, col);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(out_channels_), plane,
                static_cast<int>(taps_), 1.0f, params[0].data, static_cast<int>(taps_), col, plane,
                beta, y, plane);
  }

  void backward_sample(const BackwardContext& c, int64_t b, float* weight_grad, float* bias_grad,
                       float* col) const {
    const int plane = static_cast<int>(w_.out_plane());
    const int outs = static_cast<int>(out_channels_), taps = static_cast<int>(taps_);
    const float* dy = c.out_grad.row(b);
    float* x = c.in(0).row(b);
    if (weight_grad) {
      const float* columns = direct_ ? x : b < kept_rows_ ? kept(b) : col;
      if (columns == col) im2col(w_, x, col);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, outs, taps, plane, 1.0f, dy, plane,
                  columns, plane, 1.0f, weight_grad, taps);
    }
    if (bias_grad)
      for (int64_t o = 0; o < out_channels_; ++o) bias_grad[o] += sum(dy + o * plane, plane);
    if (!c.in_grad(0)) return;
    float* dx = c.in_grad(0).row(b);
    // dcol = W^T dy, added straight into dx when the columns are the input itself.
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, taps, plane, outs, 1.0f, c.param(0).data,
                taps, dy, plane, direct_ ? 1.0f : 0.0f, direct_ ? dx : col, plane);
    if (!direct_) col2im_add(w_, col, dx);
  }

  // The host allocates every view; a mismatch would be a host bug.
  void check(const View& x, const View& y, std::span<const View> params) const {
    w_.check_views(x, y, out_channels_, "Conv2D");
    if (params.size() != (has_bias_ ? 2u : 1u) || params[0].size() != weights() ||
        (has_bias_ && params[1].size() != out_channels_))
      throw OpError("Conv2D parameters have the wrong sizes");
    if (slots_ < 1) throw OpError("Conv2D ran before reserve()");
  }

  Window2D w_;
  int64_t out_channels_;
  int64_t taps_;  // C kh kw: rows of the column matrix
  bool has_bias_;
  bool direct_;
  int64_t slots_ = 0;
  std::vector<float> columns_;  // one im2col workspace per slot
  std::vector<float> partials_;
  std::unique_ptr<float[]> kept_;  // column matrices of the last training forward's samples
  int64_t kept_capacity_ = 0;      // samples kept_ can hold
  int64_t kept_rows_ = 0;          // samples of the last forward kept (0 after evaluation)
};

}  // namespace

const gf_op_def* conv2d_op() {
  return op_definition<Conv2D>();
}

}  // namespace gradflow::builtin
