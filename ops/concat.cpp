#include "builtin_ops.hpp"
#include "op_checks.hpp"

#include <gradflow/op.hpp>

#include <algorithm>
#include <optional>
#include <string>

namespace gradflow::builtin {
namespace {

// ONNX Concat of two computed values on axis 1 (the first after the batch).
bool import_concat(OnnxImport& im) {
  if (!im.is("Concat")) return false;
  if (im.input_count() != 2)
    throw OpError("it joins " + std::to_string(im.input_count()) +
                  " inputs; gradflow's Concat joins two (chain them)");
  const OnnxValue a = im.input(0), b = im.input(1);
  if (!a.runtime() || !b.runtime())
    throw OpError("it joins a constant; gradflow's Concat joins two computed values");
  const int64_t rank = static_cast<int64_t>(a.known_shape().size()) + 1;
  const std::optional<int64_t> axis = im.find_int("axis");
  if (!axis) throw OpError("there is no axis (ONNX requires one)");
  if (*axis != 1 && *axis != 1 - rank)
    throw OpError("axis " + std::to_string(*axis) + " of a rank-" + std::to_string(rank) +
                  " tensor: gradflow's Concat joins along axis 1, the first after the batch");
  im.claim(1);
  im.add_input(0);
  im.add_input(1);
  return true;
}

// Two inputs joined along their first per-sample dimension: channels of [C, H, W], features
// of [F] (PyTorch's cat on dim 1, ONNX's Concat on axis 1).
class Concat final : public Op {
 public:
  static OpSchema schema() {
    return OpSchema("Concat",
                    "Joins two inputs along channels ([C1, H, W] and [C2, H, W] -> "
                    "[C1 + C2, H, W]) or features ([F1] and [F2] -> [F1 + F2]).")
        .input("a")
        .input("b");
  }

  static std::unique_ptr<Concat> create(const Attrs& /*attrs*/, NodeSetup& setup) {
    require_input_count(setup, 2, "Concat");
    const Shape& a = setup.input_shape(0);
    const Shape& b = setup.input_shape(1);
    if (a.empty() || a.size() != b.size() || !std::equal(a.begin() + 1, a.end(), b.begin() + 1))
      throw OpError(
          "Concat joins along the first dimension and needs the others equal: 'a' "
          "has shape " +
          shape_text(a) + ", 'b' has shape " + shape_text(b));
    require_positive_dims(a, "Concat input 'a'");
    require_positive_dims(b, "Concat input 'b'");
    Shape out = a;
    out[0] += b[0];
    setup.set_output(out);
    setup.set_flops(0, 0, static_cast<double>(numel(out)));
    return std::make_unique<Concat>(numel(a), numel(b));
  }

  Concat(int64_t a_size, int64_t b_size) : a_(a_size), b_(b_size) {}

  // gradflow's axis 0 of a sample is ONNX's axis 1 (after the batch).
  void onnx_export(OnnxExport& ex) const {
    ex.add("Concat", {ex.input(0), ex.input(1)}, {ex.output()}, {{"axis", 1}});
  }
  static bool onnx_import(OnnxImport& im) { return import_concat(im); }

  void explain(Explain& e) const {
    e.forward(
        "{out} = {a} then {b} along the first dimension: {shape a} and {shape b} give {shape out}");
    e.input_grad(
        0, "{grad a} += the first " + std::to_string(a_) + " values of each sample of {grad out}");
    e.input_grad(
        1, "{grad b} += the last " + std::to_string(b_) + " values of each sample of {grad out}");
  }

  void forward(const ForwardContext& c) override {
    check(c.in(0), c.in(1), c.out);
    for (int64_t r = 0; r < c.out.rows; ++r) {
      std::copy(c.in(0).row(r), c.in(0).row(r) + a_, c.out.row(r));
      std::copy(c.in(1).row(r), c.in(1).row(r) + b_, c.out.row(r) + a_);
    }
  }

  void backward(const BackwardContext& c) override {
    const int64_t offsets[2] = {0, a_};
    for (size_t k = 0; k < 2; ++k) {
      const View& d = c.in_grad(k);
      if (!d) continue;
      require_same_layout(d, c.in(k), "Concat input gradient", "its input");
      require_same_layout(c.out_grad, c.out, "Concat output gradient", "its output");
      for (int64_t r = 0; r < d.rows; ++r) {
        const float* dy = c.out_grad.row(r) + offsets[k];
        float* dx = d.row(r);
        for (int64_t i = 0; i < d.cols; ++i) dx[i] += dy[i];
      }
    }
  }

 private:
  void check(const View& a, const View& b, const View& y) const {
    require_cols(a, a_, "Concat input 'a'");
    require_cols(b, b_, "Concat input 'b'");
    require_cols(y, a_ + b_, "Concat output");
    if (a.rows != y.rows || b.rows != y.rows)
      throw OpError("Concat inputs and output differ in batch size");
  }

  int64_t a_;  // values per sample of 'a'
  int64_t b_;
};

}  // namespace

const gf_op_def* concat_op() {
  return op_definition<Concat>();
}

}  // namespace gradflow::builtin
