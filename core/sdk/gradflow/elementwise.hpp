// Elementwise ops in two small functions, like tiny-dnn's activation layers: derive from
// Elementwise<YourOp> and define
//   float f(float x) const            the output for one input value
//   float df(float x, float y) const  dy/dx, given the input x and the output y = f(x)
// The base class does the rest: one input named "x", output of the input's shape, the loops
// over the batch (split across the host's threads when large), and backward adding
// out_grad * df into the input's gradient. Give f and df no branches where you can: the loops
// then vectorise. For `graph-runner explain`, also define the two as formulas in the notation
// of gf_explain ({x} the input, {out} the output):
//   [[maybe_unused]] static constexpr const char* kFormula = "tanh({x})";
//   [[maybe_unused]] static constexpr const char* kDerivative = "1 − {out}²";
//
//   struct LeakyReLU : Elementwise<LeakyReLU> {
//     static OpSchema schema() {
//       return elementwise_schema("LeakyReLU", "max(x, slope x)")
//           .attr(attr::number("slope").default_value(0.01).range(0, 1).doc("negative slope"));
//     }
//     static std::unique_ptr<LeakyReLU> create(const Attrs& a, NodeSetup& setup) {
//       auto op = Elementwise::create(a, setup);
//       op->slope = static_cast<float>(a.real("slope"));
//       return op;
//     }
//     [[maybe_unused]] static constexpr const char* kFormula = "max({x}, slope·{x})";
//     [[maybe_unused]] static constexpr const char* kDerivative = "[{x} > 0] + slope·[{x} ≤ 0]";
//     float f(float x) const { return x > 0 ? x : slope * x; }
//     float df(float x, float) const { return x > 0 ? 1.0f : slope; }
//     float slope = 0.01f;
//   };
#pragma once

#include <gradflow/op.hpp>

#include <concepts>
#include <cstdint>
#include <memory>
#include <string>

namespace gradflow {

inline OpSchema elementwise_schema(std::string name, std::string doc) {
  return OpSchema(std::move(name), std::move(doc)).input("x");
}

template <class T>
concept HasElementwiseFormula = requires {
  { T::kFormula } -> std::convertible_to<const char*>;
  { T::kDerivative } -> std::convertible_to<const char*>;
};

template <class Derived>
class Elementwise : public Op {
 public:
  // Below this many values a call stays on one thread: waking another costs more.
  static constexpr int64_t kGrain = 1 << 15;

  static std::unique_ptr<Derived> create(const Attrs& /*attrs*/, NodeSetup& setup) {
    if (setup.input_shapes().size() != 1)
      throw OpError("an elementwise op takes one input, got " +
                    std::to_string(setup.input_shapes().size()));
    for (int64_t d : setup.input_shape(0))
      if (d < 1) throw OpError("input shape " + shape_text(setup.input_shape(0)) + " is empty");
    setup.set_output(setup.input_shape(0));
    const double n = static_cast<double>(numel(setup.input_shape(0)));
    setup.set_flops(n, 0, 2 * n);
    return std::make_unique<Derived>();
  }

  void forward(const ForwardContext& c) override {
    const Derived& self = static_cast<const Derived&>(*this);
    const float* __restrict x = c.in(0).data;
    float* __restrict y = c.out.data;
    check_sizes(c.in(0), c.out);
    c.host.parallel_for(c.out.size(), kGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) y[i] = self.f(x[i]);
    });
  }

  void explain(Explain& e) const requires HasElementwiseFormula<Derived> {
    e.forward(std::string("{out} = ") + Derived::kFormula);
    e.input_grad(0, std::string("{grad x} += {grad out} ⊙ (") + Derived::kDerivative + ")");
  }

  void backward(const BackwardContext& c) override {
    if (!c.in_grad(0)) return;
    const Derived& self = static_cast<const Derived&>(*this);
    const float* __restrict x = c.in(0).data;
    const float* __restrict y = c.out.data;
    const float* __restrict dy = c.out_grad.data;
    float* __restrict dx = c.in_grad(0).data;
    check_sizes(c.in(0), c.out);
    check_sizes(c.in_grad(0), c.out_grad);
    c.host.parallel_for(c.out.size(), kGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) dx[i] += dy[i] * self.df(x[i], y[i]);
    });
  }

 private:
  static void check_sizes(const View& a, const View& b) {
    if (a.size() != b.size())
      throw OpError("elementwise op: tensors of " + std::to_string(a.size()) + " and " +
                    std::to_string(b.size()) + " values");
  }
};

}  // namespace gradflow
