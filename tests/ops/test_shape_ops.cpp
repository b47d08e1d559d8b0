// Flatten, Reshape, Add and Concat: ops that move values without computing on them (Add sums).
#include <catch2/catch.hpp>

#include "ops/builtin_ops.hpp"

using namespace gftest;

namespace {

Shape out_shape(const Node& node) {
  return Shape(node.info().out_shape.dims, node.info().out_shape.dims + node.info().out_shape.rank);
}

}  // namespace

TEST_CASE("Flatten turns [C, H, W] into [C*H*W] in row-major order", "[shape]") {
  Node node(builtin("Flatten"), {{2, 2, 3}});
  CHECK(out_shape(node) == Shape{12});
  const Tensor x = Tensor::random({2, 2, 3}, 3, -1, 1, 1);
  CHECK(node.forward({x}).values == x.values);
  CHECK_REPORT(check_gradients(node, {x}, {true}));
  CHECK_REPORT(check_backward_adds(node, {x}, {true}));
}

TEST_CASE("Reshape takes a per-sample shape with at most one -1", "[shape]") {
  Node node(builtin("Reshape"), {{784}}, {{"shape", {1, 28, 28}}});
  CHECK(out_shape(node) == Shape{1, 28, 28});
  Node free(builtin("Reshape"), {{6, 4}}, {{"shape", {-1, 2, 3}}});
  CHECK(out_shape(free) == Shape{4, 2, 3});
  const Tensor x = Tensor::random({6, 4}, 2, -1, 1, 2);
  CHECK(free.forward({x}).values == x.values);
  CHECK_REPORT(check_gradients(free, {x}, {true}));
  CHECK_REPORT(check_backward_adds(free, {x}, {true}));
}

TEST_CASE("Reshape rejects shapes that cannot hold the input", "[shape]") {
  CreateResult r = try_create(builtin("Reshape"), {{784}}, {{"shape", {1, 28, 27}}});
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.message, Catch::Contains("[784]") && Catch::Contains("[1, 28, 27]"));
  r = try_create(builtin("Reshape"), {{12}}, {{"shape", {-1, -1}}});
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.message, Catch::Contains("more than one -1"));
  r = try_create(builtin("Reshape"), {{12}}, {{"shape", {5, -1}}});
  CHECK_FALSE(r.ok);
  r = try_create(builtin("Reshape"), {{12}}, {{"shape", {0, 12}}});
  CHECK_FALSE(r.ok);
  r = try_create(builtin("Reshape"), {{1}}, {{"shape", {1, 1, 1, 1, 1}}});
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.message, Catch::Contains("rank"));
  // A product that would overflow int64 is caught before it does.
  r = try_create(builtin("Reshape"), {{4}}, {{"shape", {1 << 28, 1 << 28, 1 << 28, -1}}});
  CHECK_FALSE(r.ok);
}

TEST_CASE("Add sums two inputs of one shape and passes the gradient to both", "[shape]") {
  Node node(builtin("Add"), {{2, 3}, {2, 3}});
  CHECK(out_shape(node) == Shape{2, 3});
  const Tensor a = Tensor::of({2, 3}, 1, {1, 2, 3, 4, 5, 6});
  const Tensor b = Tensor::of({2, 3}, 1, {10, 20, 30, 40, 50, 60});
  CHECK(node.forward({a, b}).values == std::vector<float>{11, 22, 33, 44, 55, 66});
  check_gradients(node, {Tensor::random({2, 3}, 3, -1, 1, 3), Tensor::random({2, 3}, 3, -1, 1, 4)},
                  {true, true});
  CHECK_REPORT(check_backward_adds(node, {a, b}, {true, true}));
  CHECK_REPORT(check_backward_adds(node, {a, b}, {false, true}));
  CreateResult r = try_create(builtin("Add"), {{2, 3}, {3, 2}});
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.message, Catch::Contains("[2, 3]") && Catch::Contains("[3, 2]"));
}

TEST_CASE("Concat joins channels of images and features of vectors", "[shape]") {
  Node images(builtin("Concat"), {{1, 2, 2}, {2, 2, 2}});
  CHECK(out_shape(images) == Shape{3, 2, 2});
  const Tensor a = Tensor::of({1, 2, 2}, 2, {1, 2, 3, 4, 5, 6, 7, 8});
  const Tensor b = Tensor::random({2, 2, 2}, 2, -1, 1, 5);
  const Tensor y = images.forward({a, b});
  for (int r = 0; r < 2; ++r) {
    for (int i = 0; i < 4; ++i) CHECK(y[r * 12 + i] == a[r * 4 + i]);
    for (int i = 0; i < 8; ++i) CHECK(y[r * 12 + 4 + i] == b[r * 8 + i]);
  }
  CHECK_REPORT(check_gradients(images, {a, b}, {true, true}));
  CHECK_REPORT(check_backward_adds(images, {a, b}, {true, true}));

  Node features(builtin("Concat"), {{3}, {2}});
  CHECK(out_shape(features) == Shape{5});
  CHECK(features.forward({Tensor::of({3}, 1, {1, 2, 3}), Tensor::of({2}, 1, {4, 5})}).values ==
        std::vector<float>{1, 2, 3, 4, 5});

  CreateResult r = try_create(builtin("Concat"), {{1, 2, 2}, {1, 3, 2}});
  CHECK_FALSE(r.ok);
  CHECK_THAT(r.message, Catch::Contains("[1, 2, 2]") && Catch::Contains("[1, 3, 2]"));
  CHECK_FALSE(try_create(builtin("Concat"), {{4}, {1, 4}}).ok);
}
