#include "builtin_ops.hpp"
#include "op_checks.hpp"

#include <gradflow/op.hpp>

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace gradflow::builtin {
namespace {

// alpha * w as a float32, refusing what would not fit (the conversion would be undefined).
float scaled(double factor, float value, const char* what) {
  const double v = factor * static_cast<double>(value);
  if (!(std::abs(v) <= std::numeric_limits<float>::max()))
    throw OpError(std::string(what) + " times its factor is not a finite float32");
  return static_cast<float>(v);
}

// ONNX keeps a dense layer's matrix as [in, out] (MatMul, Gemm) or [out, in] (Gemm transB=1);
// Linear's weight is [out, in], scaled here by Gemm's alpha.
std::vector<float> linear_weight(const OnnxValue& b, bool out_first, double alpha, int64_t* in,
                                 int64_t* out) {
  if (!b.float_constant() || b.dims.size() != 2)
    throw OpError("the weight '" + b.name +
                  "' must be a float32 initializer of rank 2 (Linear learns it)");
  *out = out_first ? b.dims[0] : b.dims[1];
  *in = out_first ? b.dims[1] : b.dims[0];
  std::vector<float> w(b.floats.size());
  for (int64_t o = 0; o < *out; ++o)
    for (int64_t i = 0; i < *in; ++i) {
      const float v = out_first ? b.floats[o * *in + i] : b.floats[i * *out + o];
      w[o * *in + i] = scaled(alpha, v, "a weight");
    }
  return w;
}

// A bias of `out` values: ONNX broadcasts [], [1], [out] or [1, out] over the batch.
std::vector<float> linear_bias(const OnnxValue& c, int64_t out, double beta) {
  if (!c.float_constant()) throw OpError("the bias '" + c.name + "' must be a float32 initializer");
  const bool one = c.floats.size() == 1 && c.dims.size() <= 2;
  const bool row = static_cast<int64_t>(c.floats.size()) == out &&
                   (c.dims.size() == 1 || (c.dims.size() == 2 && c.dims[0] == 1));
  if (!one && !row)
    throw OpError("the bias '" + c.name + "' has shape " + shape_text(c.dims) +
                  "; a dense layer's bias is [" + std::to_string(out) + "] or [1, " +
                  std::to_string(out) + "]");
  std::vector<float> bias(static_cast<size_t>(out));
  for (int64_t j = 0; j < out; ++j)
    bias[j] = scaled(beta, c.floats[one ? 0 : static_cast<size_t>(j)], "a bias");
  return bias;
}

// Claims the ONNX nodes [0, count) as a Linear node with these tensors.
void claim_linear(OnnxImport& im, uint32_t count, const OnnxValue& x, int64_t in, int64_t out,
                  const std::vector<float>& weight, const std::vector<float>* bias) {
  if (x.shape_known && x.shape != Shape{in})
    throw OpError("the input '" + x.name + "' has per-sample shape " + shape_text(x.shape) +
                  " but the weight expects [" + std::to_string(in) + "]");
  im.claim(count);
  im.set("out_features", out);
  im.set("bias", bias != nullptr);
  im.add_input(0);
  im.tensor("weight", weight);
  if (bias) im.tensor("bias", *bias);
}

// Gemm: Y = alpha A' B' + beta C, A the batch of inputs.
bool import_gemm(OnnxImport& im) {
  const OnnxValue a = im.input(0);
  if (!a.runtime()) return false;
  if (im.attr_int("transA", 0) != 0)
    throw OpError(
        "transA = 1 would put the batch in the columns of A; gradflow's Linear "
        "reads one sample per row");
  int64_t in = 0, out = 0;
  std::vector<float> w = linear_weight(im.input(1), im.attr_int("transB", 0) != 0,
                                       im.attr_float("alpha", 1.0), &in, &out);
  const OnnxValue c = im.input(2);
  const double beta = im.attr_float("beta", 1.0);
  if (c.absent() || beta == 0.0) {
    claim_linear(im, 1, a, in, out, w, nullptr);
  } else {
    const std::vector<float> bias = linear_bias(c, out, beta);
    claim_linear(im, 1, a, in, out, w, &bias);
  }
  return true;
}

// MatMul by a constant [in, out], and the Add of a constant bias right after it if there is one.
bool import_matmul(OnnxImport& im) {
  const OnnxValue a = im.input(0);
  const OnnxValue b = im.input(1);
  if (!a.runtime() || !b.constant() || (a.shape_known && a.shape.size() != 1)) return false;
  int64_t in = 0, out = 0;
  std::vector<float> w = linear_weight(b, false, 1.0, &in, &out);
  if (im.is("Add", 1)) {
    const OnnxValue l = im.input(0, 1), r = im.input(1, 1);
    const OnnxValue& c = l.constant() ? l : r;
    if (c.constant() && (l.runtime() || r.runtime())) {
      const std::vector<float> bias = linear_bias(c, out, 1.0);
      claim_linear(im, 2, a, in, out, w, &bias);
      return true;
    }
  }
  claim_linear(im, 1, a, in, out, w, nullptr);
  return true;
}

// Y = X W^T + b over rank-1 samples; owns "weight" [out, in] and optionally "bias" [out].
class Linear final : public Op {
 public:
  static OpSchema schema() {
    return OpSchema("Linear",
                    "Fully connected layer: y = x W^T + b, with weight [out, in] and bias [out].")
        .input("x")
        .attr(attr::integer("out_features").range(1, 1e7).doc("number of outputs per sample"))
        .attr(attr::init("init").default_value("xavier").doc("initialisation of the weight"))
        .attr(attr::boolean("bias").default_value(true).doc("whether the layer has a bias"))
        .attr(attr::init("bias_init").default_value("zeros").doc("initialisation of the bias"));
  }

  static std::unique_ptr<Linear> create(const Attrs& attrs, NodeSetup& setup) {
    require_input_count(setup, 1, "Linear");
    const Shape& x = setup.input_shape(0);
    if (x.size() != 1)
      throw OpError("Linear expects an input of shape [in_features] per sample (rank 1), got " +
                    shape_text(x) + " (rank " + std::to_string(x.size()) +
                    "); put a Flatten in front of it");
    require_positive_dims(x, "Linear input");
    const int64_t in = x[0];
    const int64_t out = attrs.integer("out_features");
    if (out < 1)
      throw OpError("Linear out_features must be at least 1, got " + std::to_string(out));
    require_blas_size(in, "Linear in_features");
    require_blas_size(out, "Linear out_features");
    const bool has_bias = attrs.boolean("bias");
    setup.set_output({out});
    setup.add_param("weight", {out, in}, attrs.init("init"));
    if (has_bias) setup.add_param("bias", {out}, attrs.init("bias_init"));
    const double mnk = 2.0 * static_cast<double>(in) * static_cast<double>(out);
    setup.set_flops(mnk, mnk, mnk);
    return std::make_unique<Linear>(in, out, has_bias);
  }

  Linear(int64_t in_features, int64_t out_features, bool has_bias)
      : in_(in_features), out_(out_features), has_bias_(has_bias) {}

  // Gemm with transB = 1 reads the weight as it is stored, [out, in].
  void onnx_export(OnnxExport& ex) const {
    std::vector<std::string> in{ex.input(0), ex.tensor("weight")};
    if (has_bias_) in.push_back(ex.tensor("bias"));
    ex.add("Gemm", in, {ex.output()}, {{"transB", 1}});
  }
  static bool onnx_import(OnnxImport& im) {
    if (im.is("Gemm")) return import_gemm(im);
    if (im.is("MatMul")) return import_matmul(im);
    return false;
  }

  void forward(const ForwardContext& c) override {
    const View& x = c.in(0);
    check(x, c.out, c.params);
    const int rows = static_cast<int>(x.rows);
    // Pre-filling Y with the bias lets one sgemm (beta = 1) add X W^T on top of it.
    float beta = 0.0f;
    if (has_bias_) {
      const float* b = c.param(1).data;
      for (int64_t r = 0; r < c.out.rows; ++r) std::copy(b, b + out_, c.out.row(r));
      beta = 1.0f;
    }
    // OpenBLAS splits the product over --threads itself (runtime/threads.hpp).
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, n_out(), n_in(), 1.0f, x.data,
                n_in(), c.param(0).data, n_in(), beta, c.out.data, n_out());
  }

  void backward(const BackwardContext& c) override {
    const View& x = c.in(0);
    const View& dy = c.out_grad;
    check(x, dy, c.params);
    const int rows = static_cast<int>(x.rows);
    // A null parameter gradient means the host froze that parameter.
    // dW += dY^T X
    if (c.param_grad(0))
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n_out(), n_in(), rows, 1.0f, dy.data,
                  n_out(), x.data, n_in(), 1.0f, c.param_grad(0).data, n_in());
    if (has_bias_ && c.param_grad(1)) {
      float* db = c.param_grad(1).data;
      for (int64_t r = 0; r < dy.rows; ++r) {
        const float* g = dy.row(r);
        for (int64_t j = 0; j < out_; ++j) db[j] += g[j];
      }
    }
    if (const View& dx = c.in_grad(0)) {
      require_same_layout(dx, x, "Linear input gradient", "Linear input");
      // dX += dY W
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, n_in(), n_out(), 1.0f, dy.data,
                  n_out(), c.param(0).data, n_in(), 1.0f, dx.data, n_in());
    }
  }

  void explain(Explain& e) const {
    e.forward(has_bias_ ? "{out} = {x} {weight}ᵀ + {bias}" : "{out} = {x} {weight}ᵀ");
    e.input_grad(0, "{grad x} += {grad out} {weight}");
    e.param_grad(0, "{grad weight} += ({grad out})ᵀ {x}");
    if (has_bias_) e.param_grad(1, "{grad bias} += Σ_b ({grad out})_b");
  }

 private:
  int n_in() const { return static_cast<int>(in_); }
  int n_out() const { return static_cast<int>(out_); }
  // The host allocates every view; a mismatch would be a host bug, cheaper to report than to
  // read out of bounds.
  void check(const View& x, const View& y, std::span<const View> params) const {
    require_cols(x, in_, "Linear input");
    require_cols(y, out_, "Linear output");
    if (x.rows != y.rows) throw OpError("Linear output batch differs from its input batch");
    require_blas_size(x.rows, "Linear batch size");
    if (params.size() != (has_bias_ ? 2u : 1u) || params[0].size() != in_ * out_ ||
        (has_bias_ && params[1].size() != out_))
      throw OpError("Linear parameters have the wrong sizes");
  }

  int64_t in_;
  int64_t out_;
  bool has_bias_;
};

}  // namespace

const gf_op_def* linear_op() {
  return op_definition<Linear>();
}

}  // namespace gradflow::builtin
