#include <catch2/catch.hpp>

#include "ops/builtin_ops.hpp"

#include <algorithm>
#include <initializer_list>
#include <numeric>
#include <random>

using namespace gftest;

namespace {

// Distinct values 0.1 apart in random order: no window holds two values within the gradient
// check's step of each other, so no difference crosses a change of maximum.
Tensor spaced_tensor(const Shape& shape, int64_t batch, uint32_t seed) {
  Tensor t = Tensor::zeros(shape, batch);
  std::vector<int> order(t.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(seed));
  for (size_t i = 0; i < t.size(); ++i) t[i] = 0.1f * static_cast<float>(order[i]) - 1.0f;
  return t;
}

using Ints = std::initializer_list<int64_t>;

std::vector<Attr> window(Ints kernel, Ints stride, Ints padding) {
  return {{"kernel", kernel}, {"stride", stride}, {"padding", padding}};
}

}  // namespace

TEST_CASE("pools infer [C, H', W'] with the stride defaulting to the kernel", "[pool]") {
  for (const char* op : {"MaxPool2D", "AvgPool2D"}) {
    INFO(op);
    Node node(builtin(op), {{6, 28, 28}}, {{"kernel", {2}}});
    REQUIRE(node.info().out_shape.rank == 3);
    CHECK(node.info().out_shape.dims[0] == 6);
    CHECK(node.info().out_shape.dims[1] == 14);
    CHECK(node.info().out_shape.dims[2] == 14);
    CHECK(node.info().n_params == 0);
    Node odd(builtin(op), {{2, 7, 9}}, window({3, 2}, {2, 3}, {1, 1}));
    CHECK(odd.info().out_shape.dims[1] == 4);  // (7 + 2 - 3) / 2 + 1
    CHECK(odd.info().out_shape.dims[2] == 4);  // (9 + 2 - 2) / 3 + 1
  }
}

TEST_CASE("pools reject bad shapes and padding beyond half the kernel", "[pool]") {
  for (const char* op : {"MaxPool2D", "AvgPool2D"}) {
    INFO(op);
    CreateResult r = try_create(builtin(op), {{16, 16}}, {{"kernel", {2}}});
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.message, Catch::Contains("[16, 16]") && Catch::Contains("[C, H, W]"));
    r = try_create(builtin(op), {{1, 4, 4}}, window({2}, {2}, {2}));
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.message, Catch::Contains("half"));
    r = try_create(builtin(op), {{1, 4, 4}}, {{"kernel", {5}}});
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.message, Catch::Contains("[5, 5]") && Catch::Contains("[4, 4]"));
  }
}

TEST_CASE("MaxPool2D forward on a hand-computed case", "[pool]") {
  Node node(builtin("MaxPool2D"), {{1, 3, 4}}, window({2}, {1, 2}, {0}));
  const Tensor x = Tensor::of({1, 3, 4}, 1,
                              {1, 5, 2, 0,  //
                               3, 4, 8, 7,  //
                               6, 0, 1, 9});
  CHECK(node.forward({x}).values == std::vector<float>{5, 8, 6, 9});
}

TEST_CASE("MaxPool2D padding never wins, even over negative values", "[pool]") {
  Node node(builtin("MaxPool2D"), {{1, 2, 2}}, window({2}, {1}, {1}));
  const Tensor x = Tensor::of({1, 2, 2}, 1, {-1, -2, -3, -4});
  CHECK(node.forward({x}).values == std::vector<float>{-1, -1, -2, -1, -1, -2, -3, -3, -4});
}

TEST_CASE("MaxPool2D sends each gradient to the first maximum of its window", "[pool]") {
  Node node(builtin("MaxPool2D"), {{1, 2, 4}}, window({2}, {1, 2}, {0}));
  const Tensor x = Tensor::of({1, 2, 4}, 1, {7, 1, 2, 2, 7, 0, 2, 2});
  const Grads g = node.gradients({x}, {true}, Tensor::of({1, 1, 2}, 1, {10, 20}));
  CHECK(g.inputs[0].values == std::vector<float>{10, 0, 20, 0, 0, 0, 0, 0});
}

TEST_CASE("AvgPool2D forward with and without the padding counted", "[pool]") {
  const Tensor x = Tensor::of({1, 2, 2}, 1, {1, 2, 3, 4});
  Node with(builtin("AvgPool2D"), {{1, 2, 2}}, window({2}, {2}, {1}));
  CHECK(with.forward({x}).values == std::vector<float>{0.25f, 0.5f, 0.75f, 1.0f});
  auto attrs = window({2}, {2}, {1});
  attrs.push_back({"count_include_pad", false});
  Node without(builtin("AvgPool2D"), {{1, 2, 2}}, attrs);
  CHECK(without.forward({x}).values == std::vector<float>{1, 2, 3, 4});
  Node plain(builtin("AvgPool2D"), {{1, 2, 2}}, {{"kernel", {2}}});
  CHECK(plain.forward({x}).values == std::vector<float>{2.5f});
}

TEST_CASE("pool gradients match central differences", "[pool][gradcheck]") {
  const std::vector<std::vector<Attr>> windows = {window({2}, {2}, {0}), window({3}, {1}, {1}),
                                                  window({3, 2}, {2, 1}, {1, 0}),
                                                  window({2}, {3}, {0})};
  for (const char* op : {"MaxPool2D", "AvgPool2D"})
    for (size_t k = 0; k < windows.size(); ++k) {
      INFO(op << " window " << k);
      Node node(builtin(op), {{2, 5, 6}}, windows[k]);
      CHECK_REPORT(
          check_gradients(node, {spaced_tensor({2, 5, 6}, 3, static_cast<uint32_t>(k))}, {true}));
      CHECK_REPORT(check_backward_adds(node, {spaced_tensor({2, 5, 6}, 3, 40)}, {true}));
    }
}

TEST_CASE("GlobalAvgPool averages each channel", "[pool]") {
  Node node(builtin("GlobalAvgPool"), {{2, 2, 2}});
  REQUIRE(node.info().out_shape.rank == 1);
  CHECK(node.info().out_shape.dims[0] == 2);
  const Tensor x = Tensor::of({2, 2, 2}, 2,
                              {1, 2, 3, 4, 0, 0, 0, 8,  //
                               -1, -1, -1, -1, 5, 5, 5, 5});
  CHECK(node.forward({x}).values == std::vector<float>{2.5f, 2, -1, 5});
  CHECK_REPORT(check_gradients(node, {Tensor::random({2, 2, 2}, 3, -1, 1, 1)}, {true}));
  CHECK_REPORT(check_backward_adds(node, {Tensor::random({2, 2, 2}, 3, -1, 1, 2)}, {true}));
  CHECK_FALSE(try_create(builtin("GlobalAvgPool"), {{5}}).ok);
}
