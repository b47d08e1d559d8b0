#include "builtin_ops.hpp"
#include "op_checks.hpp"

#include <gradflow/op.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace gradflow::builtin {
namespace {

// One channel of a batch is `rows` runs of `positions` contiguous values, `stride` apart:
// f(run, n, offset of the run from the channel's first value).
template <class F>
void each_run(const float* base, int64_t rows, int64_t stride, int64_t positions, F&& f) {
  for (int64_t r = 0; r < rows; ++r) f(base + r * stride, positions, r * stride);
}

// sum of g(i) over [0, n) in eight float lanes, which vectorise (a single running sum may not
// be reordered), returned as double so that the sums over runs stay accurate.
template <class G>
double lane_sum(int64_t n, G&& g) {
  float lanes[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) lanes[k] += g(i + k);
  double total = 0;
  for (; i < n; ++i) total += g(i);
  for (float lane : lanes) total += lane;
  return total;
}

// ONNX BatchNormalization's inputs after x, in order, as this op's tensors.
constexpr const char* kTensors[] = {"weight", "bias", "running_mean", "running_var"};

// ONNX's momentum weighs the running statistics, gradflow's (PyTorch's) the batch: m' = 1 - m.
// The text is the shortest that gives back the float32 ONNX stored (0.9 -> "0.1").
std::string batch_momentum(float onnx_momentum) {
  if (!(onnx_momentum >= 0.0f && onnx_momentum <= 1.0f))
    throw OpError("momentum " + std::to_string(onnx_momentum) + " is outside [0, 1]");
  return shortest_decimal(1.0 - onnx_momentum, [onnx_momentum](double m) {
    return static_cast<float>(1.0 - m) == onnx_momentum;
  });
}

// The inference form: x, scale, B, mean and var (float32 constants of [C]) in, one output.
bool import_batch_normalization(OnnxImport& im) {
  if (!im.is("BatchNormalization") || !im.input(0).runtime()) return false;
  const Shape x = im.input(0).known_shape();
  if (x.empty()) throw OpError("BatchNormalization needs [C, ...] samples, got a scalar");
  if (im.attr_int("training_mode", 0) != 0)
    throw OpError("training_mode = 1: gradflow imports the inference form (running statistics)");
  if (im.attr_int("spatial", 1) != 1)
    throw OpError("spatial = 0 (statistics per position): gradflow's are per channel");
  std::vector<OnnxValue> tensors;
  for (uint32_t i = 1; i <= 4; ++i) {
    tensors.push_back(im.input(i));
    const OnnxValue& t = tensors.back();
    if (!t.float_constant() || t.dims != Shape{x[0]})
      throw OpError("input " + std::to_string(i) + " ('" + t.name +
                    "') must be a float32 initializer of shape [" + std::to_string(x[0]) +
                    "], one value per channel");
  }
  const std::string momentum = batch_momentum(static_cast<float>(im.attr_float("momentum", 0.9)));
  im.claim(1);
  im.set("momentum", momentum);
  im.set_float32("eps", static_cast<float>(im.attr_float("epsilon", 1e-5)));
  im.add_input(0);
  for (size_t k = 0; k < 4; ++k) im.tensor(kTensors[k], tensors[k].floats);
  return true;
}

// Batch normalisation (Ioffe and Szegedy 2015) as PyTorch's BatchNorm1d/2d: per channel of
// [C, H, W] samples, per feature of [F]. Training normalises with the batch's mean and biased
// variance and moves the running statistics towards them (running = (1 - momentum) running +
// momentum batch, the variance unbiased); evaluation normalises with the running statistics.
class BatchNorm final : public Op {
 public:
  static OpSchema schema() {
    return OpSchema("BatchNorm",
                    "Batch normalisation per channel of [C, ...] samples (per feature of [F]): "
                    "y = weight (x - mean) / sqrt(var + eps) + bias; batch statistics in "
                    "training, running statistics in evaluation.")
        .input("x")
        .attr(attr::number("momentum")
                  .default_value(0.1)
                  .range(0, 1)
                  .doc("weight of each batch in the running statistics (PyTorch's convention)"))
        .attr(attr::number("eps").default_value(1e-5).range(1e-12, 1).doc("added to the variance"));
  }

  static std::unique_ptr<BatchNorm> create(const Attrs& attrs, NodeSetup& setup) {
    require_input_count(setup, 1, "BatchNorm");
    const Shape& x = setup.input_shape(0);
    if (x.empty())
      throw OpError("BatchNorm expects samples of shape [C, ...] or [F], got a scalar");
    require_positive_dims(x, "BatchNorm input");
    const int64_t channels = x[0];
    setup.set_output(x);
    setup.add_param("weight", {channels}, init::ones());
    setup.add_param("bias", {channels}, init::zeros());
    setup.add_state("running_mean", {channels}, init::zeros());
    setup.add_state("running_var", {channels}, init::ones());
    const double n = static_cast<double>(numel(x));
    setup.set_flops(7 * n, 3 * n, 5 * n);
    return std::make_unique<BatchNorm>(channels, numel(x) / channels, attrs.real("momentum"),
                                       attrs.real("eps"));
  }

  BatchNorm(int64_t channels, int64_t positions, double momentum, double eps)
      : channels_(channels),
        positions_(positions),
        momentum_(momentum),
        eps_(eps),
        mean_(static_cast<size_t>(channels)),
        inv_std_(static_cast<size_t>(channels)) {}

  // The inference form, with the running statistics as initializers.
  void onnx_export(OnnxExport& ex) const {
    std::vector<std::string> in{ex.input(0)};
    for (const char* name : kTensors) in.push_back(ex.tensor(name));
    ex.add("BatchNormalization", in, {ex.output()},
           {{"epsilon", eps_}, {"momentum", 1.0 - momentum_}});
  }
  static bool onnx_import(OnnxImport& im) { return import_batch_normalization(im); }

  void explain(Explain& e) const {
    const std::string eps = shortest_decimal(eps_);
    const std::string over = positions_ > 1 ? "the batch and the positions" : "the batch";
    e.forward("x̂ = ({x} − μ) / √(σ² + " + eps + "), {out} = {weight} ⊙ x̂ + {bias}, per " +
              "channel; μ, σ² = mean and variance over " + over +
              " in training, the running statistics in evaluation");
    e.input_grad(0, "{grad x} += {weight} / √(σ² + " + eps +
                        ") ⊙ ({grad out} − mean({grad out}) − " +
                        "x̂ ⊙ mean({grad out} ⊙ x̂)), means per channel over " + over);
    e.param_grad(0, "{grad weight} += Σ over " + over + " of {grad out} ⊙ x̂");
    e.param_grad(1, "{grad bias} += Σ over " + over + " of {grad out}");
  }

  void forward(const ForwardContext& c) override {
    check(c);
    c.host.parallel_for(channels_, 1, [&](int64_t begin, int64_t end) {
      for (int64_t ch = begin; ch < end; ++ch) {
        if (c.training)
          batch_statistics(c, ch);
        else
          running_statistics(c, ch);
        const float mean = mean_[ch], scale = inv_std_[ch] * c.param(0).data[ch];
        const float shift = c.param(1).data[ch];
        each_run(c.in(0).data + ch * positions_, c.in(0).rows, stride(), positions_,
                 [&](const float* x, int64_t n, int64_t offset) {
                   float* y = c.out.data + ch * positions_ + offset;
                   for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - mean) * scale + shift;
                 });
      }
    });
  }

  void backward(const BackwardContext& c) override {
    check(c);
    const View& dx = c.in_grad(0);
    if (dx) require_same_layout(dx, c.in(0), "BatchNorm input gradient", "its input");
    c.host.parallel_for(channels_, 1, [&](int64_t begin, int64_t end) {
      for (int64_t ch = begin; ch < end; ++ch) backward_channel(c, ch);
    });
  }

 private:
  int64_t stride() const { return channels_ * positions_; }

  void batch_statistics(const ForwardContext& c, int64_t ch) {
    const int64_t count = c.in(0).rows * positions_;
    double total = 0;
    each_run(c.in(0).data + ch * positions_, c.in(0).rows, stride(), positions_,
             [&](const float* x, int64_t n, int64_t) {
               total += lane_sum(n, [x](int64_t i) { return x[i]; });
             });
    const double mean = total / static_cast<double>(count);
    // Two passes (deviations from the mean) rather than E[x^2] - E[x]^2, which cancels.
    const float fmean = static_cast<float>(mean);
    double squares = 0;
    each_run(c.in(0).data + ch * positions_, c.in(0).rows, stride(), positions_,
             [&](const float* x, int64_t n, int64_t) {
               squares +=
                   lane_sum(n, [x, fmean](int64_t i) { return (x[i] - fmean) * (x[i] - fmean); });
             });
    const double var = squares / static_cast<double>(count);
    mean_[ch] = static_cast<float>(mean);
    inv_std_[ch] = static_cast<float>(1.0 / std::sqrt(var + eps_));
    // The running variance is the unbiased estimate, as in PyTorch.
    const double unbiased = count > 1 ? squares / static_cast<double>(count - 1) : var;
    float& running_mean = c.state[0].data[ch];
    float& running_var = c.state[1].data[ch];
    running_mean = static_cast<float>((1 - momentum_) * running_mean + momentum_ * mean);
    running_var = static_cast<float>((1 - momentum_) * running_var + momentum_ * unbiased);
  }

  void running_statistics(const ForwardContext& c, int64_t ch) {
    mean_[ch] = c.state[0].data[ch];
    inv_std_[ch] = static_cast<float>(1.0 / std::sqrt(c.state[1].data[ch] + eps_));
  }

  // With x^ = (x - mean) inv_std: d weight = sum dy x^, d bias = sum dy; in training the
  // statistics depend on x too: dx = weight inv_std (dy - mean(dy) - x^ mean(dy x^)).
  void backward_channel(const BackwardContext& c, int64_t ch) const {
    const float mean = mean_[ch], inv_std = inv_std_[ch];
    const float* x0 = c.in(0).data + ch * positions_;
    const float* dy0 = c.out_grad.data + ch * positions_;
    double sum_dy = 0, sum_dy_xhat = 0;
    each_run(x0, c.in(0).rows, stride(), positions_, [&](const float* x, int64_t n, int64_t off) {
      const float* dy = dy0 + off;
      sum_dy += lane_sum(n, [dy](int64_t i) { return dy[i]; });
      sum_dy_xhat += lane_sum(n, [&](int64_t i) { return dy[i] * (x[i] - mean) * inv_std; });
    });
    if (c.param_grad(0)) c.param_grad(0).data[ch] += static_cast<float>(sum_dy_xhat);
    if (c.param_grad(1)) c.param_grad(1).data[ch] += static_cast<float>(sum_dy);
    if (!c.in_grad(0)) return;
    const double count = static_cast<double>(c.in(0).rows * positions_);
    const float scale = inv_std * c.param(0).data[ch];
    const float mean_dy = c.training ? static_cast<float>(sum_dy / count) : 0.0f;
    const float mean_dy_xhat = c.training ? static_cast<float>(sum_dy_xhat / count) : 0.0f;
    float* dx0 = c.in_grad(0).data + ch * positions_;
    each_run(x0, c.in(0).rows, stride(), positions_, [&](const float* x, int64_t n, int64_t off) {
      for (int64_t i = 0; i < n; ++i) {
        const float xhat = (x[i] - mean) * inv_std;
        dx0[off + i] += scale * (dy0[off + i] - mean_dy - xhat * mean_dy_xhat);
      }
    });
  }

  // The host allocates every view; a mismatch would be a host bug.
  void check(const ForwardContext& c) const {
    require_cols(c.in(0), stride(), "BatchNorm input");
    require_same_layout(c.in(0), c.out, "BatchNorm input", "its output");
    if (c.params.size() != 2 || c.state.size() != 2)
      throw OpError("BatchNorm needs its weight, bias, running_mean and running_var");
    for (const View* v : {&c.params[0], &c.params[1], &c.state[0], &c.state[1]})
      if (v->size() != channels_) throw OpError("BatchNorm parameters have the wrong sizes");
  }

  int64_t channels_;
  int64_t positions_;  // values per channel per sample: H W for [C, H, W], 1 for [F]
  double momentum_;
  double eps_;
  std::vector<float> mean_;     // of the last forward, for backward
  std::vector<float> inv_std_;  // 1 / sqrt(var + eps) of the last forward
};

}  // namespace

const gf_op_def* batch_norm_op() {
  return op_definition<BatchNorm>();
}

}  // namespace gradflow::builtin
