#include <catch2/catch.hpp>

#include "ops/builtin_ops.hpp"

using namespace gftest;

namespace {

Tensor prediction() {
  return Tensor::of({2}, 2, {1, 2, 0, 0});
}
Tensor target() {
  return Tensor::of({2}, 2, {0, 4, 0, 0});
}

}  // namespace

TEST_CASE("MSE sums squared errors per sample and averages over the batch", "[mse]") {
  Node node(builtin("MSE"), {{2}, {2}});
  CHECK(node.is_loss());
  CHECK(node.info().out_batched == 0);
  CHECK(node.info().out_shape.rank == 0);
  // (1 + 4 + 0 + 0) / 2
  CHECK(node.forward({prediction(), target()}).values == std::vector<float>{2.5f});
}

TEST_CASE("MSE of equal inputs is zero", "[mse]") {
  Node node(builtin("MSE"), {{3}, {3}});
  const Tensor x = Tensor::random({3}, 4, -1, 1, 71);
  CHECK(node.forward({x, x}).values == std::vector<float>{0.0f});
}

TEST_CASE("MSE handles rank-2 samples", "[mse]") {
  Node node(builtin("MSE"), {{2, 2}, {2, 2}});
  const Tensor loss =
      node.forward({Tensor::of({2, 2}, 1, {1, 1, 1, 1}), Tensor::of({2, 2}, 1, {0, 0, 0, 3})});
  CHECK(loss[0] == Approx(7.0));
}

TEST_CASE("MSE backward on a hand-computed case", "[mse]") {
  Node node(builtin("MSE"), {{2}, {2}});
  const Grads g = node.gradients({prediction(), target()}, {true, true}, Tensor::of({}, 0, {3}));
  // 2 (p - t) / B * out_grad with B = 2, out_grad = 3
  CHECK(g.inputs[0].values == std::vector<float>{3, -6, 0, 0});
  CHECK(g.inputs[1].values == std::vector<float>{-3, 6, 0, 0});
}

TEST_CASE("MSE gradients match central differences", "[mse][gradcheck]") {
  Node node(builtin("MSE"), {{3}, {3}});
  CHECK_REPORT(check_gradients(
      node, {Tensor::random({3}, 4, -1, 1, 72), Tensor::random({3}, 4, -1, 1, 73)}, {true, true}));
}

TEST_CASE("MSE backward adds into gradients", "[mse]") {
  Node node(builtin("MSE"), {{3}, {3}});
  CHECK_REPORT(check_backward_adds(
      node, {Tensor::random({3}, 4, -1, 1, 74), Tensor::random({3}, 4, -1, 1, 75)}, {true, true}));
}

TEST_CASE("MSE gives the target a gradient only when requested", "[mse]") {
  Node node(builtin("MSE"), {{2}, {2}});
  const Grads g = node.gradients({prediction(), target()}, {false, true}, Tensor::of({}, 0, {1}));
  CHECK(g.inputs[0].values.empty());
  CHECK(g.inputs[1].values == std::vector<float>{-1, 2, 0, 0});
}

TEST_CASE("MSE rejects mismatched shapes", "[mse]") {
  const CreateResult r = try_create(builtin("MSE"), {{2}, {2, 1}});
  CHECK(!r.ok);
  CHECK_THAT(r.message, Catch::Contains("[2]") && Catch::Contains("[2, 1]"));
}
