#include <limits>
#include <string>
#include <vector>

#include "kernels.hpp"

namespace gradflow_kernels {

using gradflow::OpError;

namespace {

// Output sizes above this are a typo (degree 6 of MNIST's 784 pixels has 3e14 monomials).
constexpr int64_t kMaxFeatures = 1'000'000;

}  // namespace

OpSchema PolyFeatures::schema() {
  namespace attr = gradflow::attr;
  return OpSchema(
             "PolyFeatures",
             "All monomials of degree 1..degree of a rank-1 input (x1, x2, x1^2, x1 x2, "
             "x2^2, ...), ordered by degree; no constant term (the next Linear's bias is one).")
      .input("x")
      .attr(attr::integer("degree").default_value(2).range(1, 6).doc(
          "highest total degree of the monomials"));
}

std::unique_ptr<PolyFeatures> PolyFeatures::create(const Attrs& attrs, NodeSetup& setup) {
  if (setup.input_shapes().size() != 1) throw OpError("PolyFeatures takes exactly one input");
  const gradflow::Shape& x = setup.input_shape(0);
  if (x.size() != 1 || x[0] < 1)
    throw OpError("PolyFeatures expects an input of shape [in_features] per sample (rank 1)");
  const int64_t degree = attrs.integer("degree");
  if (degree < 1 || degree > 6)
    throw OpError("PolyFeatures degree must be in [1, 6], got " + std::to_string(degree));
  // Count C(in + degree, degree) - 1 before building anything, to refuse huge maps early.
  double count = 1;
  for (int64_t k = 1; k <= degree; ++k)
    count = count * static_cast<double>(x[0] + k) / static_cast<double>(k);
  if (count - 1 > static_cast<double>(kMaxFeatures))
    throw OpError("PolyFeatures of degree " + std::to_string(degree) + " on " +
                  std::to_string(x[0]) + " inputs would make " + std::to_string(count - 1) +
                  " features (limit " + std::to_string(kMaxFeatures) + ")");
  auto op = std::make_unique<PolyFeatures>(x[0], static_cast<int>(degree));
  setup.set_output({op->features()});
  return op;
}

PolyFeatures::PolyFeatures(int64_t in, int degree) : in_(in), degree_(degree) {
  // Monomials of degree k are the non-decreasing index sequences i1 <= ... <= ik, enumerated
  // in lexicographic order like an odometer whose digits never decrease.
  std::vector<int32_t> idx;
  for (int k = 1; k <= degree_; ++k) {
    idx.assign(static_cast<size_t>(k), 0);
    while (true) {
      degree_of_.push_back(k);
      for (int p = 0; p < degree_; ++p) factors_.push_back(p < k ? idx[p] : -1);
      int p = k - 1;
      while (p >= 0 && idx[p] == in_ - 1) --p;
      if (p < 0) break;
      ++idx[p];
      for (int q = p + 1; q < k; ++q) idx[q] = idx[p];
    }
  }
}

void PolyFeatures::forward(const gradflow::ForwardContext& c) {
  const View& x = c.in(0);
  const View& out = c.out;
  const int64_t n = features();
  if (x.cols != in_ || out.cols != n || out.rows != x.rows)
    throw OpError("PolyFeatures received tensors of unexpected size");
  for (int64_t r = 0; r < x.rows; ++r) {
    const float* xr = x.row(r);
    float* zr = out.row(r);
    for (int64_t m = 0; m < n; ++m) {
      const int32_t* f = factors_.data() + m * degree_;
      float v = 1.0f;
      for (int p = 0; p < degree_of_[m]; ++p) v *= xr[f[p]];
      zr[m] = v;
    }
  }
}

void PolyFeatures::backward(const gradflow::BackwardContext& c) {
  feature_map_backward(c, in_, features(), "PolyFeatures",
                       [&](const float* xr, int64_t m, float g, float* dr) {
                         const int32_t* f = factors_.data() + m * degree_;
                         const int k = degree_of_[m];
                         // Product rule: the factor at position p contributes the product of
                         // all the others. Computed without dividing by x[p], which may be 0.
                         for (int p = 0; p < k; ++p) {
                           float others = 1.0f;
                           for (int q = 0; q < k; ++q)
                             if (q != p) others *= xr[f[q]];
                           dr[f[p]] += g * others;
                         }
                       });
}

}  // namespace gradflow_kernels

namespace gradflow_kernels {

void PolyFeatures::onnx_export(gradflow::OnnxExport& ex) const {
  // Unused factor slots point at the padded column of ones, so every row multiplies `degree`.
  std::vector<int64_t> index(factors_.size());
  for (size_t i = 0; i < factors_.size(); ++i) index[i] = factors_[i] < 0 ? in_ : factors_[i];
  const std::vector<int64_t> pads{0, 0, 0, 1};
  const std::vector<float> one{1.0f};
  const std::string padded = ex.temp("padded");
  const std::string factors = ex.temp("factors");
  const gradflow::Shape dims{features(), degree_};
  const std::string indices = ex.constant_ints("indices", dims, index);
  ex.add("Pad", {ex.input(0), ex.constant_ints("pads", pads), ex.constant("one", {}, one)},
         {padded});
  ex.add("Gather", {padded, indices}, {factors}, {{"axis", 1}});
  ex.add("ReduceProd", {factors}, {ex.output()}, {{"axes", {2}}, {"keepdims", 0}});
}

void PolyFeatures::explain(gradflow::Explain& e) const {
  const std::string d = std::to_string(degree_);
  e.forward("{out} = the " + std::to_string(features()) + " monomials m_k of degree 1 to " + d +
            " of {x}'s coordinates, by degree (x1, x2, x1², x1 x2, x2², ... for two inputs)");
  e.input_grad(0,
               "{grad x}[j] += Σ over k of {grad out}[k] ∂m_k/∂x_j, where m_k = x_j^e r gives "
               "∂m_k/∂x_j = e x_j^(e−1) r");
}

}  // namespace gradflow_kernels
