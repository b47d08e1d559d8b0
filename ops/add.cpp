#include "builtin_ops.hpp"
#include "op_checks.hpp"

#include <gradflow/op.hpp>

namespace gradflow::builtin {
namespace {

// ONNX Add of two computed values of one shape (a bias Add after a MatMul is Linear's).
bool import_add(OnnxImport& im) {
  if (!im.is("Add")) return false;
  const OnnxValue a = im.input(0), b = im.input(1);
  for (const OnnxValue* v : {&a, &b})
    if (v->constant())
      throw OpError("it adds the constant '" + v->name +
                    "'; gradflow's Add sums two computed values of one shape (a bias is "
                    "imported only in a MatMul + Add)");
  if (!a.runtime() || !b.runtime()) return false;
  if (a.known_shape() != b.known_shape())
    throw OpError("it broadcasts '" + a.name + "' " + shape_text(a.shape) + " and '" + b.name +
                  "' " + shape_text(b.shape) + "; gradflow's Add needs equal shapes");
  im.claim(1);
  im.add_input(0);
  im.add_input(1);
  return true;
}

// a + b elementwise, for residual connections: both gradients are the output's.
class Add final : public Op {
 public:
  static OpSchema schema() {
    return OpSchema("Add", "Elementwise sum of two inputs of the same shape (residual blocks).")
        .input("a")
        .input("b");
  }

  static std::unique_ptr<Add> create(const Attrs& /*attrs*/, NodeSetup& setup) {
    require_input_count(setup, 2, "Add");
    const Shape& a = setup.input_shape(0);
    const Shape& b = setup.input_shape(1);
    if (a != b)
      throw OpError("Add: 'a' has shape " + shape_text(a) + " but 'b' has shape " + shape_text(b) +
                    "; they must be equal");
    require_positive_dims(a, "Add input");
    setup.set_output(a);
    const double n = static_cast<double>(numel(a));
    setup.set_flops(n, 0, 2 * n);
    return std::make_unique<Add>();
  }

  void onnx_export(OnnxExport& ex) const {
    ex.add("Add", {ex.input(0), ex.input(1)}, {ex.output()});
  }
  static bool onnx_import(OnnxImport& im) { return import_add(im); }

  void explain(Explain& e) const {
    e.forward("{out} = {a} + {b}");
    e.input_grad(0, "{grad a} += {grad out}");
    e.input_grad(1, "{grad b} += {grad out}");
  }

  void forward(const ForwardContext& c) override {
    require_same_layout(c.in(0), c.out, "Add input 'a'", "its output");
    require_same_layout(c.in(1), c.out, "Add input 'b'", "its output");
    const float* __restrict a = c.in(0).data;
    const float* __restrict b = c.in(1).data;
    float* __restrict y = c.out.data;
    for (int64_t i = 0; i < c.out.size(); ++i) y[i] = a[i] + b[i];
  }

  void backward(const BackwardContext& c) override {
    for (size_t k = 0; k < 2; ++k) {
      const View& d = c.in_grad(k);
      if (!d) continue;
      require_same_layout(d, c.out_grad, "Add input gradient", "its output gradient");
      const float* __restrict dy = c.out_grad.data;
      float* __restrict dx = d.data;
      for (int64_t i = 0; i < d.size(); ++i) dx[i] += dy[i];
    }
  }
};

}  // namespace

const gf_op_def* add_op() {
  return op_definition<Add>();
}

}  // namespace gradflow::builtin
