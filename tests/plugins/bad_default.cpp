// An op whose own default lies outside its own declared range: the plugin is at fault, not
// the graph that loads it, and the message must say so.
#include <gradflow/op.hpp>

namespace {

using namespace gradflow;

class BadDefault : public Op {
 public:
  static OpSchema schema() {
    return OpSchema("BadDefault", "default outside its range")
        .input("x")
        .attr(attr::number("slope").default_value(5.0).range(0, 1).doc("a slope in [0, 1]"));
  }
  static std::unique_ptr<BadDefault> create(const Attrs&, NodeSetup& setup) {
    setup.set_output(setup.input_shape(0));
    return std::make_unique<BadDefault>();
  }
  void forward(const ForwardContext&) override {}
};

}  // namespace

GRADFLOW_PLUGIN("bad-default", BadDefault)
