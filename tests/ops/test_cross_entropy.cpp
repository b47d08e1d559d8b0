#include <catch2/catch.hpp>
#include <cmath>

#include "ops/builtin_ops.hpp"

using namespace gftest;

namespace {

Tensor two_probs() {
  return Tensor::of({3}, 2, {0.7f, 0.2f, 0.1f, 0.1f, 0.8f, 0.1f});
}

}  // namespace

TEST_CASE("CrossEntropy outputs an unbatched scalar loss", "[crossentropy]") {
  Node node(builtin("CrossEntropy"), {{3}, {3}});
  CHECK(node.is_loss());
  CHECK(node.info().out_batched == 0);
  CHECK(node.info().out_shape.rank == 0);
  CHECK(node.info().n_params == 0);
  const Tensor loss = node.forward({two_probs(), Tensor::one_hot({0, 1}, 3)});
  CHECK(loss.batch == 0);
  CHECK(loss.size() == 1);
}

TEST_CASE("CrossEntropy is the batch mean of -log p[target]", "[crossentropy]") {
  Node node(builtin("CrossEntropy"), {{3}, {3}});
  const Tensor loss = node.forward({two_probs(), Tensor::one_hot({0, 1}, 3)});
  CHECK(loss[0] == Approx((-std::log(0.7) - std::log(0.8)) / 2));
}

TEST_CASE("CrossEntropy accepts soft targets", "[crossentropy]") {
  Node node(builtin("CrossEntropy"), {{2}, {2}});
  const Tensor loss =
      node.forward({Tensor::of({2}, 1, {0.25f, 0.75f}), Tensor::of({2}, 1, {0.5f, 0.5f})});
  CHECK(loss[0] == Approx(-0.5 * std::log(0.25) - 0.5 * std::log(0.75)));
}

TEST_CASE("CrossEntropy clamps zero probabilities", "[crossentropy]") {
  Node node(builtin("CrossEntropy"), {{2}, {2}});
  const Tensor p = Tensor::of({2}, 1, {0, 1});
  const Tensor y = Tensor::one_hot({0}, 2);
  const Tensor loss = node.forward({p, y});
  CHECK(std::isfinite(loss[0]));
  CHECK(loss[0] == Approx(-std::log(1e-12)).epsilon(1e-5));
  const Grads g = node.gradients({p, y}, {true, true}, Tensor::of({}, 0, {1}));
  CHECK(std::isfinite(g.inputs[0][0]));
  CHECK(g.inputs[0][0] < -1e11f);
  CHECK(g.inputs[0][1] == 0.0f);
}

TEST_CASE("CrossEntropy backward on a hand-computed case", "[crossentropy]") {
  Node node(builtin("CrossEntropy"), {{3}, {3}});
  const Tensor p = two_probs();
  const Grads g =
      node.gradients({p, Tensor::one_hot({0, 1}, 3)}, {true, true}, Tensor::of({}, 0, {2}));
  // out_grad 2 over a batch of 2 cancels: dp = -y / p, dy = -log p.
  CHECK(g.inputs[0][0] == Approx(-1 / 0.7));
  CHECK(g.inputs[0][1] == 0.0f);
  CHECK(g.inputs[0][4] == Approx(-1 / 0.8));
  for (size_t i = 0; i < p.size(); ++i) CHECK(g.inputs[1][i] == Approx(-std::log(p[i])));
}

TEST_CASE("CrossEntropy skips the target gradient when not requested", "[crossentropy]") {
  Node node(builtin("CrossEntropy"), {{3}, {3}});
  const Grads g = node.gradients({two_probs(), Tensor::one_hot({0, 1}, 3)}, {true, false},
                                 Tensor::of({}, 0, {1}));
  CHECK(g.inputs[1].values.empty());
  CHECK(g.inputs[0][0] == Approx(-0.5 / 0.7));
}

TEST_CASE("CrossEntropy gradients match central differences", "[crossentropy][gradcheck]") {
  Node node(builtin("CrossEntropy"), {{4}, {4}});
  CHECK_REPORT(check_gradients(
      node, {Tensor::random({4}, 3, 0.2f, 1, 61), Tensor::random({4}, 3, 0, 1, 62)}, {true, true}));
}

TEST_CASE("CrossEntropy backward adds into gradients", "[crossentropy]") {
  Node node(builtin("CrossEntropy"), {{4}, {4}});
  CHECK_REPORT(check_backward_adds(
      node, {Tensor::random({4}, 3, 0.2f, 1, 63), Tensor::random({4}, 3, 0, 1, 64)}, {true, true}));
}

TEST_CASE("CrossEntropy rejects mismatched or scalar inputs", "[crossentropy]") {
  CreateResult r = try_create(builtin("CrossEntropy"), {{3}, {4}});
  CHECK(!r.ok);
  CHECK_THAT(r.message, Catch::Contains("[3]") && Catch::Contains("[4]"));
  CHECK_FALSE(try_create(builtin("CrossEntropy"), {{}, {}}).ok);
  CHECK_FALSE(try_create(builtin("CrossEntropy"), {{0}, {0}}).ok);
  CHECK_FALSE(try_create(builtin("CrossEntropy"), {{3}}).ok);
}
