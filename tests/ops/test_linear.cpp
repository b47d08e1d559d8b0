#include <catch2/catch.hpp>

#include "ops/builtin_ops.hpp"

using namespace gftest;

namespace {

std::vector<Attr> out_features(int64_t n, bool bias = true) {
  return {{"out_features", n}, {"bias", bias}};
}

}  // namespace

TEST_CASE("Linear declares output and parameters from its input", "[linear]") {
  Node node(builtin("Linear"), {{3}},
            {{"out_features", 2},
             {"init", gradflow::init::normal(0.3)},
             {"bias_init", gradflow::init::uniform(0.1)}});
  const gf_node_info& info = node.info();
  CHECK(info.out_batched == 1);
  REQUIRE(info.out_shape.rank == 1);
  CHECK(info.out_shape.dims[0] == 2);
  REQUIRE(info.n_params == 2);
  CHECK(std::string(info.params[0].name) == "weight");
  REQUIRE(info.params[0].shape.rank == 2);
  CHECK(info.params[0].shape.dims[0] == 2);
  CHECK(info.params[0].shape.dims[1] == 3);
  CHECK(info.params[0].init.kind == GF_INIT_NORMAL);
  CHECK(info.params[0].init.value == 0.3);
  CHECK(std::string(info.params[1].name) == "bias");
  REQUIRE(info.params[1].shape.rank == 1);
  CHECK(info.params[1].shape.dims[0] == 2);
  CHECK(info.params[1].init.kind == GF_INIT_UNIFORM);
  CHECK(info.params[1].init.value == 0.1);
}

TEST_CASE("Linear defaults to xavier weights and zero bias", "[linear]") {
  Node node(builtin("Linear"), {{4}}, {{"out_features", 5}});
  REQUIRE(node.info().n_params == 2);
  CHECK(node.info().params[0].init.kind == GF_INIT_XAVIER);
  CHECK(node.info().params[1].init.kind == GF_INIT_ZEROS);
}

TEST_CASE("Linear without bias owns only a weight", "[linear]") {
  Node node(builtin("Linear"), {{3}}, out_features(2, false));
  REQUIRE(node.info().n_params == 1);
  CHECK(std::string(node.info().params[0].name) == "weight");
}

TEST_CASE("Linear rejects inputs that are not rank-1 samples", "[linear]") {
  CreateResult r = try_create(builtin("Linear"), {{2, 3}}, out_features(4));
  CHECK(!r.ok);
  CHECK_THAT(r.message, Catch::Contains("[2, 3]") && Catch::Contains("rank 1"));

  r = try_create(builtin("Linear"), {{}}, out_features(4));
  CHECK(!r.ok);
  CHECK_THAT(r.message, Catch::Contains("[]"));

  r = try_create(builtin("Linear"), {{0}}, out_features(4));
  CHECK(!r.ok);
  CHECK_THAT(r.message, Catch::Contains("[0]"));

  CHECK_FALSE(try_create(builtin("Linear"), {{3}}, out_features(0), Ranges::unchecked).ok);
  CHECK_FALSE(try_create(builtin("Linear"), {{3}, {3}}, out_features(2)).ok);
}

TEST_CASE("Linear forward computes x W^T + b", "[linear]") {
  Node node(builtin("Linear"), {{3}}, out_features(2));
  node.params[0] = Tensor::of({2, 3}, 0, {1, 2, 3, 4, 5, 6});
  node.params[1] = Tensor::of({2}, 0, {0.5f, -1});
  const Tensor x = Tensor::of({3}, 2, {1, 0, -1, 2, 1, 0});
  const Tensor y = node.forward({x});
  CHECK(y.batch == 2);
  CHECK(y.values == std::vector<float>{-1.5f, -3.0f, 4.5f, 12.0f});
}

TEST_CASE("Linear forward without bias", "[linear]") {
  Node node(builtin("Linear"), {{3}}, out_features(2, false));
  node.params[0] = Tensor::of({2, 3}, 0, {1, 2, 3, 4, 5, 6});
  const Tensor y = node.forward({Tensor::of({3}, 2, {1, 0, -1, 2, 1, 0})});
  CHECK(y.values == std::vector<float>{-2.0f, -2.0f, 4.0f, 13.0f});
}

TEST_CASE("Linear forward overwrites stale output contents", "[linear]") {
  // A reused output buffer must not leak into the result (beta must be 0 or the bias fill).
  for (bool bias : {true, false}) {
    Node node(builtin("Linear"), {{2}}, out_features(1, bias));
    node.params[0] = Tensor::of({1, 2}, 0, {1, 1});
    Tensor y = Tensor::of({1}, 2, {100, -100});
    node.forward_into({Tensor::of({2}, 2, {2, 3, 1, -1})}, y);
    CHECK(y.values == std::vector<float>{5.0f, 0.0f});
  }
}

TEST_CASE("Linear forward matches a naive loop on a larger batch", "[linear]") {
  const int64_t batch = 37, in = 19, out = 23;
  Node node(builtin("Linear"), {{in}}, out_features(out));
  node.params[0] = Tensor::random({out, in}, 0, -1, 1, 1);
  node.params[1] = Tensor::random({out}, 0, -1, 1, 2);
  const Tensor x = Tensor::random({in}, batch, -1, 1, 3);
  const Tensor y = node.forward({x});
  for (int64_t r = 0; r < batch; ++r)
    for (int64_t j = 0; j < out; ++j) {
      double expected = node.params[1][j];
      for (int64_t k = 0; k < in; ++k) expected += node.params[0][j * in + k] * x[r * in + k];
      CHECK(y[r * out + j] == Approx(expected).margin(1e-5));
    }
}

TEST_CASE("Linear backward on a hand-computed case", "[linear]") {
  Node node(builtin("Linear"), {{3}}, out_features(2));
  node.params[0] = Tensor::of({2, 3}, 0, {1, 2, 3, 4, 5, 6});
  node.params[1] = Tensor::of({2}, 0, {0, 0});
  const Tensor x = Tensor::of({3}, 2, {1, 0, -1, 2, 1, 0});
  const Grads g = node.gradients({x}, {true}, Tensor::of({2}, 2, {1, 1, 1, 1}));
  // dW = dY^T X: each row is the column sum of X.
  CHECK(g.params[0].values == std::vector<float>{3, 1, -1, 3, 1, -1});
  CHECK(g.params[1].values == std::vector<float>{2, 2});
  // dX = dY W: each row is the column sum of W.
  CHECK(g.inputs[0].values == std::vector<float>{5, 7, 9, 5, 7, 9});
}

TEST_CASE("Linear gradients match central differences", "[linear][gradcheck]") {
  for (bool bias : {true, false}) {
    INFO("bias " << bias);
    Node node(builtin("Linear"), {{4}}, out_features(3, bias));
    node.params[0] = Tensor::random({3, 4}, 0, -1, 1, 21);
    if (bias) node.params[1] = Tensor::random({3}, 0, -1, 1, 22);
    CHECK_REPORT(check_gradients(node, {Tensor::random({4}, 5, -1, 1, 23)}, {true}));
  }
}

TEST_CASE("Linear backward adds into gradients", "[linear]") {
  Node node(builtin("Linear"), {{4}}, out_features(3));
  node.params[0] = Tensor::random({3, 4}, 0, -1, 1, 31);
  node.params[1] = Tensor::random({3}, 0, -1, 1, 32);
  CHECK_REPORT(check_backward_adds(node, {Tensor::random({4}, 6, -1, 1, 33)}, {true}));
}

TEST_CASE("Linear skips the input gradient when it is not requested", "[linear]") {
  Node node(builtin("Linear"), {{3}}, out_features(2));
  node.params[0] = Tensor::of({2, 3}, 0, {1, 2, 3, 4, 5, 6});
  const Tensor x = Tensor::of({3}, 1, {1, 2, 3});
  const Grads g = node.gradients({x}, {false}, Tensor::of({2}, 1, {1, 0}));
  CHECK(g.inputs[0].values.empty());
  CHECK(g.params[0].values == std::vector<float>{1, 2, 3, 0, 0, 0});
  CHECK(g.params[1].values == std::vector<float>{1, 0});
}
