// Tanh and ReLU: elementwise, any per-sample shape.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "ops/builtin_ops.hpp"

using namespace gftest;

TEST_CASE("elementwise ops keep the per-sample shape", "[tanh][relu]") {
  for (const char* op : {"Tanh", "ReLU"}) {
    INFO(op);
    for (const Shape& shape : {Shape{}, Shape{5}, Shape{2, 3}, Shape{2, 1, 4, 3}}) {
      Node node(builtin(op), {shape});
      CHECK(node.info().out_batched == 1);
      CHECK(node.info().n_params == 0);
      REQUIRE(node.info().out_shape.rank == shape.size());
      for (size_t i = 0; i < shape.size(); ++i) CHECK(node.info().out_shape.dims[i] == shape[i]);
    }
  }
}

TEST_CASE("elementwise ops reject zero-size dimensions", "[tanh][relu]") {
  for (const char* op : {"Tanh", "ReLU"}) {
    INFO(op);
    const CreateResult r = try_create(builtin(op), {{3, 0}});
    CHECK(!r.ok);
    CHECK_THAT(r.message, Catch::Contains("[3, 0]"));
  }
}

TEST_CASE("Tanh of NaN is NaN, and infinities saturate", "[tanh]") {
  // Found by fuzz_onnx: NaN weights in an imported model reached the float-to-int conversion of
  // the fast exp, which is undefined for NaN (UBSan reported it).
  Node node(builtin("Tanh"), {{3}});
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor y = node.forward({Tensor::of({3}, 1, {std::nanf(""), inf, -inf})});
  CHECK(std::isnan(y[0]));
  CHECK(y[1] == 1.0f);
  CHECK(y[2] == -1.0f);
}

TEST_CASE("Tanh forward matches std::tanh and saturates", "[tanh]") {
  Node node(builtin("Tanh"), {{2, 3}});
  const Tensor x = Tensor::of({2, 3}, 2, {-20, -1, -0.25f, 0, 0.5f, 1, 2, 3, 20, 1e-4f, -3, 7});
  const Tensor y = node.forward({x});
  REQUIRE(y.size() == x.size());
  for (size_t i = 0; i < x.size(); ++i) CHECK(y[i] == Approx(std::tanh(x[i])).margin(1e-7));
  CHECK(y[0] == -1.0f);
  CHECK(y[8] == 1.0f);
  CHECK(y[3] == 0.0f);
}

TEST_CASE("Tanh backward uses 1 - y^2", "[tanh]") {
  Node node(builtin("Tanh"), {{2}});
  const Tensor x = Tensor::of({2}, 1, {0, 0.5f});
  const Grads g = node.gradients({x}, {true}, Tensor::of({2}, 1, {2, 1}));
  const double t = std::tanh(0.5);
  CHECK(g.inputs[0][0] == Approx(2.0));
  CHECK(g.inputs[0][1] == Approx(1.0 - t * t));
}

TEST_CASE("Tanh gradients match central differences", "[tanh][gradcheck]") {
  Node node(builtin("Tanh"), {{3, 2}});
  CHECK_REPORT(check_gradients(node, {Tensor::random({3, 2}, 4, -2, 2, 41)}, {true}));
}

TEST_CASE("Tanh backward adds into gradients", "[tanh]") {
  Node node(builtin("Tanh"), {{5}});
  CHECK_REPORT(check_backward_adds(node, {Tensor::random({5}, 3, -2, 2, 42)}, {true}));
}

TEST_CASE("ReLU forward clamps negatives", "[relu]") {
  Node node(builtin("ReLU"), {{6}});
  const Tensor y = node.forward({Tensor::of({6}, 1, {-2, -0.0f, 0, 0.5f, 3, -1e-6f})});
  CHECK(y.values == std::vector<float>{0, 0, 0, 0.5f, 3, 0});
}

TEST_CASE("ReLU gradient is zero at and below zero", "[relu]") {
  Node node(builtin("ReLU"), {{4}});
  const Tensor x = Tensor::of({4}, 1, {-1, 0, 1e-6f, 2});
  const Grads g = node.gradients({x}, {true}, Tensor::of({4}, 1, {3, 3, 3, 3}));
  CHECK(g.inputs[0].values == std::vector<float>{0, 0, 3, 3});
}

TEST_CASE("ReLU gradients match central differences away from the kink", "[relu][gradcheck]") {
  Tensor x = Tensor::random({2, 4}, 3, -2, 2, 43);
  // Central differences straddle the kink for |x| < eps.
  for (float& v : x.values)
    if (std::abs(v) < 0.1f) v = v < 0 ? -0.5f : 0.5f;
  Node node(builtin("ReLU"), {{2, 4}});
  CHECK_REPORT(check_gradients(node, {x}, {true}));
}

TEST_CASE("ReLU backward adds into gradients", "[relu]") {
  Node node(builtin("ReLU"), {{5}});
  CHECK_REPORT(check_backward_adds(
      node, {Tensor::of({5}, 2, {-1, 2, 3, -4, 5, 6, -7, 8, 0.5f, -0.5f})}, {true}));
}
