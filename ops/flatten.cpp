#include "builtin_ops.hpp"
#include "op_checks.hpp"
#include "same_values.hpp"

namespace gradflow::builtin {
namespace {

class Flatten final : public SameValues {
 public:
  static OpSchema schema() {
    return OpSchema("Flatten",
                    "Each sample as one vector: [C, H, W] -> [C*H*W], values in row-major "
                    "order (PyTorch's Flatten, ONNX's Flatten with axis 1).")
        .input("x");
  }

  static std::unique_ptr<Flatten> create(const Attrs& /*attrs*/, NodeSetup& setup) {
    require_input_count(setup, 1, "Flatten");
    const Shape& x = setup.input_shape(0);
    require_positive_dims(x, "Flatten input");
    setup.set_output({numel(x)});
    setup.set_flops(0, 0, static_cast<double>(numel(x)));
    return std::make_unique<Flatten>();
  }
};

}  // namespace

const gf_op_def* flatten_op() {
  return op_definition<Flatten>();
}

}  // namespace gradflow::builtin
