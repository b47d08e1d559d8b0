// An op that accepts any graph but fails when it runs, like a plugin with a bug or one that
// meets data it cannot handle.
#include <gradflow/op.hpp>

#include <memory>
#include <stdexcept>

namespace {

class Explode : public gradflow::Op {
 public:
  static gradflow::OpSchema schema() {
    return gradflow::OpSchema("Explode", "Test op: forward throws std::runtime_error.").input("x");
  }
  static std::unique_ptr<Explode> create(const gradflow::Attrs& /*attrs*/,
                                         gradflow::NodeSetup& setup) {
    setup.set_output(setup.input_shape(0));
    return std::make_unique<Explode>();
  }
  void forward(const gradflow::ForwardContext& /*c*/) override {
    throw std::runtime_error("boom: the test op always fails");
  }
};

}  // namespace

GRADFLOW_PLUGIN("gradflow-test-throwing", Explode)
