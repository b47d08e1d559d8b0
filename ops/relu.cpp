#include "builtin_ops.hpp"
#include "op_checks.hpp"

namespace gradflow::builtin {

OpSchema ReLU::schema() {
  OpSchema s;
  s.name = "ReLU";
  s.doc = "Elementwise rectifier max(0, x); the output has the input's shape.";
  s.inputs = {"x"};
  return s;
}

std::unique_ptr<ReLU> ReLU::create(const Attrs& /*attrs*/, NodeSetup& setup) {
  require_input_count(setup, 1, "ReLU");
  require_positive_dims(setup.input_shape(0), "ReLU input");
  setup.set_output(setup.input_shape(0));
  return std::make_unique<ReLU>();
}

void ReLU::forward(std::span<const View> in, std::span<const View> /*params*/, const View& out) {
  const View& x = in[0];
  require_same_layout(x, out, "ReLU input", "ReLU output");
  for (int64_t i = 0; i < x.size(); ++i) out[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void ReLU::backward(std::span<const View> in, std::span<const View> /*params*/, const View& /*out*/,
                    const View& out_grad, std::span<const View> in_grads,
                    std::span<const View> /*param_grads*/) {
  const View& x = in[0];
  const View& dx = in_grads[0];
  if (!dx) return;
  require_same_layout(x, out_grad, "ReLU input", "ReLU output gradient");
  require_same_layout(x, dx, "ReLU input", "ReLU input gradient");
  // The subgradient at 0 is taken as 0, so a unit that is exactly off stays off.
  for (int64_t i = 0; i < x.size(); ++i)
    if (x[i] > 0.0f) dx[i] += out_grad[i];
}

}  // namespace gradflow::builtin
