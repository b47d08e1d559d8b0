#include <catch2/catch.hpp>

#include "ops/builtin_ops.hpp"

#include <cmath>

using namespace gftest;

namespace {

std::vector<Attr> p_attr(double p) {
  return {{"p", p}};
}

}  // namespace

TEST_CASE("Dropout is the identity in evaluation", "[dropout]") {
  Node node(builtin("Dropout"), {{50}}, p_attr(0.5));
  node.training = false;
  node.seed = 123;
  const Tensor x = Tensor::random({50}, 4, -1, 1, 1);
  CHECK(node.forward({x}).values == x.values);
  const Grads g = node.gradients({x}, {true}, Tensor::of({50}, 4, std::vector<float>(200, 2.0f)));
  CHECK(g.inputs[0].values == std::vector<float>(200, 2.0f));
}

TEST_CASE("Dropout in training zeroes about p of the values and scales the rest", "[dropout]") {
  for (double p : {0.25, 0.5, 0.9}) {
    INFO("p " << p);
    Node node(builtin("Dropout"), {{1000}}, p_attr(p));
    node.training = true;
    node.seed = 7;
    const Tensor x = Tensor::of({1000}, 10, std::vector<float>(10000, 1.0f));
    const Tensor y = node.forward({x});
    int dropped = 0;
    for (float v : y.values) {
      if (v == 0.0f)
        ++dropped;
      else
        CHECK(v == Approx(1.0 / (1.0 - p)));
    }
    // 10,000 draws: the binomial's standard deviation is at most 50.
    CHECK(std::abs(dropped - p * 10000) < 250);
  }
}

TEST_CASE("Dropout masks depend only on the seed, and backward uses forward's mask", "[dropout]") {
  Node node(builtin("Dropout"), {{64}}, p_attr(0.5));
  node.training = true;
  const Tensor x = Tensor::random({64}, 8, 0.5f, 1, 2);
  node.seed = 42;
  const Tensor first = node.forward({x});
  node.seed = 43;
  const Tensor other = node.forward({x});
  node.seed = 42;
  const Tensor again = node.forward({x});
  CHECK(first.values == again.values);
  CHECK(first.values != other.values);
  // The gradient passes exactly where the value did, with the same scale.
  const Grads g = node.gradients({x}, {true}, Tensor::of({64}, 8, std::vector<float>(512, 1.0f)));
  for (size_t i = 0; i < x.size(); ++i) CHECK(g.inputs[0][i] == Approx(first[i] / x[i]));
}

TEST_CASE("Dropout gradients match central differences and backward adds", "[dropout]") {
  Node node(builtin("Dropout"), {{3, 4}}, p_attr(0.3));
  node.training = true;
  node.seed = 5;
  CHECK_REPORT(check_gradients(node, {Tensor::random({3, 4}, 3, -1, 1, 3)}, {true}));
  CHECK_REPORT(check_backward_adds(node, {Tensor::random({3, 4}, 3, -1, 1, 4)}, {true}));
}

TEST_CASE("Dropout with p = 0 is the identity in training too", "[dropout]") {
  Node node(builtin("Dropout"), {{10}}, p_attr(0.0));
  node.training = true;
  node.seed = 9;
  const Tensor x = Tensor::random({10}, 3, -1, 1, 6);
  CHECK(node.forward({x}).values == x.values);
}
