#include "builtin_ops.hpp"
#include "fast_math.hpp"

#include <gradflow/elementwise.hpp>

namespace gradflow::builtin {
namespace {

class Tanh final : public Elementwise<Tanh> {
 public:
  static OpSchema schema() {
    return elementwise_schema("Tanh",
                              "Elementwise hyperbolic tangent; the output has the input's shape.");
  }
  [[maybe_unused]] static constexpr const char* kFormula = "tanh({x})";
  [[maybe_unused]] static constexpr const char* kDerivative = "1 − {out}²";
  float f(float x) const { return tanh_vec(x); }
  // The output already holds tanh(x), so the derivative needs no second tanh.
  float df(float /*x*/, float y) const { return 1.0f - y * y; }

  void onnx_export(OnnxExport& ex) const { ex.add("Tanh", {ex.input(0)}, {ex.output()}); }
  static bool onnx_import(OnnxImport& im) { return im.take_same("Tanh"); }
};

}  // namespace

const gf_op_def* tanh_op() {
  return op_definition<Tanh>();
}

}  // namespace gradflow::builtin
