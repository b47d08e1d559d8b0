#include "builtin_ops.hpp"
#include "onnx_shape.hpp"
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

  void onnx_export(OnnxExport& ex) const {
    ex.add("Flatten", {ex.input(0)}, {ex.output()}, {{"axis", 1}});
  }
  static bool onnx_import(OnnxImport& im) {
    if (!im.is("Flatten") || !im.input(0).runtime()) return false;
    const int64_t axis = onnx_flatten_axis(im, 0, im.input(0).known_shape().size());
    if (axis != 1)
      throw OpError("Flatten axis " + std::to_string(axis) +
                    " would move dimensions into or out of the batch; gradflow's Flatten is "
                    "axis 1 (each sample one vector)");
    im.claim(1);
    im.add_input(0);
    return true;
  }
};

}  // namespace

const gf_op_def* flatten_op() {
  return op_definition<Flatten>();
}

}  // namespace gradflow::builtin
