// One of two plugins that both define an op called "Twin": loading both must fail with a
// message naming both files.
#include <gradflow/op.hpp>

namespace {

class Twin : public gradflow::Op {
 public:
  static gradflow::OpSchema schema() {
    gradflow::OpSchema s;
    s.name = "Twin";
    s.doc = "Identity (second of two plugins defining it).";
    s.inputs = {"x"};
    return s;
  }
  static std::unique_ptr<Twin> create(const gradflow::Attrs&, gradflow::NodeSetup& setup) {
    setup.set_output(setup.input_shape(0));
    return std::make_unique<Twin>();
  }
  void forward(std::span<const gradflow::View> in, std::span<const gradflow::View>,
               const gradflow::View& out) override {
    for (int64_t i = 0; i < out.size(); ++i) out[i] = in[0][i];
  }
};

}  // namespace

GRADFLOW_PLUGIN("twin-b", Twin)
