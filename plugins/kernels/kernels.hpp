// Explicit feature maps for kernel machines: a Linear layer (and an SVM loss) on top of these
// features is a kernel SVM without an n x n Gram matrix, trained by the same SGD as any graph.
#pragma once

#include <gradflow/op.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace gradflow_kernels {

using gradflow::Attrs;
using gradflow::NodeSetup;
using gradflow::OpSchema;
using gradflow::View;

// The backward of a feature map z = f(x) applied row by row: for every sample and every
// feature k whose upstream gradient g is not zero, add(x_row, k, g, dx_row) adds g dz_k/dx into
// dx_row. Features with no gradient (most, after a hinge loss) cost nothing.
template <class AddFeatureGrad>
void feature_map_backward(const gradflow::BackwardContext& c, int64_t in, int64_t features,
                          const char* op, AddFeatureGrad&& add) {
  const View& dx = c.in_grad(0);
  if (!dx) return;
  const View& x = c.in(0);
  const View& out_grad = c.out_grad;
  if (dx.cols != in || out_grad.cols != features || dx.rows != x.rows)
    throw gradflow::OpError(std::string(op) + " received gradients of unexpected size");
  for (int64_t r = 0; r < x.rows; ++r) {
    const float* xr = x.row(r);
    const float* gr = out_grad.row(r);
    float* dr = dx.row(r);
    for (int64_t k = 0; k < features; ++k)
      if (gr[k] != 0.0f) add(xr, k, gr[k], dr);
  }
}

// Random Fourier features (Rahimi & Recht, 2007): z(x) = sqrt(2/D) cos(W x + b) with
// W ~ N(0, 2 gamma), b ~ U(0, 2 pi), so that z(x) . z(x') approximates exp(-gamma |x - x'|^2).
// W and b are drawn once from `seed` and never trained: they define the kernel, not the model.
class RBFFeatures : public gradflow::Op {
 public:
  static OpSchema schema();
  static std::unique_ptr<RBFFeatures> create(const Attrs& attrs, NodeSetup& setup);
  RBFFeatures(int64_t in, int64_t features, double gamma, uint64_t seed);

  // Most random weights (in x features) one node may ask for: 1 GiB of floats.
  static constexpr int64_t kMaxWeights = int64_t{1} << 28;

  void reserve(int64_t max_batch) override;
  void forward(const gradflow::ForwardContext& c) override;
  void backward(const gradflow::BackwardContext& c) override;
  // Gemm with the fixed W and b as constants, Cos, Mul by sqrt(2/D).
  void onnx_export(gradflow::OnnxExport& ex) const;
  void explain(gradflow::Explain& e) const;

 private:
  double phase(const float* x, int64_t k) const;

  int64_t in_;
  int64_t features_;
  double scale_;
  double gamma_;
  uint64_t seed_;
  std::vector<float> w_;  // [features, in], row-major; drawn by reserve()
  std::vector<float> b_;  // [features]
};

// Every monomial of degree 1..d of the input's coordinates (x1, x2, x1^2, x1 x2, x2^2, ... for
// d = 2), ordered by degree. The constant term is left out: the Linear after it has a bias.
// Plain monomials are used, without the multinomial weights of the kernel (x.x' + 1)^d, since
// the Linear layer learns one weight per monomial anyway.
class PolyFeatures : public gradflow::Op {
 public:
  static OpSchema schema();
  static std::unique_ptr<PolyFeatures> create(const Attrs& attrs, NodeSetup& setup);
  PolyFeatures(int64_t in, int degree);

  void forward(const gradflow::ForwardContext& c) override;
  void backward(const gradflow::BackwardContext& c) override;
  // A column of ones padded on, every monomial's factors gathered from it, their product.
  void onnx_export(gradflow::OnnxExport& ex) const;
  void explain(gradflow::Explain& e) const;

  int64_t features() const { return static_cast<int64_t>(degree_of_.size()); }

 private:
  int64_t in_;
  int degree_;
  std::vector<int32_t> factors_;    // [features, degree]: input indices, unused slots are -1
  std::vector<int32_t> degree_of_;  // [features]
};

}  // namespace gradflow_kernels
