#include <catch2/catch.hpp>
#include <cmath>

#include "ops/builtin_ops.hpp"

using namespace gftest;

TEST_CASE("Softmax of [1, 2, 3]", "[softmax]") {
  Node node(builtin("Softmax"), {{3}});
  const Tensor y = node.forward({Tensor::of({3}, 1, {1, 2, 3})});
  // e^k / (e + e^2 + e^3)
  CHECK(y[0] == Approx(0.0900305732));
  CHECK(y[1] == Approx(0.2447284711));
  CHECK(y[2] == Approx(0.6652409558));
}

TEST_CASE("Softmax is stable for large and very negative logits", "[softmax]") {
  Node node(builtin("Softmax"), {{3}});
  const Tensor y = node.forward({Tensor::of({3}, 2, {1000, 1001, 1002, -1000, 0, -1000})});
  CHECK(y[0] == Approx(0.0900305732));
  CHECK(y[1] == Approx(0.2447284711));
  CHECK(y[2] == Approx(0.6652409558));
  CHECK(y[3] == 0.0f);
  CHECK(y[4] == 1.0f);
  CHECK(y[5] == 0.0f);
}

TEST_CASE("Softmax normalises each sample separately", "[softmax]") {
  Node node(builtin("Softmax"), {{4}});
  const Tensor y = node.forward({Tensor::random({4}, 5, -3, 3, 51)});
  for (int r = 0; r < 5; ++r) {
    double sum = 0;
    for (int i = 0; i < 4; ++i) {
      CHECK(y[r * 4 + i] > 0.0f);
      sum += y[r * 4 + i];
    }
    CHECK(sum == Approx(1.0));
  }
}

TEST_CASE("Softmax works over the last dimension of a rank-2 sample", "[softmax]") {
  Node node(builtin("Softmax"), {{2, 3}});
  REQUIRE(node.info().out_shape.rank == 2);
  const Tensor y = node.forward({Tensor::of({2, 3}, 1, {1, 2, 3, 0, 0, 0})});
  CHECK(y[0] == Approx(0.0900305732));
  CHECK(y[2] == Approx(0.6652409558));
  for (int i = 3; i < 6; ++i) CHECK(y[i] == Approx(1.0 / 3));
}

TEST_CASE("Softmax of a single class is 1", "[softmax]") {
  Node node(builtin("Softmax"), {{1}});
  CHECK(node.forward({Tensor::of({1}, 2, {-5, 42})}).values == std::vector<float>{1, 1});
}

TEST_CASE("Softmax rejects scalars and empty dimensions", "[softmax]") {
  CreateResult r = try_create(builtin("Softmax"), {{}});
  CHECK(!r.ok);
  CHECK_THAT(r.message, Catch::Contains("rank >= 1"));
  r = try_create(builtin("Softmax"), {{0}});
  CHECK(!r.ok);
  CHECK_THAT(r.message, Catch::Contains("[0]"));
}

TEST_CASE("Softmax backward on a hand-computed case", "[softmax]") {
  // With dy = e_0: dx = y0 * (e_0 - y), the first column of the Jacobian.
  Node node(builtin("Softmax"), {{2}});
  const Tensor x = Tensor::of({2}, 1, {0, 0});
  const Grads g = node.gradients({x}, {true}, Tensor::of({2}, 1, {1, 0}));
  CHECK(g.inputs[0][0] == Approx(0.25));
  CHECK(g.inputs[0][1] == Approx(-0.25));
}

TEST_CASE("Softmax gradients match central differences", "[softmax][gradcheck]") {
  Node node(builtin("Softmax"), {{2, 4}});
  CHECK_REPORT(check_gradients(node, {Tensor::random({2, 4}, 3, -2, 2, 52)}, {true}));
}

TEST_CASE("Softmax backward adds into gradients", "[softmax]") {
  Node node(builtin("Softmax"), {{4}});
  CHECK_REPORT(check_backward_adds(node, {Tensor::random({4}, 3, -2, 2, 53)}, {true}));
}
