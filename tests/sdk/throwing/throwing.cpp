// An op that accepts any graph but fails when it runs, like a plugin with a bug or one that
// meets data it cannot handle.
#include <gradflow/op.hpp>

#include <memory>
#include <span>
#include <stdexcept>

namespace {

class Explode : public gradflow::Op {
 public:
  static gradflow::OpSchema schema() {
    gradflow::OpSchema s;
    s.name = "Explode";
    s.doc = "Test op: forward throws std::runtime_error.";
    s.inputs = {"x"};
    return s;
  }
  static std::unique_ptr<Explode> create(const gradflow::Attrs& /*attrs*/,
                                         gradflow::NodeSetup& setup) {
    setup.set_output(setup.input_shape(0));
    return std::make_unique<Explode>();
  }
  void forward(std::span<const gradflow::View> /*in*/, std::span<const gradflow::View> /*params*/,
               const gradflow::View& /*out*/) override {
    throw std::runtime_error("boom: the test op always fails");
  }
};

}  // namespace

GRADFLOW_PLUGIN("gradflow-test-throwing", Explode)
