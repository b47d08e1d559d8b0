// Ops whose output holds their input's values unchanged under another per-sample shape
// (Flatten, Reshape): forward copies, backward adds the output gradient back.
#pragma once

#include "op_checks.hpp"

#include <gradflow/op.hpp>

#include <algorithm>

namespace gradflow::builtin {

class SameValues : public Op {
 public:
  void forward(const ForwardContext& c) override {
    require_same_size(c.in(0), c.out);
    std::copy(c.in(0).data, c.in(0).data + c.in(0).size(), c.out.data);
  }
  void backward(const BackwardContext& c) override {
    const View& dx = c.in_grad(0);
    if (!dx) return;
    require_same_size(dx, c.out_grad);
    const float* __restrict dy = c.out_grad.data;
    float* __restrict d = dx.data;
    for (int64_t i = 0; i < dx.size(); ++i) d[i] += dy[i];
  }
  void explain(Explain& e) const {
    e.forward("{out} = {x}, the same values in row-major order, shaped {shape out}");
    e.input_grad(0, "{grad x} += {grad out}, shaped back to {shape x}");
  }

 private:
  static void require_same_size(const View& a, const View& b) {
    if (a.rows != b.rows || a.size() != b.size())
      throw OpError("input and output hold " + std::to_string(a.size()) + " and " +
                    std::to_string(b.size()) + " values");
  }
};

}  // namespace gradflow::builtin
