// "Square" with a backward that is off by a factor (x instead of 2x): the gradient checker must
// catch it, also next to ReLU kinks that it is allowed to skip.
#include <gradflow/op.hpp>

namespace {

class Square : public gradflow::Op {
 public:
  static gradflow::OpSchema schema() {
    gradflow::OpSchema s;
    s.name = "Square";
    s.doc = "x^2 with a deliberately wrong backward.";
    s.inputs = {"x"};
    return s;
  }
  static std::unique_ptr<Square> create(const gradflow::Attrs&, gradflow::NodeSetup& setup) {
    setup.set_output(setup.input_shape(0));
    return std::make_unique<Square>();
  }
  void forward(std::span<const gradflow::View> in, std::span<const gradflow::View>,
               const gradflow::View& out) override {
    for (int64_t i = 0; i < out.size(); ++i) out[i] = in[0][i] * in[0][i];
  }
  void backward(std::span<const gradflow::View> in, std::span<const gradflow::View>,
                const gradflow::View&, const gradflow::View& out_grad,
                std::span<const gradflow::View> in_grads,
                std::span<const gradflow::View>) override {
    if (!in_grads[0]) return;
    for (int64_t i = 0; i < out_grad.size(); ++i) in_grads[0][i] += out_grad[i] * in[0][i];
  }
};

}  // namespace

GRADFLOW_PLUGIN("wrong-backward", Square)
