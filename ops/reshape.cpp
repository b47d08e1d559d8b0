#include "builtin_ops.hpp"
#include "onnx_shape.hpp"
#include "op_checks.hpp"
#include "same_values.hpp"

#include <utility>
#include <vector>

namespace gradflow::builtin {
namespace {

constexpr double kMaxDim = 1 << 28;

class Reshape final : public SameValues {
 public:
  static OpSchema schema() {
    return OpSchema("Reshape",
                    "Each sample under another shape with the same number of values, in "
                    "row-major order; the batch dimension is not part of `shape`.")
        .input("x")
        .attr(attr::ints("shape")
                  .range(-1, kMaxDim)
                  .doc("per-sample output shape, e.g. [1, 28, 28]; one -1 takes the rest"));
  }

  static std::unique_ptr<Reshape> create(const Attrs& attrs, NodeSetup& setup) {
    require_input_count(setup, 1, "Reshape");
    const Shape& x = setup.input_shape(0);
    require_positive_dims(x, "Reshape input");
    const Shape shape = output_shape(attrs.ints("shape"), numel(x), x);
    setup.set_output(shape);
    setup.set_flops(0, 0, static_cast<double>(numel(x)));
    return std::make_unique<Reshape>(shape);
  }

  explicit Reshape(Shape shape) : shape_(std::move(shape)) {}

  // ONNX's shape has the batch in front: 0 copies it.
  void onnx_export(OnnxExport& ex) const {
    std::vector<int64_t> target{0};
    target.insert(target.end(), shape_.begin(), shape_.end());
    ex.add("Reshape", {ex.input(0), ex.constant_ints("shape", target)}, {ex.output()});
  }
  static bool onnx_import(OnnxImport& im) {
    if (!im.is("Reshape") || !im.input(0).runtime()) return false;
    const Shape shape = onnx_reshape_target(im.input(1), im.input(0).known_shape(),
                                            im.attr_int("allowzero", 0) != 0);
    im.claim(1);
    im.set("shape", std::vector<int64_t>(shape.begin(), shape.end()));
    im.add_input(0);
    return true;
  }

 private:
  Shape shape_;  // per sample, resolved

  static Shape output_shape(Shape shape, int64_t values, const Shape& x) {
    if (shape.size() > GF_MAX_RANK)
      throw OpError("Reshape shape " + shape_text(shape) + " has rank " +
                    std::to_string(shape.size()) + ", above the limit of " +
                    std::to_string(GF_MAX_RANK));
    int64_t known = 1;
    int free = -1;
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] == 0)
        throw OpError("Reshape shape " + shape_text(shape) + " has a 0: every size is >= 1 or -1");
      if (shape[i] > 0) {
        known *= shape[i];
        if (known > values) break;  // cannot match; also keeps the product from overflowing
      } else if (free >= 0) {
        throw OpError("Reshape shape " + shape_text(shape) + " has more than one -1");
      } else {
        free = static_cast<int>(i);
      }
    }
    if (free >= 0 && known <= values && values % known == 0) shape[free] = values / known;
    if (free < 0 ? known != values : (known > values || values % known != 0))
      throw OpError("Reshape cannot turn input " + shape_text(x) + " (" + std::to_string(values) +
                    " values) into " + shape_text(shape));
    return shape;
  }
};

}  // namespace

const gf_op_def* reshape_op() {
  return op_definition<Reshape>();
}

}  // namespace gradflow::builtin
