// A plugin of ABI 1.0 (frozen headers) whose create() never calls set_output: the host sees
// its zeroed node description, an output without a batch dimension, from an op that is not a
// loss.
#include <gradflow/op.hpp>

namespace {

using namespace gradflow;

class OldNoOutput : public Op {
 public:
  static OpSchema schema() {
    OpSchema s;
    s.name = "OldNoOutput";
    s.doc = "forgets set_output, built against plugin ABI 1.0";
    s.inputs = {"x"};
    return s;
  }
  static std::unique_ptr<OldNoOutput> create(const Attrs&, NodeSetup&) {
    return std::make_unique<OldNoOutput>();
  }
  void forward(std::span<const View>, std::span<const View>, const View&) override {}
};

}  // namespace

GRADFLOW_PLUGIN("abi-1-0-no-output", OldNoOutput)
