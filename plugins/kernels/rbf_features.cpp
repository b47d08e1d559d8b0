#include <gradflow/random.hpp>

#include <cmath>
#include <limits>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

#include "kernels.hpp"

namespace gradflow_kernels {

using gradflow::OpError;

namespace {

std::string number_text(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

}  // namespace

OpSchema RBFFeatures::schema() {
  namespace attr = gradflow::attr;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  return OpSchema("RBFFeatures",
                  "Random Fourier features of the Gaussian kernel exp(-gamma |x - x'|^2): "
                  "sqrt(2/D) cos(W x + b), W ~ N(0, 2 gamma), b ~ U(0, 2 pi); fixed, not trained.")
      .input("x")
      .attr(attr::number("gamma").default_value(1.0).range(0, kInf).doc(
          "kernel width: exp(-gamma |x - x'|^2), > 0"))
      .attr(attr::integer("features")
                .default_value(100)
                .range(1, 100000)
                .doc("number of random features D (output size)"))
      .attr(attr::integer("seed").default_value(0).range(0, kInf).doc(
          "seed of W and b; the same seed gives the same map"));
}

std::unique_ptr<RBFFeatures> RBFFeatures::create(const Attrs& attrs, NodeSetup& setup) {
  if (setup.input_shapes().size() != 1) throw OpError("RBFFeatures takes exactly one input");
  const gradflow::Shape& x = setup.input_shape(0);
  const int64_t in = gradflow::numel(x);
  if (x.empty() || in < 1)
    throw OpError("RBFFeatures expects a non-empty input of shape [in_features] per sample");
  const double gamma = attrs.real("gamma");
  if (!(gamma > 0) || !std::isfinite(gamma))
    throw OpError("RBFFeatures gamma must be a finite number > 0, got " + number_text(gamma));
  const int64_t features = attrs.integer("features");
  if (features < 1 || features > 100000)
    throw OpError("RBFFeatures features must be in [1, 100000], got " + std::to_string(features));
  if (in > kMaxWeights / features)
    throw OpError("RBFFeatures: input size " + std::to_string(in) + " times " +
                  std::to_string(features) + " features is above the limit of " +
                  std::to_string(kMaxWeights) + " random weights");
  setup.set_output({features});
  return std::make_unique<RBFFeatures>(in, features, gamma,
                                       static_cast<uint64_t>(attrs.integer("seed")));
}

RBFFeatures::RBFFeatures(int64_t in, int64_t features, double gamma, uint64_t seed)
    : in_(in),
      features_(features),
      scale_(std::sqrt(2.0 / static_cast<double>(features))),
      gamma_(gamma),
      seed_(seed) {}

// W and b are drawn here, not when the graph is planned: `check` and `dot` plan a graph
// without running it and must stay fast and small however many features it asks for.
void RBFFeatures::reserve(int64_t /*max_batch*/) {
  if (!w_.empty()) return;
  w_.resize(static_cast<size_t>(in_ * features_));
  b_.resize(static_cast<size_t>(features_));
  // Separate streams for W and b: growing D keeps the existing features (the first rows of W
  // and entries of b), so results for different D are comparable.
  gradflow::Random rw(gradflow::mix_seed(seed_, "RBFFeatures.W"));
  gradflow::Random rb(gradflow::mix_seed(seed_, "RBFFeatures.b"));
  const double std_dev = std::sqrt(2.0 * gamma_);
  for (auto& w : w_) w = static_cast<float>(std_dev * rw.normal());
  for (auto& b : b_) b = static_cast<float>(2.0 * std::numbers::pi * rb.uniform());
}

double RBFFeatures::phase(const float* x, int64_t k) const {
  // Accumulated in double: with large gamma the phase is big and cos() is sensitive to it.
  const float* w = w_.data() + k * in_;
  double s = b_[static_cast<size_t>(k)];
  for (int64_t j = 0; j < in_; ++j) s += static_cast<double>(w[j]) * x[j];
  return s;
}

void RBFFeatures::forward(const gradflow::ForwardContext& c) {
  const View& x = c.in(0);
  const View& out = c.out;
  if (x.cols != in_ || out.cols != features_ || out.rows != x.rows)
    throw OpError("RBFFeatures received tensors of unexpected size");
  reserve(x.rows);  // a no-op once the host has reserved, as it always does before running
  for (int64_t r = 0; r < x.rows; ++r) {
    const float* xr = x.row(r);
    float* zr = out.row(r);
    for (int64_t k = 0; k < features_; ++k)
      zr[k] = static_cast<float>(scale_ * std::cos(phase(xr, k)));
  }
}

void RBFFeatures::backward(const gradflow::BackwardContext& c) {
  // dz_k/dx = -sqrt(2/D) sin(w_k . x + b_k) w_k. The sine is recomputed rather than kept from
  // forward, so backward stays correct whatever forward calls came in between.
  feature_map_backward(c, in_, features_, "RBFFeatures",
                       [&](const float* xr, int64_t k, float g, float* dr) {
                         const float d = static_cast<float>(-scale_ * std::sin(phase(xr, k))) * g;
                         const float* w = w_.data() + k * in_;
                         for (int64_t j = 0; j < in_; ++j) dr[j] += d * w[j];
                       });
}

}  // namespace gradflow_kernels

namespace gradflow_kernels {

void RBFFeatures::onnx_export(gradflow::OnnxExport& ex) const {
  const std::string w = ex.constant("W", {features_, in_}, w_);
  const std::string b = ex.constant("b", {features_}, b_);
  const std::vector<float> scale{static_cast<float>(scale_)};
  const std::string s = ex.constant("scale", {1}, scale);
  const std::string phase = ex.temp("phase");
  const std::string cosine = ex.temp("cos");
  ex.add("Gemm", {ex.input(0), w, b}, {phase}, {{"transB", 1}});
  ex.add("Cos", {phase}, {cosine});
  ex.add("Mul", {cosine, s}, {ex.output()});
}

void RBFFeatures::explain(gradflow::Explain& e) const {
  const std::string gamma = gradflow::shortest_decimal(gamma_);
  const std::string d = std::to_string(features_);
  e.forward("{out}[k] = √(2/" + d + ") cos(w_k · {x} + b_k), k < " + d +
            ", with w_k ~ N(0, 2γ) and b_k ~ U(0, 2π) drawn once from the seed (γ = " + gamma +
            "): {out} · {out}' approximates exp(−γ |{x} − {x}'|²)");
  e.input_grad(0, "{grad x} += Σ over k of −√(2/" + d + ") sin(w_k · {x} + b_k) {grad out}[k] w_k");
}

}  // namespace gradflow_kernels
