// Optimizer steps against values worked out by hand from PyTorch's update rules, and against a
// double-precision reference over many steps, with one thread and two.
#include <gradflow/optimizer.hpp>
#include <gradflow/trainer.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

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

TEST_CASE("AdamW shrinks the weight apart from the gradient") {
  auto params = one_weight(2.0f);
  OptimizerSpec spec;
  spec.name = "adamw";
  spec.lr = 0.01;
  spec.weight_decay = 0.1;
  auto opt = make_optimizer(spec, params);
  CHECK(opt->name() == "adamw");
  // Step 1: w * (1 - lr*wd), then lr * sign(g) as Adam's first step; the decay does not enter
  // the moments (with Adam's L2 term the step would still be lr * sign(g + wd*w)).
  double w = 2.0 * (1 - 0.01 * 0.1) - 0.01 * 0.5 / (0.5 + 1e-8);
  CHECK(step(*opt, params, 0.5f) == Approx(w).epsilon(1e-6));
  // Step 2 with g = 0: m_hat = 0.9*0.05/0.19, v_hat = 0.999*0.00025/(1-0.999^2).
  double m_hat = 0.9 * 0.05 / (1 - 0.81), v_hat = 0.999 * 0.00025 / (1 - 0.999 * 0.999);
  w = w * (1 - 0.01 * 0.1) - 0.01 * m_hat / (std::sqrt(v_hat) + 1e-8);
  CHECK(step(*opt, params, 0.0f) == Approx(w).epsilon(1e-6));
}

namespace {

// PyTorch's update rules in double precision, one element at a time: the reference the float
// kernels must stay close to (they differ only by rounding and by the order of operations).
struct Reference {
  OptimizerSpec spec;
  std::vector<double> w, a, b;  // weights, first slot (velocity or m), second slot (v)
  int64_t t = 0;

  void step(const std::vector<float>& g) {
    ++t;
    const double lr = spec.lr, wd = spec.weight_decay, mu = spec.momentum;
    const double correction1 = 1 - std::pow(spec.beta1, t),
                 correction2 = 1 - std::pow(spec.beta2, t);
    for (size_t i = 0; i < w.size(); ++i) {
      if (spec.name == "sgd") {
        double d = g[i] + wd * w[i];
        if (mu > 0) {
          a[i] = t == 1 ? d : mu * a[i] + d;
          d = spec.nesterov ? d + mu * a[i] : a[i];
        }
        w[i] -= lr * d;
        continue;
      }
      const bool decoupled = spec.name == "adamw";
      if (decoupled) w[i] *= 1 - lr * wd;
      const double d = g[i] + (decoupled ? 0.0 : wd * w[i]);
      a[i] = spec.beta1 * a[i] + (1 - spec.beta1) * d;
      b[i] = spec.beta2 * b[i] + (1 - spec.beta2) * d * d;
      const double m_hat = a[i] / correction1;
      const double v_hat = b[i] / correction2;
      w[i] -= lr * m_hat / (std::sqrt(v_hat) + spec.eps);
    }
  }
};

// Three tensors, one of them above every optimizer's grain, so that with two threads the
// update is split, across tensor boundaries too.
std::vector<Parameter> tensors_for_reference() {
  std::vector<Parameter> params(3);
  const int64_t sizes[3] = {1000, 17, 140001};
  for (size_t k = 0; k < 3; ++k) {
    params[k].name = "p" + std::to_string(k);
    params[k].shape = {sizes[k]};
    params[k].value = Tensor({sizes[k]}, 0);
    params[k].grad = Tensor({sizes[k]}, 0);
    for (int64_t i = 0; i < sizes[k]; ++i)
      params[k].value.data()[i] = 0.5f * std::sin(0.37f * static_cast<float>(i + 100 * k));
  }
  return params;
}

// Runs `steps` steps of spec on seeded gradients; returns the flat weights, and the largest
// distance from the double-precision reference when `reference` is given.
std::vector<float> run_optimizer(const OptimizerSpec& spec, int threads, int steps,
                                 double* distance = nullptr) {
  set_thread_count(threads);
  auto params = tensors_for_reference();
  auto opt = make_optimizer(spec, params);
  Reference ref{spec, {}, {}, {}, 0};
  for (const auto& p : params)
    ref.w.insert(ref.w.end(), p.value.data(), p.value.data() + p.value.size());
  ref.a.assign(ref.w.size(), 0.0);
  ref.b.assign(ref.w.size(), 0.0);
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> g(ref.w.size());
  double worst = 0;
  for (int s = 0; s < steps; ++s) {
    size_t i = 0;
    for (auto& p : params)
      for (int64_t j = 0; j < p.grad.size(); ++j) p.grad.data()[j] = g[i++] = 0.1f * normal(rng);
    opt->step(params);
    if (!distance) continue;
    ref.step(g);
    if (s % 25 != 24) continue;  // errors accumulate: looking now and then is enough
    i = 0;
    for (const auto& p : params)
      for (int64_t j = 0; j < p.value.size(); ++j)
        worst = std::max(worst, std::abs(static_cast<double>(p.value.data()[j]) - ref.w[i++]));
  }
  // Optimizer::step's promise, which lets the next backward() skip clearing them.
  for (const auto& p : params)
    CHECK(std::all_of(p.grad.data(), p.grad.data() + p.grad.size(),
                      [](float v) { return v == 0.0f; }));
  if (distance) *distance = worst;
  std::vector<float> out;
  for (const auto& p : params)
    out.insert(out.end(), p.value.data(), p.value.data() + p.value.size());
  set_thread_count(1);
  return out;
}

std::vector<std::pair<std::string, OptimizerSpec>> reference_cases() {
  std::vector<std::pair<std::string, OptimizerSpec>> cases;
  OptimizerSpec s;
  s.lr = 0.01;
  cases.emplace_back("sgd", s);
  s.weight_decay = 0.05;
  cases.emplace_back("sgd + weight decay", s);
  s.momentum = 0.9;
  cases.emplace_back("sgd + momentum + weight decay", s);
  s.nesterov = true;
  cases.emplace_back("sgd + nesterov + weight decay", s);
  OptimizerSpec a;
  a.name = "adam";
  a.lr = 0.001;
  cases.emplace_back("adam", a);
  a.weight_decay = 0.05;
  cases.emplace_back("adam + weight decay", a);
  a.name = "adamw";
  cases.emplace_back("adamw", a);
  return cases;
}

}  // namespace

TEST_CASE("the optimizers stay within float rounding of a double-precision reference",
          "[optimizer][threads]") {
  // 300 steps move the weights by about 1 (SGD, lr 0.01, gradients ~0.1) or 0.5 (Adam,
  // lr 0.001) and end within 5e-6 of the reference (measured). A wrong formula (bias correction,
  // where the decay goes, Nesterov's look-ahead) is off by 1e-4 or more after a few steps.
  for (const auto& [label, spec] : reference_cases()) {
    for (int threads : {1, 2}) {
      INFO(label << ", " << threads << " thread(s)");
      double distance = 0;
      run_optimizer(spec, threads, 300, &distance);
      CHECK(distance < 2e-5);
    }
  }
}

TEST_CASE("optimizer steps are bit-identical run to run, with one thread or two",
          "[optimizer][threads][determinism]") {
  for (const auto& [label, spec] : reference_cases()) {
    INFO(label);
    const auto one = run_optimizer(spec, 1, 40);
    CHECK(run_optimizer(spec, 1, 40) == one);
    const auto two = run_optimizer(spec, 2, 40);
    CHECK(run_optimizer(spec, 2, 40) == two);
    CHECK(two == one);  // elementwise updates: the split cannot change a result
  }
}

namespace {

OptimizerSpec optimizer_from(const std::string& mapping) {
  const std::string text =
      "format: gradflow/1\nname: t\ninputs:\n  x: {shape: [2]}\nnodes:\n"
      "  - {name: z, op: Linear, inputs: [x], out_features: 1}\n"
      "train:\n  data: {dataset: circles}\n  optimizer: " +
      mapping + "\n";
  return parse_graph(text, "inline.yaml").train.optimizer;
}

}  // namespace

TEST_CASE("graph files name adamw, with PyTorch's defaults") {
  OptimizerSpec w = optimizer_from("{name: adamw}");
  CHECK(w.name == "adamw");
  CHECK(w.lr == 0.001);
  CHECK(w.weight_decay == 0.01);
  OptimizerSpec set = optimizer_from("{name: adamw, lr: 0.01, weight_decay: 0.5}");
  CHECK(set.lr == 0.01);
  CHECK(set.weight_decay == 0.5);
  CHECK(optimizer_from("{name: adam}").weight_decay == 0.0);
  try {
    optimizer_from("{name: adamx}");
    FAIL("an unknown optimizer was accepted");
  } catch (const InputError& e) {
    CHECK_THAT(e.what(), Catch::Contains("inline.yaml:9:") && Catch::Contains("adamw"));
  }
}
