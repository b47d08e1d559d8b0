// "Round": a forward-only op (its class defines no backward). Fine where no gradient flows
// through it; the planner must reject a graph whose loss needs its backward.
#include <gradflow/op.hpp>

#include <cmath>

namespace {

class Round : public gradflow::Op {
 public:
  static gradflow::OpSchema schema() {
    return gradflow::OpSchema("Round", "Rounds to the nearest integer; has no gradient.")
        .input("x");
  }
  static std::unique_ptr<Round> create(const gradflow::Attrs&, gradflow::NodeSetup& setup) {
    setup.set_output(setup.input_shape(0));
    return std::make_unique<Round>();
  }
  void forward(const gradflow::ForwardContext& c) override {
    for (int64_t i = 0; i < c.out.size(); ++i) c.out[i] = std::round(c.in(0)[i]);
  }
};

}  // namespace

GRADFLOW_PLUGIN("not-differentiable", Round)
