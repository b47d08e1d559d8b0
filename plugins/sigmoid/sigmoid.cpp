// Sigmoid, the practical's fourth activation, as an out-of-tree op plugin.
#include <gradflow/op.hpp>

#include <cmath>
#include <memory>
#include <span>

namespace {

using namespace gradflow;

class Sigmoid : public Op {
 public:
  static OpSchema schema() {
    OpSchema s;
    s.name = "Sigmoid";
    s.doc = "Elementwise logistic function 1 / (1 + exp(-x)); the output has the input's shape.";
    s.inputs = {"x"};
    return s;
  }

  static std::unique_ptr<Sigmoid> create(const Attrs& /*attrs*/, NodeSetup& setup) {
    setup.set_output(setup.input_shape(0));
    return std::make_unique<Sigmoid>();
  }

  void forward(std::span<const View> in, std::span<const View> /*params*/,
               const View& out) override {
    const View& x = in[0];
    for (int64_t i = 0; i < x.size(); ++i) {
      // exp() only ever sees a non-positive argument, so it cannot overflow for large |x|.
      float e = std::exp(-std::abs(x[i]));
      out[i] = x[i] >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
    }
  }

  void backward(std::span<const View> /*in*/, std::span<const View> /*params*/, const View& out,
                const View& out_grad, std::span<const View> in_grads,
                std::span<const View> /*param_grads*/) override {
    const View& dx = in_grads[0];
    if (!dx) return;  // the input needs no gradient (e.g. it is the data)
    // The output already holds s = sigmoid(x), and ds/dx = s (1 - s). Add, never assign:
    // the input may feed other nodes too.
    for (int64_t i = 0; i < out.size(); ++i) dx[i] += out_grad[i] * out[i] * (1.0f - out[i]);
  }
};

}  // namespace

GRADFLOW_PLUGIN("gradflow-sigmoid", Sigmoid)
