// "Square" with a backward that is off by a factor (x instead of 2x): the gradient checker must
// catch it, also next to ReLU kinks that it is allowed to skip.
#include <gradflow/op.hpp>

namespace {

class Square : public gradflow::Op {
 public:
  static gradflow::OpSchema schema() {
    return gradflow::OpSchema("Square", "x^2 with a deliberately wrong backward.").input("x");
  }
  static std::unique_ptr<Square> create(const gradflow::Attrs&, gradflow::NodeSetup& setup) {
    setup.set_output(setup.input_shape(0));
    return std::make_unique<Square>();
  }
  void forward(const gradflow::ForwardContext& c) override {
    for (int64_t i = 0; i < c.out.size(); ++i) c.out[i] = c.in(0)[i] * c.in(0)[i];
  }
  void backward(const gradflow::BackwardContext& c) override {
    if (!c.in_grad(0)) return;
    for (int64_t i = 0; i < c.out_grad.size(); ++i) c.in_grad(0)[i] += c.out_grad[i] * c.in(0)[i];
  }
};

}  // namespace

GRADFLOW_PLUGIN("wrong-backward", Square)
