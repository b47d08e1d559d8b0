#include "builtin_ops.hpp"
#include "im2col.hpp"
#include "op_checks.hpp"
#include "window2d.hpp"
#include "window2d_onnx.hpp"

#include <gradflow/op.hpp>

#include <cblas.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace gradflow::builtin {
namespace {

// A slot's workspace holds the columns of a band of output rows, at most this many floats
// (8 MiB) unless a single row needs more.
constexpr int64_t kBandBudget = int64_t{1} << 21;
// One output row's columns beyond this (64 MiB) make a layer an error, not a huge buffer.
constexpr int64_t kMaxRowColumns = int64_t{1} << 24;
// Slots split a batch into fixed ranges of samples, each with its own workspace and weight
// gradient, that the host may run on different threads. Their number depends only on the
// batch, never on the thread count, so results are the same on any machine.
constexpr int64_t kMaxSlots = 8;
// A training forward keeps the column matrices of up to this many floats of samples for its
// backward, which would otherwise build them again (a batch of 64 for LeNet's layers).
constexpr int64_t kKeepBudget = int64_t{1} << 22;

// Runs f(slot) for slots [0, n) on the host's threads. A host may split ranges only at
// multiples of some alignment, so each slot is spread over kSpread indices and run by the
// range that holds its first one: every slot exactly once, whatever the split.
constexpr int64_t kSpread = 64;
template <class F>
void for_each_slot(const Host& host, int64_t n, F&& f) {
  host.parallel_for(n * kSpread, kSpread, [&](int64_t begin, int64_t end) {
    for (int64_t s = (begin + kSpread - 1) / kSpread; s * kSpread < end; ++s) f(s);
  });
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

// ONNX Conv's weight [C', C, kh, kw] is Conv2D's as it is; its bias [C'] is optional.
bool import_conv(OnnxImport& im) {
  if (!im.is("Conv") || !im.input(0).runtime()) return false;
  if (const int64_t group = im.attr_int("group", 1); group != 1)
    throw OpError("group = " + std::to_string(group) +
                  ": gradflow's Conv2D connects every input channel to every output channel "
                  "(group 1)");
  const OnnxValue weight = im.input(1);
  if (!weight.float_constant() || weight.dims.size() != 4)
    throw OpError("the weight '" + weight.name +
                  "' must be a float32 initializer of rank 4 [C', C, kh, kw] (Conv2D learns it)");
  const OnnxWindow window = read_onnx_window(im, {weight.dims[2], weight.dims[3]}, false);
  const int64_t channels = im.input(0).known_shape()[0];
  if (weight.dims[1] != channels)
    throw OpError("the weight '" + weight.name + "' " + shape_text(weight.dims) + " expects " +
                  std::to_string(weight.dims[1]) + " input channels, the input has " +
                  std::to_string(channels));
  const OnnxValue bias = im.input(2);
  if (!bias.absent() && (!bias.float_constant() || bias.dims != Shape{weight.dims[0]}))
    throw OpError("the bias '" + bias.name + "' must be a float32 initializer of shape [" +
                  std::to_string(weight.dims[0]) + "]");
  im.claim(1);
  im.set("out_channels", weight.dims[0]);
  set_window_attrs(im, window);
  im.set("bias", !bias.absent());
  im.add_input(0);
  im.tensor("weight", weight.floats);
  if (!bias.absent()) im.tensor("bias", bias.floats);
  return true;
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
    if (static_cast<double>(taps) * static_cast<double>(w.out_w) > kMaxRowColumns)
      throw OpError("Conv2D needs " + std::to_string(taps) + " x " + std::to_string(w.out_w) +
                    " values of workspace for one output row, above the limit of " +
                    std::to_string(kMaxRowColumns) +
                    ": use fewer input channels or a smaller kernel");
    require_blas_size(static_cast<int64_t>(w.out_plane()), "Conv2D output positions");
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
                w.pad_w == 0),
        band_rows_(direct_ ? w.out_h
                           : std::clamp<int64_t>(kBandBudget / (taps_ * w.out_w), 1, w.out_h)) {}

  void onnx_export(OnnxExport& ex) const {
    std::vector<std::string> in{ex.input(0), ex.tensor("weight")};
    if (has_bias_) in.push_back(ex.tensor("bias"));
    ex.add("Conv", in, {ex.output()}, onnx_window_attrs(w_));
  }
  static bool onnx_import(OnnxImport& im) { return import_conv(im); }

  void explain(Explain& e) const {
    const std::string at = w_.input_at("c");
    e.forward("{out}[o, i, j] = Σ over c and " + w_.taps() + " of {weight}[o, c, u, v] · {x}" + at +
              (has_bias_ ? " + {bias}[o]" : "") + w_.padding_note());
    e.input_grad(0, "{grad x}" + at + " += Σ over o of {weight}[o, c, u, v] · {grad out}[o, i, j]" +
                        ", for every i, j, u, v");
    e.param_grad(
        0,
        "{grad weight}[o, c, u, v] += Σ over the batch and i, j of {grad out}[o, i, j] · {x}" + at);
    if (has_bias_)
      e.param_grad(1, "{grad bias}[o] += Σ over the batch and i, j of {grad out}[o, i, j]");
  }

  void reserve(int64_t max_batch) override {
    slots_ = std::clamp<int64_t>(max_batch, 1, kMaxSlots);
    columns_.assign(static_cast<size_t>(slots_ * band_size()), 0.0f);
    // Slot 0 adds into the host's gradients; the others into their own, summed afterwards.
    partials_.assign(static_cast<size_t>((slots_ - 1) * param_size()), 0.0f);
    const bool whole = !direct_ && band_rows_ == w_.out_h;
    kept_capacity_ = whole ? std::min(max_batch, kKeepBudget / band_size()) : 0;
    // Left uninitialised: pages beyond the training batch are never touched, so they cost no
    // memory (reserve() is sized for the evaluation batch, often much larger).
    kept_.reset(new float[static_cast<size_t>(kept_capacity_ * band_size())]);
    kept_rows_ = 0;
  }

  void forward(const ForwardContext& c) override {
    const View& x = c.in(0);
    check(x, c.out, c.params);
    const int64_t slots = std::min(slots_, x.rows);
    const int64_t keep = c.training ? std::min(kept_capacity_, x.rows) : 0;
    for_each_slot(c.host, slots, [&](int64_t s) {
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
    for_each_slot(c.host, slots, [&](int64_t s) {
      float* own = s == 0 ? nullptr : partial(s);
      float* weight_grad = !weight_wanted ? nullptr : own ? own : c.param_grad(0).data;
      float* bias_grad = !bias_wanted ? nullptr : own ? own + weights() : c.param_grad(1).data;
      for (int64_t b = first(s, slots, x.rows); b < first(s + 1, slots, x.rows); ++b)
        backward_sample(c, b, weight_grad, bias_grad, workspace(s));
    });
    for (int64_t s = 1; s < slots; ++s) {
      if (weight_wanted) add(partial(s), weights(), c.param_grad(0).data);
      if (bias_wanted) add(partial(s) + weights(), out_channels_, c.param_grad(1).data);
    }
  }

 private:
  int64_t weights() const { return out_channels_ * taps_; }
  int64_t param_size() const { return weights() + (has_bias_ ? out_channels_ : 0); }
  int64_t band_size() const { return direct_ ? 0 : taps_ * band_rows_ * w_.out_w; }
  float* partial(int64_t slot) { return partials_.data() + (slot - 1) * param_size(); }
  float* workspace(int64_t slot) { return columns_.data() + slot * band_size(); }
  float* kept(int64_t row) const { return kept_.get() + row * band_size(); }
  static int64_t first(int64_t slot, int64_t slots, int64_t rows) { return slot * rows / slots; }
  static void add(const float* from, int64_t n, float* to) {
    for (int64_t i = 0; i < n; ++i) to[i] += from[i];
  }

  // y = W columns (+ bias), band by band of output rows; `col` receives the columns.
  void forward_sample(float* x, float* y, std::span<const View> params, float* col) const {
    const int plane = static_cast<int>(w_.out_plane());
    float beta = 0.0f;
    if (has_bias_) {
      for (int64_t o = 0; o < out_channels_; ++o)
        std::fill(y + o * plane, y + (o + 1) * plane, params[1].data[o]);
      beta = 1.0f;
    }
    for (int64_t r0 = 0; r0 < w_.out_h; r0 += band_rows_) {
      const int64_t r1 = std::min(w_.out_h, r0 + band_rows_);
      const int n = static_cast<int>((r1 - r0) * w_.out_w);
      if (direct_)
        col = x;
      else
        im2col(w_, x, col, r0, r1);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(out_channels_), n,
                  static_cast<int>(taps_), 1.0f, params[0].data, static_cast<int>(taps_), col, n,
                  beta, y + r0 * w_.out_w, plane);
    }
  }

  // dW += dy columns^T, db += row sums of dy, dx += col2im(W^T dy), band by band.
  void backward_sample(const BackwardContext& c, int64_t b, float* weight_grad, float* bias_grad,
                       float* col) const {
    const int plane = static_cast<int>(w_.out_plane());
    const int outs = static_cast<int>(out_channels_), taps = static_cast<int>(taps_);
    const float* dy = c.out_grad.row(b);
    float* x = c.in(0).row(b);
    float* dx = c.in_grad(0) ? c.in_grad(0).row(b) : nullptr;
    if (bias_grad)
      for (int64_t o = 0; o < out_channels_; ++o) bias_grad[o] += sum(dy + o * plane, plane);
    for (int64_t r0 = 0; r0 < w_.out_h; r0 += band_rows_) {
      const int64_t r1 = std::min(w_.out_h, r0 + band_rows_);
      const int n = static_cast<int>((r1 - r0) * w_.out_w);
      const float* dy_band = dy + r0 * w_.out_w;
      if (weight_grad) {
        const float* columns = direct_ ? x : b < kept_rows_ ? kept(b) : col;
        if (columns == col) im2col(w_, x, col, r0, r1);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, outs, taps, n, 1.0f, dy_band, plane,
                    columns, n, 1.0f, weight_grad, taps);
      }
      if (!dx) continue;
      // The columns' gradient W^T dy, added straight into dx when the columns are the input.
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, taps, n, outs, 1.0f, c.param(0).data,
                  taps, dy_band, plane, direct_ ? 1.0f : 0.0f, direct_ ? dx : col, n);
      if (!direct_) col2im_add(w_, col, dx, r0, r1);
    }
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
  int64_t band_rows_;  // output rows whose columns one product covers
  int64_t slots_ = 0;
  std::vector<float> columns_;  // one band of columns per slot
  std::vector<float> partials_;
  std::unique_ptr<float[]> kept_;  // column matrices of the last training forward's samples
  int64_t kept_capacity_ = 0;      // samples kept_ can hold (0 when a sample needs several bands)
  int64_t kept_rows_ = 0;          // samples of the last forward kept (0 after evaluation)
};

}  // namespace

const gf_op_def* conv2d_op() {
  return op_definition<Conv2D>();
}

}  // namespace gradflow::builtin
