#include <cblas.h>

#include <algorithm>

#include "builtin_ops.hpp"
#include "op_checks.hpp"

namespace gradflow::builtin {

OpSchema Linear::schema() {
  OpSchema s;
  s.name = "Linear";
  s.doc = "Fully connected layer: y = x W^T + b, with weight [out, in] and bias [out].";
  s.inputs = {"x"};
  s.attrs = {
      {"out_features", GF_ATTR_INT, std::nullopt, 1, 1e7, "number of outputs per sample"},
      {"init", GF_ATTR_INIT, "xavier", -kInf, kInf, "initialisation of the weight"},
      {"bias", GF_ATTR_BOOL, "true", -kInf, kInf, "whether the layer has a bias"},
      {"bias_init", GF_ATTR_INIT, "zeros", -kInf, kInf, "initialisation of the bias"},
  };
  return s;
}

std::unique_ptr<Linear> Linear::create(const Attrs& attrs, NodeSetup& setup) {
  require_input_count(setup, 1, "Linear");
  const Shape& x = setup.input_shape(0);
  if (x.size() != 1)
    throw OpError("Linear expects an input of shape [in_features] per sample (rank 1), got " +
                  shape_text(x) + " (rank " + std::to_string(x.size()) + ")");
  require_positive_dims(x, "Linear input");
  const int64_t in = x[0];
  const int64_t out = attrs.integer("out_features");
  if (out < 1) throw OpError("Linear out_features must be at least 1, got " + std::to_string(out));
  require_blas_size(in, "Linear in_features");
  require_blas_size(out, "Linear out_features");
  const bool has_bias = attrs.boolean("bias");

  setup.set_output({out});
  setup.add_param("weight", {out, in}, attrs.init("init"));
  if (has_bias) setup.add_param("bias", {out}, attrs.init("bias_init"));
  return std::make_unique<Linear>(in, out, has_bias);
}

namespace {

void check_params(std::span<const View> params, int64_t in, int64_t out, bool has_bias) {
  const size_t expected = has_bias ? 2 : 1;
  if (params.size() != expected)
    throw OpError("Linear expects " + std::to_string(expected) + " parameter(s), got " +
                  std::to_string(params.size()));
  if (params[0].size() != in * out) throw OpError("Linear weight has the wrong size");
  if (has_bias && params[1].size() != out) throw OpError("Linear bias has the wrong size");
}

}  // namespace

void Linear::forward(std::span<const View> in, std::span<const View> params, const View& out) {
  const View& x = in[0];
  require_cols(x, in_, "Linear input");
  require_cols(out, out_, "Linear output");
  if (x.rows != out.rows) throw OpError("Linear output batch differs from its input batch");
  check_params(params, in_, out_, has_bias_);
  require_blas_size(x.rows, "Linear batch size");

  const int rows = static_cast<int>(x.rows);
  const int n_in = static_cast<int>(in_);
  const int n_out = static_cast<int>(out_);
  // Pre-filling Y with the bias lets one sgemm (beta = 1) add X W^T on top of it.
  float beta = 0.0f;
  if (has_bias_) {
    const float* b = params[1].data;
    for (int64_t r = 0; r < out.rows; ++r) std::copy(b, b + out_, out.row(r));
    beta = 1.0f;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, n_out, n_in, 1.0f, x.data, n_in,
              params[0].data, n_in, beta, out.data, n_out);
}

void Linear::backward(std::span<const View> in, std::span<const View> params, const View& /*out*/,
                      const View& out_grad, std::span<const View> in_grads,
                      std::span<const View> param_grads) {
  const View& x = in[0];
  const View& dy = out_grad;
  require_cols(x, in_, "Linear input");
  require_cols(dy, out_, "Linear output gradient");
  if (x.rows != dy.rows) throw OpError("Linear output gradient batch differs from its input");
  check_params(params, in_, out_, has_bias_);
  check_params(param_grads, in_, out_, has_bias_);
  require_blas_size(x.rows, "Linear batch size");

  const int rows = static_cast<int>(x.rows);
  const int n_in = static_cast<int>(in_);
  const int n_out = static_cast<int>(out_);
  // A null parameter gradient means the host froze that parameter.
  if (param_grads[0])
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n_out, n_in, rows, 1.0f, dy.data, n_out,
                x.data, n_in, 1.0f, param_grads[0].data, n_in);
  if (has_bias_ && param_grads[1]) {
    float* db = param_grads[1].data;
    for (int64_t r = 0; r < dy.rows; ++r) {
      const float* g = dy.row(r);
      for (int64_t j = 0; j < out_; ++j) db[j] += g[j];
    }
  }
  if (in_grads[0]) {
    require_same_layout(in_grads[0], x, "Linear input gradient", "Linear input");
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, n_in, n_out, 1.0f, dy.data, n_out,
                params[0].data, n_in, 1.0f, in_grads[0].data, n_in);
  }
}

}  // namespace gradflow::builtin
