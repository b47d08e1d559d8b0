#include "builtin_ops.hpp"
#include "op_checks.hpp"

#include <gradflow/op.hpp>

#include <cmath>
#include <string>

namespace gradflow::builtin {
namespace {

// Below this many values a call stays on one thread.
constexpr int64_t kGrain = 1 << 15;

// ONNX Dropout's ratio: an input from opset 12 on (default 0.5), an attribute before. A
// training_mode input must be a constant false: the graph is imported for inference.
double dropout_ratio(const OnnxImport& im) {
  const OnnxValue mode = im.input(2);
  if (!mode.absent() && !(mode.constant() && mode.ints.size() == 1 && mode.ints[0] == 0))
    throw OpError("training_mode '" + mode.name +
                  "' is not a constant false: gradflow imports the inference graph");
  if (im.opset() < 12) return im.attr_float("ratio", 0.5);
  const OnnxValue ratio = im.input(1);
  if (ratio.absent()) return 0.5;
  if (!ratio.float_constant() || ratio.floats.size() != 1)
    throw OpError("the ratio '" + ratio.name + "' must be one float32 constant");
  return ratio.floats[0];
}

bool import_dropout(OnnxImport& im) {
  if (!im.is("Dropout") || !im.input(0).runtime()) return false;
  const double ratio = dropout_ratio(im);
  if (!(ratio >= 0.0 && ratio < 1.0))
    throw OpError("ratio " + std::to_string(ratio) + " is outside [0, 1)");
  im.claim(1);
  im.set_float32("p", static_cast<float>(ratio));
  im.add_input(0);
  return true;
}

// Inverted dropout: in training each value is kept with probability 1 - p and scaled by
// 1 / (1 - p), so evaluation (where the op is the identity) needs no rescaling.
class Dropout final : public Op {
 public:
  static OpSchema schema() {
    return OpSchema("Dropout",
                    "Inverted dropout: in training, each value is zeroed with probability p and "
                    "the others scaled by 1 / (1 - p); the identity in evaluation.")
        .input("x")
        .attr(attr::number("p").default_value(0.5).range(0, 0.999).doc("probability of zeroing"));
  }

  static std::unique_ptr<Dropout> create(const Attrs& attrs, NodeSetup& setup) {
    require_input_count(setup, 1, "Dropout");
    require_positive_dims(setup.input_shape(0), "Dropout input");
    setup.set_output(setup.input_shape(0));
    const double n = static_cast<double>(numel(setup.input_shape(0)));
    setup.set_flops(n, 0, n);
    return std::make_unique<Dropout>(attrs.real("p"));
  }

  // The identity at inference in ONNX too; the ratio is kept for a model fine-tuned later.
  void onnx_export(OnnxExport& ex) const {
    const float ratio = static_cast<float>(p_);
    ex.add("Dropout", {ex.input(0), ex.constant("ratio", {}, {&ratio, 1})}, {ex.output()});
  }
  static bool onnx_import(OnnxImport& im) { return import_dropout(im); }

  void explain(Explain& e) const {
    const std::string p = shortest_decimal(p_);
    e.forward("{out} = {x} ⊙ m / (1 − " + p + ") in training, m a new mask each step (each " +
              "entry 1 with probability 1 − " + p + ", else 0); {out} = {x} in evaluation");
    e.input_grad(0, "{grad x} += {grad out} ⊙ m / (1 − " + p + "), with the step's mask m");
  }

  explicit Dropout(double p)
      : p_(p),
        threshold_(static_cast<uint32_t>(std::min(std::ldexp(p, 32), 4294967295.0))),
        scale_(static_cast<float>(1.0 / (1.0 - p))) {}

  void forward(const ForwardContext& c) override {
    const View& x = c.in(0);
    require_same_layout(x, c.out, "Dropout input", "Dropout output");
    const float* __restrict in = x.data;
    float* __restrict out = c.out.data;
    if (!c.training || threshold_ == 0) {
      std::copy(in, in + x.size(), out);
      return;
    }
    c.host.parallel_for(x.size(), kGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) out[i] = in[i] * factor(c.seed, i);
    });
  }

  // The mask is drawn again from the step's seed instead of being kept: no buffer for the
  // largest batch, and the same numbers by construction.
  void backward(const BackwardContext& c) override {
    const View& dx = c.in_grad(0);
    if (!dx) return;
    require_same_layout(dx, c.out_grad, "Dropout input gradient", "its output gradient");
    const float* __restrict dy = c.out_grad.data;
    float* __restrict d = dx.data;
    if (!c.training || threshold_ == 0) {
      for (int64_t i = 0; i < dx.size(); ++i) d[i] += dy[i];
      return;
    }
    c.host.parallel_for(dx.size(), kGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) d[i] += dy[i] * factor(c.seed, i);
    });
  }

 private:
  // Value i of the node's stream for this step (the i-th output of SplitMix64 seeded with it),
  // so that any split of the batch across threads draws the same mask.
  float factor(uint64_t seed, int64_t i) const {
    const uint64_t bits = splitmix64(seed + static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull);
    return static_cast<uint32_t>(bits >> 32) >= threshold_ ? scale_ : 0.0f;
  }

  double p_;
  uint32_t threshold_;  // a value is dropped when its 32 random bits fall below this
  float scale_;
};

}  // namespace

const gf_op_def* dropout_op() {
  return op_definition<Dropout>();
}

}  // namespace gradflow::builtin
