// "Round": a forward-only op (schema.differentiable = false). Fine where no gradient flows
// through it; the planner must reject a graph whose loss needs its backward.
#include <gradflow/op.hpp>

#include <cmath>

namespace {

class Round : public gradflow::Op {
 public:
  static gradflow::OpSchema schema() {
    gradflow::OpSchema s;
    s.name = "Round";
    s.doc = "Rounds to the nearest integer; has no gradient.";
    s.inputs = {"x"};
    s.differentiable = false;
    return s;
  }
  static std::unique_ptr<Round> create(const gradflow::Attrs&, gradflow::NodeSetup& setup) {
    setup.set_output(setup.input_shape(0));
    return std::make_unique<Round>();
  }
  void forward(std::span<const gradflow::View> in, std::span<const gradflow::View>,
               const gradflow::View& out) override {
    for (int64_t i = 0; i < out.size(); ++i) out[i] = std::round(in[0][i]);
  }
};

}  // namespace

GRADFLOW_PLUGIN("not-differentiable", Round)
