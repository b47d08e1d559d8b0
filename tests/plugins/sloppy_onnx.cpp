// "Sloppy": an identity op whose ONNX hooks break the rules, so that the tests see the host
// refuse what a plugin hands it instead of writing a broken file.
#include <gradflow/elementwise.hpp>

class Sloppy final : public gradflow::Elementwise<Sloppy> {
 public:
  static gradflow::OpSchema schema() {
    return gradflow::elementwise_schema("Sloppy", "y = x, with ONNX hooks that break the rules");
  }
  float f(float x) const { return x; }
  float df(float /*x*/, float /*y*/) const { return 1.0f; }

  // Reads a value that nothing defines.
  void onnx_export(gradflow::OnnxExport& ex) const {
    ex.add("Identity", {"nowhere"}, {ex.output()});
  }
  // Takes ONNX Sin nodes, then hands over a tensor the op does not have.
  static bool onnx_import(gradflow::OnnxImport& im) {
    if (!im.is("Sin")) return false;
    im.claim(1);
    im.add_input(0);
    const float values[2] = {1.0f, 2.0f};
    im.tensor("bogus", values);
    return true;
  }
};

GRADFLOW_PLUGIN("sloppy-onnx", Sloppy)
