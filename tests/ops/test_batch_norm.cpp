#include <catch2/catch.hpp>

#include "ops/builtin_ops.hpp"

#include <cmath>

using namespace gftest;

namespace {

std::vector<Attr> bn_attrs(double momentum = 0.1, double eps = 1e-5) {
  return {{"momentum", momentum}, {"eps", eps}};
}

void set_affine(Node& node, uint32_t seed) {
  node.params[0] = Tensor::random(node.params[0].shape, 0, 0.5f, 1.5f, seed);
  node.params[1] = Tensor::random(node.params[1].shape, 0, -0.5f, 0.5f, seed + 1);
}

}  // namespace

TEST_CASE("BatchNorm declares weight, bias and running statistics per channel", "[batchnorm]") {
  Node node(builtin("BatchNorm"), {{3, 4, 5}}, bn_attrs());
  const gf_node_info& info = node.info();
  REQUIRE(info.out_shape.rank == 3);
  CHECK(info.out_shape.dims[0] == 3);
  REQUIRE(info.n_params == 2);
  CHECK(std::string(info.params[0].name) == "weight");
  CHECK(info.params[0].init.kind == GF_INIT_CONSTANT);
  CHECK(info.params[0].init.value == 1.0);
  CHECK(std::string(info.params[1].name) == "bias");
  CHECK(info.params[1].init.kind == GF_INIT_ZEROS);
  REQUIRE(info.n_state == 2);
  CHECK(std::string(info.state[0].name) == "running_mean");
  CHECK(info.state[0].init.kind == GF_INIT_ZEROS);
  CHECK(std::string(info.state[1].name) == "running_var");
  CHECK(info.state[1].init.kind == GF_INIT_CONSTANT);
  CHECK(info.state[1].init.value == 1.0);
  for (const auto& decl : {info.params[0], info.params[1], info.state[0], info.state[1]}) {
    REQUIRE(decl.shape.rank == 1);
    CHECK(decl.shape.dims[0] == 3);
  }
  CHECK_FALSE(try_create(builtin("BatchNorm"), {{}}, bn_attrs()).ok);
}

TEST_CASE("BatchNorm in training normalises each channel over batch and positions", "[batchnorm]") {
  Node node(builtin("BatchNorm"), {{2, 3}}, bn_attrs(0.1, 1e-12));
  node.params[0] = Tensor::of({2}, 0, {1, 2});
  node.params[1] = Tensor::of({2}, 0, {0, 10});
  node.state[1] = Tensor::of({2}, 0, {1, 1});
  node.training = true;
  // Channel 0 holds 1..6 over the two samples, channel 1 holds 7 everywhere.
  const Tensor x = Tensor::of({2, 3}, 2, {1, 2, 3, 7, 7, 7, 4, 5, 6, 7, 7, 7});
  const Tensor y = node.forward({x});
  const double mean = 3.5, var = 17.5 / 6;  // biased variance of 1..6
  for (int r = 0; r < 2; ++r)
    for (int i = 0; i < 3; ++i) {
      const double v = x[r * 6 + i];
      CHECK(y[r * 6 + i] == Approx((v - mean) / std::sqrt(var)).epsilon(1e-5));
      CHECK(y[r * 6 + 3 + i] == Approx(10.0f));  // a constant channel maps to its bias
    }
  // running = 0.9 running + 0.1 batch; the variance unbiased (n / (n - 1)).
  CHECK(node.state[0][0] == Approx(0.35));
  CHECK(node.state[0][1] == Approx(0.7));
  CHECK(node.state[1][0] == Approx(0.9 + 0.1 * 3.5));
  CHECK(node.state[1][1] == Approx(0.9));
}

TEST_CASE("BatchNorm in evaluation uses the running statistics and leaves them", "[batchnorm]") {
  Node node(builtin("BatchNorm"), {{2}}, bn_attrs(0.1, 1e-5));
  node.params[0] = Tensor::of({2}, 0, {2, 1});
  node.params[1] = Tensor::of({2}, 0, {1, 0});
  node.state[0] = Tensor::of({2}, 0, {1, -1});
  node.state[1] = Tensor::of({2}, 0, {4, 0.25f});
  node.training = false;
  const Tensor y = node.forward({Tensor::of({2}, 1, {3, 0})});
  CHECK(y[0] == Approx(2 * (3 - 1) / std::sqrt(4 + 1e-5) + 1));
  CHECK(y[1] == Approx(1 * (0 + 1) / std::sqrt(0.25 + 1e-5)));
  CHECK(node.state[0].values == std::vector<float>{1, -1});
  CHECK(node.state[1].values == std::vector<float>{4, 0.25f});
}

TEST_CASE("BatchNorm gradients match central differences in training and evaluation",
          "[batchnorm][gradcheck]") {
  for (bool training : {true, false}) {
    for (const Shape& shape : {Shape{3, 2, 2}, Shape{4}}) {
      INFO((training ? "training" : "evaluation") << ", rank " << shape.size());
      Node node(builtin("BatchNorm"), {shape}, bn_attrs());
      set_affine(node, 1);
      node.state[0] = Tensor::random(node.state[0].shape, 0, -0.5f, 0.5f, 3);
      node.state[1] = Tensor::random(node.state[1].shape, 0, 0.5f, 2, 4);
      node.training = training;
      CHECK_REPORT(check_gradients(node, {Tensor::random(shape, 5, -1, 1, 5)}, {true}));
      CHECK_REPORT(check_backward_adds(node, {Tensor::random(shape, 5, -1, 1, 6)}, {true}));
    }
  }
}
