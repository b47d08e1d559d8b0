// Sigmoid, the practical's fourth activation, as an out-of-tree op plugin. An elementwise op
// is two functions: the value f(x), and its derivative given the input and the output.
#include <gradflow/elementwise.hpp>

#include <cmath>

namespace {

using namespace gradflow;

class Sigmoid : public Elementwise<Sigmoid> {
 public:
  static OpSchema schema() {
    return elementwise_schema(
        "Sigmoid",
        "Elementwise logistic function 1 / (1 + exp(-x)); the output has the input's shape.");
  }

  // For `graph-runner explain`: f and f' in the notation of gf_explain. ([[maybe_unused]]: clang
  // warns that they are unused, though the base class reads them.)
  [[maybe_unused]] static constexpr const char* kFormula = "1 / (1 + exp(−{x}))";
  [[maybe_unused]] static constexpr const char* kDerivative = "{out} (1 − {out})";

  float f(float x) const {
    // exp() only ever sees a non-positive argument, so it cannot overflow for large |x|.
    const float e = std::exp(-std::abs(x));
    return x >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
  }

  // The output already holds s = sigmoid(x), and ds/dx = s (1 - s).
  float df(float /*x*/, float s) const { return s * (1.0f - s); }

  // ONNX has the same op, so `graph-runner export` and `import` map it one to one.
  void onnx_export(OnnxExport& ex) const { ex.add("Sigmoid", {ex.input(0)}, {ex.output()}); }
  static bool onnx_import(OnnxImport& im) { return im.take_same("Sigmoid"); }
};

}  // namespace

GRADFLOW_PLUGIN("gradflow-sigmoid", Sigmoid)
