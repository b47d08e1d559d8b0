// Two ops written against the frozen ABI 1.0 headers (tests/abi_1_0), as a plugin of that age
// was: a LeakyReLU with an attribute, and a per-feature Scale with a trained parameter. A graph
// using both must plan, pass the gradient check and train in today's gradflow.
#include <gradflow/op.hpp>

#include <limits>

namespace {

using namespace gradflow;

class LeakyReLU10 : public Op {
 public:
  static OpSchema schema() {
    OpSchema s;
    s.name = "LeakyReLU10";
    s.doc = "max(x, slope x), built against plugin ABI 1.0.";
    s.inputs = {"x"};
    s.attrs = {{"slope", GF_ATTR_FLOAT, "0.1", 0.0, 1.0, "negative slope"}};
    return s;
  }
  static std::unique_ptr<LeakyReLU10> create(const Attrs& attrs, NodeSetup& setup) {
    setup.set_output(setup.input_shape(0));
    auto op = std::make_unique<LeakyReLU10>();
    op->slope_ = static_cast<float>(attrs.real("slope"));
    return op;
  }
  void forward(std::span<const View> in, std::span<const View>, const View& out) override {
    for (int64_t i = 0; i < out.size(); ++i) out[i] = in[0][i] > 0 ? in[0][i] : slope_ * in[0][i];
  }
  void backward(std::span<const View> in, std::span<const View>, const View&, const View& out_grad,
                std::span<const View> in_grads, std::span<const View>) override {
    if (!in_grads[0]) return;
    for (int64_t i = 0; i < out_grad.size(); ++i)
      in_grads[0][i] += out_grad[i] * (in[0][i] > 0 ? 1.0f : slope_);
  }

 private:
  float slope_ = 0.1f;
};

class Scale10 : public Op {
 public:
  static OpSchema schema() {
    OpSchema s;
    s.name = "Scale10";
    s.doc = "y = x * w per feature, w trained; built against plugin ABI 1.0.";
    s.inputs = {"x"};
    s.attrs = {{"init", GF_ATTR_INIT, "{normal: 1}", -std::numeric_limits<double>::infinity(),
                std::numeric_limits<double>::infinity(), "initialisation of w"}};
    return s;
  }
  static std::unique_ptr<Scale10> create(const Attrs& attrs, NodeSetup& setup) {
    if (setup.input_shape(0).size() != 1) throw OpError("Scale10 expects rank-1 samples");
    setup.set_output(setup.input_shape(0));
    setup.add_param("w", setup.input_shape(0), attrs.init("init"));
    return std::make_unique<Scale10>();
  }
  void forward(std::span<const View> in, std::span<const View> params, const View& out) override {
    for (int64_t r = 0; r < out.rows; ++r)
      for (int64_t j = 0; j < out.cols; ++j) out.row(r)[j] = in[0].row(r)[j] * params[0][j];
  }
  void backward(std::span<const View> in, std::span<const View> params, const View&,
                const View& out_grad, std::span<const View> in_grads,
                std::span<const View> param_grads) override {
    for (int64_t r = 0; r < out_grad.rows; ++r)
      for (int64_t j = 0; j < out_grad.cols; ++j) {
        if (param_grads[0]) param_grads[0][j] += out_grad.row(r)[j] * in[0].row(r)[j];
        if (in_grads[0]) in_grads[0].row(r)[j] += out_grad.row(r)[j] * params[0][j];
      }
  }
};

}  // namespace

GRADFLOW_PLUGIN("abi-1-0-ops", LeakyReLU10, Scale10)
