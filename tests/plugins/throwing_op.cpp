// "Explode": plans fine, then throws from forward. The host must turn the exception (caught by
// the SDK at the library boundary) into an error naming the op, the node and this file.
#include <gradflow/op.hpp>

namespace {

class Explode : public gradflow::Op {
 public:
  static gradflow::OpSchema schema() {
    gradflow::OpSchema s;
    s.name = "Explode";
    s.doc = "Always fails in forward.";
    s.inputs = {"x"};
    return s;
  }
  static std::unique_ptr<Explode> create(const gradflow::Attrs&, gradflow::NodeSetup& setup) {
    setup.set_output(setup.input_shape(0));
    return std::make_unique<Explode>();
  }
  void forward(std::span<const gradflow::View>, std::span<const gradflow::View>,
               const gradflow::View&) override {
    throw std::runtime_error("kaboom from the test plugin");
  }
};

}  // namespace

GRADFLOW_PLUGIN("throwing-op", Explode)
