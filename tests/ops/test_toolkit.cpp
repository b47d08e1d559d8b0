// <gradflow/testing.hpp> itself: each check passes a correct op and fails each planted
// op-author mistake with a message that says what is wrong, where.
#include "ops/builtin_ops.hpp"

#include <gradflow/op.hpp>

#include "support/alloc_counter.hpp"

#include <cstdlib>
#include <vector>

using namespace gftest;
using Catch::Matchers::Contains;
namespace gf = gradflow;

namespace {

enum Bug {
  none,
  wrong_factor,
  assigns,
  no_param_grad,
  oob_forward,
  oob_backward,
  before_start,
  writes_input,
  allocates,
  static_random
};

// y = x * w per feature, with a trained w; Mistake picks a planted bug.
template <Bug Mistake>
class Scale : public gf::Op {
 public:
  static gf::OpSchema schema() {
    return gf::OpSchema("Scale" + std::to_string(Mistake), "y = x * w").input("x");
  }
  static std::unique_ptr<Scale> create(const gf::Attrs&, gf::NodeSetup& setup) {
    setup.set_output(setup.input_shape(0));
    setup.add_param("w", setup.input_shape(0), gf::init::normal(1));
    return std::make_unique<Scale>();
  }
  void forward(const gf::ForwardContext& c) override {
    const int64_t n = c.out.cols;
    for (int64_t i = 0; i < c.out.size(); ++i)
      c.out.data[i] = c.in(0).data[i] * c.param(0).data[i % n];
    if (Mistake == oob_forward) c.out.data[c.out.size()] = 1;
    if (Mistake == writes_input) c.in(0).data[1] = 0;
    if (Mistake == allocates) scratch_ = std::vector<float>(16);
    if (Mistake == static_random) c.out.data[0] += static_cast<float>(std::rand() % 2);
  }
  void backward(const gf::BackwardContext& c) override {
    const int64_t n = c.out.cols;
    float* dx = c.in_grad(0).data;
    for (int64_t i = 0; i < c.out.size(); ++i) {
      const float g = c.out_grad.data[i], w = c.param(0).data[i % n];
      if (Mistake == wrong_factor)
        dx[i] += 2 * g * w;
      else if (Mistake == assigns)
        dx[i] = g * w;
      else
        dx[i] += g * w;
      if (Mistake != no_param_grad) c.param_grad(0).data[i % n] += g * c.in(0).data[i];
    }
    if (Mistake == oob_backward) c.param_grad(0).data[n] += 1;
    if (Mistake == before_start) dx[-1] = 0;
  }

 private:
  std::vector<float> scratch_;
};

// An op that draws from its node's stream in training, like dropout (keeps half).
class Mask : public gf::Op {
 public:
  static gf::OpSchema schema() {
    return gf::OpSchema("Mask", "keeps each value with p 1/2").input("x");
  }
  static std::unique_ptr<Mask> create(const gf::Attrs&, gf::NodeSetup& setup) {
    setup.set_output(setup.input_shape(0));
    return std::make_unique<Mask>();
  }
  void forward(const gf::ForwardContext& c) override {
    gf::Random rng = c.random();
    for (int64_t i = 0; i < c.out.size(); ++i)
      c.out.data[i] = !c.training || rng.below(2) ? c.in(0).data[i] : 0.0f;
  }
  void backward(const gf::BackwardContext& c) override {
    gf::Random rng = c.random();  // the same stream as the forward of this step
    for (int64_t i = 0; i < c.out.size(); ++i)
      if (!c.training || rng.below(2)) c.in_grad(0).data[i] += c.out_grad.data[i];
  }
};

// a + b, with the gradient of b assigned: invisible with separate buffers and zero prefill,
// wrong as soon as both inputs are the same value.
class AddAssigns : public gf::Op {
 public:
  static gf::OpSchema schema() { return gf::OpSchema("AddAssigns", "a + b").input("a").input("b"); }
  static std::unique_ptr<AddAssigns> create(const gf::Attrs&, gf::NodeSetup& setup) {
    setup.set_output(setup.input_shape(0));
    return std::make_unique<AddAssigns>();
  }
  void forward(const gf::ForwardContext& c) override {
    for (int64_t i = 0; i < c.out.size(); ++i) c.out.data[i] = c.in(0).data[i] + c.in(1).data[i];
  }
  void backward(const gf::BackwardContext& c) override {
    for (int64_t i = 0; i < c.out.size(); ++i) {
      c.in_grad(0).data[i] += c.out_grad.data[i];
      c.in_grad(1).data[i] = c.out_grad.data[i];
    }
  }
};

template <Bug B>
Report every_check() {
  Node node(op<Scale<B>>(), {{3}});
  return check_op(node, {Tensor::random({3}, 4, -1, 1, 5)});
}

void expect_failure(const Report& r, const std::string& text) {
  INFO(r);
  CHECK_FALSE(r.ok());
  CHECK_THAT(r.text(), Contains(text));
}

}  // namespace

TEST_CASE("toolkit: a correct op passes every check", "[toolkit]") {
  CHECK_REPORT(every_check<none>());
}

TEST_CASE("toolkit: each planted mistake fails with what and where", "[toolkit]") {
  expect_failure(every_check<wrong_factor>(),
                 "op Scale1: backward disagrees with finite differences for input 'x' at 12 of "
                 "12 values");
  expect_failure(every_check<assigns>(),
                 "op Scale2: backward assigns (=) into the gradient of input 'x'");
  expect_failure(every_check<no_param_grad>(),
                 "op Scale3: backward disagrees with finite differences for parameter 'w' at 3 of "
                 "3 values");
  expect_failure(every_check<no_param_grad>(), "backward leaves this gradient at zero everywhere");
  expect_failure(every_check<oob_forward>(),
                 "op Scale4 wrote outside the output in forward: up to 1 float(s) past its end");
  expect_failure(every_check<oob_backward>(),
                 "op Scale5 wrote outside the gradient of parameter 'w' in backward");
  expect_failure(every_check<before_start>(),
                 "op Scale6 wrote outside the gradient of input 'x' in backward: up to 1 "
                 "float(s) before its start");
  expect_failure(every_check<writes_input>(),
                 "op Scale7 changed input 'x' in forward, which it may only read (element 1");
  expect_failure(every_check<static_random>(), "op Scale9: two forward calls on the same inputs");
}

TEST_CASE("toolkit: an allocation in forward is named", "[toolkit]") {
  if (!gradflow::test::allocation_counter_enabled()) return;  // sanitizers own operator new
  expect_failure(every_check<allocates>(), "op Scale8 allocated memory 1 time(s) in forward");
}

TEST_CASE("toolkit: kinks are skipped and counted, not failed", "[toolkit]") {
  Node relu(builtin("ReLU"), {{6}});
  // Two values exactly at the kink and two within any step of it.
  const Tensor x =
      Tensor::of({6}, 2, {0, 1e-6f, -1e-6f, 0, 0.5f, -0.5f, 1, -1, 2, -2, 0.3f, -0.3f});
  const Report r = check_gradients(relu, {x});
  INFO(r);
  CHECK(r.ok());
  CHECK_THAT(r.text(), Contains("8 values") && Contains("4 skipped at kinks"));
}

TEST_CASE("toolkit: a value feeding both inputs exposes '=' in a small graph", "[toolkit]") {
  Node add(op<AddAssigns>(), {{3}, {3}});
  // Alone, with zero gradients, the op looks right ...
  const Tensor a = Tensor::random({3}, 2, -1, 1, 1), b = Tensor::random({3}, 2, -1, 1, 2);
  CHECK_REPORT(check_gradients(add, {a, b}));
  // ... the prefilled buffers catch it ...
  expect_failure(check_backward_adds(add, {a, b}), "assigns (=) into the gradient of input 'b'");
  // ... and so does fan-out, where it gives a wrong gradient.
  Node tanh(builtin("Tanh"), {{3}});
  Graph g(2);
  const int x = g.input("x", a);
  const int t = g.add(tanh, {x}, "t");
  g.add(add, {t, t}, "sum");
  expect_failure(check_gradients(g),
                 "the graph: backward disagrees with finite differences for input 'x'");
}

TEST_CASE("toolkit: the random stream and the training flag", "[toolkit]") {
  Node mask(op<Mask>(), {{64}});
  const Tensor x = Tensor::random({64}, 2, 0.5, 1, 3);
  CHECK_REPORT(check_random_stream(mask, {x}, true));
  // The mask is the same in forward and backward of a step: gradients check out.
  CHECK_REPORT(check_gradients(mask, {x}));
  // An op that does not draw but is declared to, and the other way round.
  expect_failure(check_random_stream(mask, {x}, false), "depends on the random stream");
  Node tanh(builtin("Tanh"), {{4}});
  expect_failure(check_random_stream(tanh, {Tensor::random({4}, 2, -1, 1, 4)}, true),
                 "another step's random stream gave the same output");
}

TEST_CASE("toolkit: attributes are checked like graph-runner checks them", "[toolkit]") {
  const OpHandle linear = builtin("Linear");
  CHECK_THROWS_WITH(Node(linear, {{3}}), Contains("requires attribute 'out_features'"));
  CHECK_THROWS_WITH(Node(linear, {{3}}, {{"out_features", 2}, {"bais", true}}),
                    Contains("no attribute 'bais'"));
  CHECK_THROWS_WITH(Node(linear, {{3}}, {{"out_features", 2.5}}),
                    Contains("'out_features' is declared as an int"));
  CHECK_THROWS_WITH(Node(linear, {{3}}, {{"out_features", 0}}),
                    Contains("'out_features' is 0, outside the op's range [1, 10000000]"));
  // Initialisers as values or as their YAML text.
  Node a(linear, {{3}}, {{"out_features", 2}, {"init", "{constant: 0.5}"}});
  CHECK(a.params[0].values == std::vector<float>(6, 0.5f));
  Node b(linear, {{3}}, {{"out_features", 2}, {"bias_init", gradflow::init::ones()}});
  CHECK(b.params[1].values == std::vector<float>(2, 1.0f));
  // A tensor of the wrong size is the test's mistake, and says so.
  CHECK_THROWS_WITH(a.forward({Tensor::zeros({4}, 1)}),
                    Contains("input 'x' has shape [4]; the node was created for [3]"));
}
