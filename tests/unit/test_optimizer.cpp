// Optimizer steps against values worked out by hand from PyTorch's update rules.
#include <gradflow/optimizer.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using namespace gradflow;

namespace {

std::vector<Parameter> one_weight(float value) {
  std::vector<Parameter> params(1);
  params[0].name = "layer.weight";
  params[0].shape = {1};
  params[0].value = Tensor({1}, 0);
  params[0].grad = Tensor({1}, 0);
  params[0].value.data()[0] = value;
  return params;
}

float step(Optimizer& opt, std::vector<Parameter>& params, float gradient) {
  params[0].grad.data()[0] = gradient;
  opt.step(params);
  return params[0].value.data()[0];
}

}  // namespace

TEST_CASE("plain SGD moves against the gradient by lr times it") {
  auto params = one_weight(1.0f);
  OptimizerSpec spec;
  spec.lr = 0.1;
  auto opt = make_optimizer(spec, params);
  CHECK(step(*opt, params, 0.5f) == Approx(0.95f));
  CHECK(step(*opt, params, -1.0f) == Approx(1.05f));
  CHECK(opt->steps() == 2);
}

TEST_CASE("SGD momentum starts the velocity at the first gradient") {
  auto params = one_weight(1.0f);
  OptimizerSpec spec;
  spec.lr = 0.1;
  spec.momentum = 0.9;
  auto opt = make_optimizer(spec, params);
  CHECK(step(*opt, params, 0.5f) == Approx(0.95f));   // v = 0.5
  CHECK(step(*opt, params, 0.5f) == Approx(0.855f));  // v = 0.9 * 0.5 + 0.5 = 0.95
}

TEST_CASE("SGD Nesterov looks ahead along the velocity") {
  auto params = one_weight(1.0f);
  OptimizerSpec spec;
  spec.lr = 0.1;
  spec.momentum = 0.9;
  spec.nesterov = true;
  auto opt = make_optimizer(spec, params);
  CHECK(step(*opt, params, 0.5f) == Approx(1.0f - 0.1f * (0.5f + 0.9f * 0.5f)));
}

TEST_CASE("SGD weight decay adds wd times the weight to the gradient") {
  auto params = one_weight(2.0f);
  OptimizerSpec spec;
  spec.lr = 0.1;
  spec.weight_decay = 0.5;
  auto opt = make_optimizer(spec, params);
  CHECK(step(*opt, params, 0.0f) == Approx(2.0f - 0.1f * 0.5f * 2.0f));
}

TEST_CASE("Adam applies bias-corrected moments") {
  auto params = one_weight(1.0f);
  OptimizerSpec spec;
  spec.name = "adam";
  spec.lr = 0.001;
  auto opt = make_optimizer(spec, params);
  // Step 1: m_hat = g and v_hat = g^2, so the step is lr * sign(g).
  CHECK(step(*opt, params, 0.5f) == Approx(0.999f).epsilon(1e-6));
  // Step 2 with g = -1, from the definitions.
  double m = 0.9 * (0.1 * 0.5) + 0.1 * -1.0;
  double v = 0.999 * (0.001 * 0.25) + 0.001 * 1.0;
  double m_hat = m / (1 - 0.81), v_hat = v / (1 - 0.999 * 0.999);
  double expected = 0.999 - 0.001 * m_hat / (std::sqrt(v_hat) + 1e-8);
  CHECK(step(*opt, params, -1.0f) == Approx(expected).epsilon(1e-6));
}

TEST_CASE("optimizer state survives a save and load") {
  auto params = one_weight(1.0f);
  OptimizerSpec spec;
  spec.name = "adam";
  auto a = make_optimizer(spec, params);
  step(*a, params, 0.3f);
  step(*a, params, -0.7f);
  auto state = a->state();
  REQUIRE(state.size() == 2);
  CHECK(state[0].name == "adam_m.layer.weight");

  auto params_b = one_weight(params[0].value.data()[0]);
  auto b = make_optimizer(spec, params_b);
  b->load_state(state, "test");
  b->set_steps(a->steps());
  CHECK(step(*a, params, 0.2f) == step(*b, params_b, 0.2f));

  state.pop_back();
  auto c = make_optimizer(spec, params_b);
  CHECK_THROWS_AS(c->load_state(state, "test"), InputError);
}
