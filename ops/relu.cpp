#include "builtin_ops.hpp"

#include <gradflow/elementwise.hpp>

namespace gradflow::builtin {
namespace {

class ReLU final : public Elementwise<ReLU> {
 public:
  static OpSchema schema() {
    return elementwise_schema("ReLU",
                              "Elementwise rectifier max(0, x); the output has the input's shape.");
  }
  [[maybe_unused]] static constexpr const char* kFormula = "max(0, {x})";
  [[maybe_unused]] static constexpr const char* kDerivative = "[{x} > 0]";
  float f(float x) const { return x > 0.0f ? x : 0.0f; }
  // The subgradient at 0 is taken as 0, so a unit that is exactly off stays off.
  float df(float x, float /*y*/) const { return x > 0.0f ? 1.0f : 0.0f; }

  void onnx_export(OnnxExport& ex) const { ex.add("Relu", {ex.input(0)}, {ex.output()}); }
  static bool onnx_import(OnnxImport& im) { return im.take_same("Relu"); }
};

}  // namespace

const gf_op_def* relu_op() {
  return op_definition<ReLU>();
}

}  // namespace gradflow::builtin
