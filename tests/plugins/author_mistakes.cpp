// Ops with the mistakes whose messages used to mislead their authors:
//   NoOutput         create() never calls set_output
//   ReadsFloatAsInt  reads its float attribute `rate` with integer()
#include <gradflow/op.hpp>

namespace {

using namespace gradflow;

class NoOutput : public Op {
 public:
  static OpSchema schema() { return OpSchema("NoOutput", "forgets set_output").input("x"); }
  static std::unique_ptr<NoOutput> create(const Attrs&, NodeSetup&) {
    return std::make_unique<NoOutput>();
  }
  void forward(const ForwardContext&) override {}
};

class ReadsFloatAsInt : public Op {
 public:
  static OpSchema schema() {
    return OpSchema("ReadsFloatAsInt", "reads a float attribute as an int")
        .input("x")
        .attr(attr::number("rate").default_value(0.5).range(0, 1).doc("a float"));
  }
  static std::unique_ptr<ReadsFloatAsInt> create(const Attrs& attrs, NodeSetup& setup) {
    setup.set_output(setup.input_shape(0));
    (void)attrs.integer("rate");
    return std::make_unique<ReadsFloatAsInt>();
  }
  void forward(const ForwardContext&) override {}
};

}  // namespace

GRADFLOW_PLUGIN("author-mistakes", NoOutput, ReadsFloatAsInt)
