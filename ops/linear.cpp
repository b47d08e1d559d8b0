#include "builtin_ops.hpp"
#include "op_checks.hpp"

#include <gradflow/op.hpp>

#include <cblas.h>

#include <algorithm>

namespace gradflow::builtin {
namespace {

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
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, n_out(), n_in(), 1.0f, x.data,
                n_in(), c.param(0).data, n_in(), beta, c.out.data, n_out());
  }

  void backward(const BackwardContext& c) override {
    const View& x = c.in(0);
    const View& dy = c.out_grad;
    check(x, dy, c.params);
    const int rows = static_cast<int>(x.rows);
    // A null parameter gradient means the host froze that parameter.
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
