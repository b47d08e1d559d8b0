#include <algorithm>
#include <cmath>

#include "builtin_ops.hpp"
#include "op_checks.hpp"

namespace gradflow::builtin {

OpSchema Softmax::schema() {
  OpSchema s;
  s.name = "Softmax";
  s.doc = "Softmax over the last dimension of each sample (numerically stable).";
  s.inputs = {"x"};
  return s;
}

std::unique_ptr<Softmax> Softmax::create(const Attrs& /*attrs*/, NodeSetup& setup) {
  require_input_count(setup, 1, "Softmax");
  const Shape& x = setup.input_shape(0);
  if (x.empty())
    throw OpError(
        "Softmax expects an input of rank >= 1 (it normalises the last dimension), "
        "got a scalar (shape [])");
  require_positive_dims(x, "Softmax input");
  setup.set_output(x);
  return std::make_unique<Softmax>(x.back());
}

void Softmax::forward(std::span<const View> in, std::span<const View> /*params*/, const View& out) {
  const View& x = in[0];
  require_same_layout(x, out, "Softmax input", "Softmax output");
  if (x.cols % last_ != 0) throw OpError("Softmax input size is not a multiple of its last dim");
  for (int64_t start = 0; start < x.size(); start += last_) {
    const float* xs = x.data + start;
    float* ys = out.data + start;
    // Subtracting the maximum keeps exp() from overflowing; the result is unchanged.
    const float top = *std::max_element(xs, xs + last_);
    double sum = 0.0;
    for (int64_t i = 0; i < last_; ++i) {
      ys[i] = std::exp(xs[i] - top);
      sum += ys[i];
    }
    const float scale = static_cast<float>(1.0 / sum);
    for (int64_t i = 0; i < last_; ++i) ys[i] *= scale;
  }
}

void Softmax::backward(std::span<const View> /*in*/, std::span<const View> /*params*/,
                       const View& out, const View& out_grad, std::span<const View> in_grads,
                       std::span<const View> /*param_grads*/) {
  const View& dx = in_grads[0];
  if (!dx) return;
  require_same_layout(out, out_grad, "Softmax output", "Softmax output gradient");
  require_same_layout(out, dx, "Softmax output", "Softmax input gradient");
  for (int64_t start = 0; start < out.size(); start += last_) {
    const float* y = out.data + start;
    const float* dy = out_grad.data + start;
    double dot = 0.0;
    for (int64_t i = 0; i < last_; ++i) dot += static_cast<double>(dy[i]) * y[i];
    for (int64_t i = 0; i < last_; ++i) dx[start + i] += y[i] * (dy[i] - static_cast<float>(dot));
  }
}

}  // namespace gradflow::builtin
