// Three ops for a residual block: Add (two inputs), Swish (elementwise, x sigmoid(x)) and Gate
// (a trained per-feature gate, y = x sigmoid(g), g starting at 2).
#include <gradflow/elementwise.hpp>
#include <gradflow/op.hpp>

#include <cmath>

namespace {

using namespace gradflow;

class Add : public Op {
 public:
  static OpSchema schema() { return OpSchema("Add", "y = a + b").input("a").input("b"); }
  static std::unique_ptr<Add> create(const Attrs&, NodeSetup& setup) {
    if (setup.input_shape(0) != setup.input_shape(1))
      throw OpError("Add needs equal shapes, got " + shape_text(setup.input_shape(0)) + " and " +
                    shape_text(setup.input_shape(1)));
    setup.set_output(setup.input_shape(0));
    return std::make_unique<Add>();
  }
  void forward(const ForwardContext& c) override {
    for (int64_t i = 0; i < c.out.size(); ++i) c.out[i] = c.in(0)[i] + c.in(1)[i];
  }
  void backward(const BackwardContext& c) override {
    for (size_t k = 0; k < 2; ++k)
      if (c.in_grad(k))
        for (int64_t i = 0; i < c.out.size(); ++i) c.in_grad(k)[i] += c.out_grad[i];
  }
};

class Swish : public Elementwise<Swish> {
 public:
  static OpSchema schema() { return elementwise_schema("Swish", "x sigmoid(x), elementwise"); }
  float f(float x) const { return x / (1.0f + std::exp(-x)); }
  float df(float x, float y) const {
    const float s = 1.0f / (1.0f + std::exp(-x));
    return y + s * (1.0f - y);
  }
};

class Gate : public Op {
 public:
  static OpSchema schema() {
    return OpSchema("Gate", "y = x sigmoid(g), a trained gate g per feature")
        .input("x")
        .attr(attr::init("init").default_value("{constant: 2}").doc("initial gate logits"));
  }
  static std::unique_ptr<Gate> create(const Attrs& attrs, NodeSetup& setup) {
    if (setup.input_shape(0).size() != 1) throw OpError("Gate expects rank-1 samples");
    setup.set_output(setup.input_shape(0));
    setup.add_param("g", setup.input_shape(0), attrs.init("init"));
    return std::make_unique<Gate>();
  }
  void forward(const ForwardContext& c) override {
    for (int64_t r = 0; r < c.out.rows; ++r)
      for (int64_t j = 0; j < c.out.cols; ++j)
        c.out.row(r)[j] = c.in(0).row(r)[j] * sigmoid(c.param(0)[j]);
  }
  void backward(const BackwardContext& c) override {
    for (int64_t r = 0; r < c.out.rows; ++r)
      for (int64_t j = 0; j < c.out.cols; ++j) {
        const float s = sigmoid(c.param(0)[j]), g = c.out_grad.row(r)[j];
        if (c.in_grad(0)) c.in_grad(0).row(r)[j] += g * s;
        if (c.param_grad(0)) c.param_grad(0)[j] += g * c.in(0).row(r)[j] * s * (1 - s);
      }
  }

 private:
  static float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }
};

}  // namespace

GRADFLOW_PLUGIN("held-out-ops", Add, Swish, Gate)
