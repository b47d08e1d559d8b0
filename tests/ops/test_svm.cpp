#include <catch2/catch.hpp>

#include "ops/builtin_ops.hpp"

using namespace gftest;

namespace {

std::vector<Attr> margin(double m) {
  return {{"margin", m}};
}

}  // namespace

TEST_CASE("SVM is a scalar loss", "[svm]") {
  Node node(builtin("SVM"), {{3}, {3}});
  CHECK(node.is_loss());
  CHECK(node.info().out_batched == 0);
  CHECK(node.info().out_shape.rank == 0);
}

TEST_CASE("SVM sums hinges over the wrong classes", "[svm]") {
  Node node(builtin("SVM"), {{3}, {3}});
  // Class 0: hinges max(0, 1 + 1 - 3) = 0 and max(0, 1 + 2.5 - 3) = 0.5.
  CHECK(node.forward({Tensor::of({3}, 1, {3, 1, 2.5f}), Tensor::one_hot({0}, 3)})[0] ==
        Approx(0.5));
}

TEST_CASE("SVM is zero when the true class wins by the margin", "[svm]") {
  Node node(builtin("SVM"), {{3}, {3}});
  const Tensor s = Tensor::of({3}, 2, {5, 1, 2, 1, 2, 4});
  const Tensor y = Tensor::one_hot({0, 2}, 3);
  CHECK(node.forward({s, y})[0] == 0.0f);
  const Grads g = node.gradients({s, y}, {true, false}, Tensor::of({}, 0, {1}));
  CHECK(g.inputs[0].values == std::vector<float>(6, 0.0f));
}

TEST_CASE("SVM averages over the batch and honours the margin", "[svm]") {
  Node unit(builtin("SVM"), {{3}, {3}});
  const Tensor s = Tensor::of({3}, 2, {3, 1, 2.5f, 1, 2, 3});
  const Tensor y = Tensor::one_hot({0, 0}, 3);
  // Row 1 with margin 1: (1 + 2 - 1) + (1 + 3 - 1) = 5.
  CHECK(unit.forward({s, y})[0] == Approx((0.5 + 5.0) / 2));
  Node zero(builtin("SVM"), {{3}, {3}}, margin(0));
  // Margin 0: row 0 has no positive hinge, row 1 gives (2 - 1) + (3 - 1) = 3.
  CHECK(zero.forward({s, y})[0] == Approx(1.5));
}

TEST_CASE("SVM treats a hinge at exactly zero as inactive", "[svm]") {
  Node node(builtin("SVM"), {{3}, {3}});
  const Tensor s = Tensor::of({3}, 1, {2, 1, 0});
  const Tensor y = Tensor::one_hot({0}, 3);
  CHECK(node.forward({s, y})[0] == 0.0f);
  const Grads g = node.gradients({s, y}, {true, false}, Tensor::of({}, 0, {1}));
  CHECK(g.inputs[0].values == std::vector<float>{0, 0, 0});
}

TEST_CASE("SVM backward on a hand-computed case", "[svm]") {
  Node node(builtin("SVM"), {{3}, {3}});
  const Tensor s = Tensor::of({3}, 2, {3, 1, 2.5f, 1, 2, 3});
  const Grads g =
      node.gradients({s, Tensor::one_hot({0, 1}, 3)}, {true, false}, Tensor::of({}, 0, {4}));
  // out_grad / B = 2. Row 0: only class 2 is active. Row 1 (class 1): 1 + 1 - 2 = 0 is
  // inactive, 1 + 3 - 2 = 2 is active.
  CHECK(g.inputs[0].values == std::vector<float>{-2, 0, 2, 0, -2, 2});
}

TEST_CASE("SVM gradients match central differences away from kinks", "[svm][gradcheck]") {
  Node node(builtin("SVM"), {{4}, {4}});
  // Every hinge argument is at least 0.1 from zero (class 1: 0.1, -0.7, 0.7; class 0: -2,
  // -0.6, 0.5), so the finite differences never straddle a kink.
  const Tensor s = Tensor::of({4}, 2, {0.3f, 1.2f, -0.5f, 0.9f, 2, -1, 0.4f, 1.5f});
  CHECK_REPORT(check_gradients(node, {s, Tensor::one_hot({1, 0}, 4)}, {true, true}));
}

TEST_CASE("SVM backward adds into gradients", "[svm]") {
  Node node(builtin("SVM"), {{4}, {4}});
  const Tensor s = Tensor::of({4}, 2, {0.3f, 1.2f, -0.5f, 0.9f, 2, -1, 0.4f, 1.5f});
  CHECK_REPORT(check_backward_adds(node, {s, Tensor::one_hot({1, 0}, 4)}, {true, true}));
}

TEST_CASE("SVM rejects bad shapes and margins", "[svm]") {
  CreateResult r = try_create(builtin("SVM"), {{3}, {4}});
  CHECK(!r.ok);
  CHECK_THAT(r.message, Catch::Contains("[3]") && Catch::Contains("[4]"));
  r = try_create(builtin("SVM"), {{2, 3}, {2, 3}});
  CHECK(!r.ok);
  CHECK_THAT(r.message, Catch::Contains("[2, 3]") && Catch::Contains("rank 1"));
  CHECK_FALSE(try_create(builtin("SVM"), {{}, {}}).ok);
  CHECK_THROWS_WITH(try_create(builtin("SVM"), {{3}, {3}}, margin(-1)),
                    Catch::Contains("outside the op's range"));
  // Even when a host hands it over unchecked.
  CHECK_FALSE(try_create(builtin("SVM"), {{3}, {3}}, margin(-1), Ranges::unchecked).ok);
}
