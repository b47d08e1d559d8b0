#include <cmath>

#include "builtin_ops.hpp"
#include "fast_math.hpp"
#include "op_checks.hpp"

namespace gradflow::builtin {

OpSchema Tanh::schema() {
  OpSchema s;
  s.name = "Tanh";
  s.doc = "Elementwise hyperbolic tangent; the output has the input's shape.";
  s.inputs = {"x"};
  return s;
}

std::unique_ptr<Tanh> Tanh::create(const Attrs& /*attrs*/, NodeSetup& setup) {
  require_input_count(setup, 1, "Tanh");
  require_positive_dims(setup.input_shape(0), "Tanh input");
  setup.set_output(setup.input_shape(0));
  return std::make_unique<Tanh>();
}

void Tanh::forward(std::span<const View> in, std::span<const View> /*params*/, const View& out) {
  const View& x = in[0];
  require_same_layout(x, out, "Tanh input", "Tanh output");
  const float* __restrict xs = x.data;
  float* __restrict ys = out.data;
  const int64_t n = x.size();
  for (int64_t i = 0; i < n; ++i) ys[i] = tanh_vec(xs[i]);
}

void Tanh::backward(std::span<const View> /*in*/, std::span<const View> /*params*/, const View& out,
                    const View& out_grad, std::span<const View> in_grads,
                    std::span<const View> /*param_grads*/) {
  const View& dx = in_grads[0];
  if (!dx) return;
  require_same_layout(out, out_grad, "Tanh output", "Tanh output gradient");
  require_same_layout(out, dx, "Tanh output", "Tanh input gradient");
  // The output already holds tanh(x), so the derivative needs no second tanh.
  const float* __restrict y = out.data;
  const float* __restrict dy = out_grad.data;
  float* __restrict g = dx.data;
  const int64_t n = out.size();
  for (int64_t i = 0; i < n; ++i) g[i] += dy[i] * (1.0f - y[i] * y[i]);
}

}  // namespace gradflow::builtin
