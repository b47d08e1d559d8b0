// The mistakes op authors make, one op each, all y = x * w per feature with a trained w:
//   ScaleWrongFactor   the input gradient is twice what it should be
//   ScaleAssigns       `=` in place of `+=` into the input gradient
//   ScaleNoParamGrad   forgets the gradient of its parameter
//   ScaleWritesPastEnd writes one float past the end of its parameter's gradient
// `graph-runner check` must fail each with a message naming the node, the op and the plugin,
// also where the node has a single consumer (which hides `=` from finite differences alone).
#include <gradflow/op.hpp>

namespace {

using namespace gradflow;

enum class Mistake { wrong_factor, assigns, no_param_grad, writes_past_end };

template <Mistake M>
class Scale : public Op {
 public:
  static OpSchema schema() {
    static const char* const names[] = {"ScaleWrongFactor", "ScaleAssigns", "ScaleNoParamGrad",
                                        "ScaleWritesPastEnd"};
    return OpSchema(names[static_cast<int>(M)], "y = x * w per feature, with a planted mistake")
        .input("x");
  }
  static std::unique_ptr<Scale> create(const Attrs&, NodeSetup& setup) {
    if (setup.input_shape(0).size() != 1) throw OpError("expects rank-1 samples");
    setup.set_output(setup.input_shape(0));
    setup.add_param("w", setup.input_shape(0), init::normal(1));
    return std::make_unique<Scale>();
  }
  void forward(const ForwardContext& c) override {
    for (int64_t r = 0; r < c.out.rows; ++r)
      for (int64_t j = 0; j < c.out.cols; ++j) c.out.row(r)[j] = c.in(0).row(r)[j] * c.param(0)[j];
  }
  void backward(const BackwardContext& c) override {
    const View& dx = c.in_grad(0);
    const View& dw = c.param_grad(0);
    for (int64_t r = 0; r < c.out.rows; ++r)
      for (int64_t j = 0; j < c.out.cols; ++j) {
        const float g = c.out_grad.row(r)[j];
        if (dx && M == Mistake::wrong_factor)
          dx.data[r * c.out.cols + j] += 2 * g * c.param(0)[j];
        else if (dx && M == Mistake::assigns)
          dx.data[r * c.out.cols + j] = g * c.param(0)[j];
        else if (dx)
          dx.data[r * c.out.cols + j] += g * c.param(0)[j];
        if (dw && M != Mistake::no_param_grad) dw.data[j] += g * c.in(0).row(r)[j];
      }
    // Raw pointers: a checked View would throw before the write (in debug builds).
    if (dw && M == Mistake::writes_past_end) dw.data[dw.size()] += 1.0f;
  }
};

}  // namespace

GRADFLOW_PLUGIN("planted-mistakes", Scale<Mistake::wrong_factor>, Scale<Mistake::assigns>,
                Scale<Mistake::no_param_grad>, Scale<Mistake::writes_past_end>)
