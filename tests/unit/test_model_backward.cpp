// The backward pass: fan-out sums gradients, losses are weighted and summed, nodes that feed
// no loss are left out, and the fused softmax/cross-entropy gradient equals the unfused one.
#include "unit/graph_test_support.hpp"

#include <gradflow/gradcheck.hpp>

#include <cmath>

using namespace gradflow;
using namespace gradflow::test;
using Catch::Matchers::Contains;

namespace {

constexpr int64_t kBatch = 3;
const std::vector<float> kX = {0.5f, -1.0f, 2.0f, 1.5f, 0.25f, -0.75f, -2.0f, 1.0f, 0.0f};
const std::vector<float> kYa = {1.0f, -0.5f, 0.25f, 0.75f, -1.0f, 2.0f};
const std::vector<float> kYb = {-0.5f, 0.5f, 1.5f, -1.25f, 0.0f, 1.0f};

// One linear layer whose output fans out to two squared-error heads with different targets.
std::string two_head_graph(const std::string& loss) {
  return R"(format: gradflow/1
inputs:
  x: {shape: [3]}
  ya: {shape: [2]}
  yb: {shape: [2]}
nodes:
  - {name: lin, op: Linear, inputs: [x], out_features: 2, init: {normal: 0.7}, bias_init: {normal: 0.7}}
  - {name: loss_a, op: MSE, inputs: [lin, ya]}
  - {name: loss_b, op: MSE, inputs: [lin, yb]}
loss: )" +
         loss + "\n";
}

std::unique_ptr<Model> run_step(const std::string& yaml, const OpRegistry& registry,
                                const PlanOptions& options = {}) {
  auto model = plan_text(yaml, registry, options);
  model->allocate(kBatch);
  model->init_parameters(11);
  fill_input(*model, "x", kX);
  fill_input(*model, "ya", kYa);
  fill_input(*model, "yb", kYb);
  model->forward(kBatch);
  model->backward(kBatch);
  return model;
}

std::vector<float> grad_of(const Model& model, const std::string& param) {
  const Parameter& p = param_named(model, param);
  return std::vector<float>(p.grad.data(), p.grad.data() + p.grad.size());
}

}  // namespace

TEST_CASE("fan-out: a value read by two losses gets the sum of both gradients",
          "[model][backward]") {
  auto registry = builtin_registry();
  const double wa = 0.3, wb = 1.7;
  auto both = run_step(two_head_graph("[{node: loss_a, weight: 0.3}, {node: loss_b, weight: 1.7}]"),
                       *registry);
  auto only_a = run_step(two_head_graph("loss_a"), *registry);
  auto only_b = run_step(two_head_graph("loss_b"), *registry);

  // Against the heads run one at a time.
  for (const char* name : {"lin.weight", "lin.bias"}) {
    auto g = grad_of(*both, name), ga = grad_of(*only_a, name), gb = grad_of(*only_b, name);
    REQUIRE(g.size() == ga.size());
    for (size_t i = 0; i < g.size(); ++i) {
      INFO(name << "[" << i << "]");
      CHECK(g[i] == Approx(wa * ga[i] + wb * gb[i]).margin(1e-5));
      CHECK(ga[i] != Approx(gb[i]).margin(1e-3));  // the heads really differ
    }
  }

  // Against the closed form: d/dW sum_h w_h/B sum_r |W x_r + b - y_hr|^2
  //                        = sum_h w_h 2/B sum_r (W x_r + b - y_hr) x_r^T.
  const Parameter& W = param_named(*both, "lin.weight");
  const Parameter& b = param_named(*both, "lin.bias");
  const float* w = W.value.data();
  const float* bias = b.value.data();
  std::vector<double> dW(6, 0.0), db(2, 0.0);
  for (int64_t r = 0; r < kBatch; ++r) {
    for (int o = 0; o < 2; ++o) {
      double z = bias[o];
      for (int i = 0; i < 3; ++i) z += double(w[o * 3 + i]) * kX[r * 3 + i];
      double dz = 2.0 / kBatch * (wa * (z - kYa[r * 2 + o]) + wb * (z - kYb[r * 2 + o]));
      db[o] += dz;
      for (int i = 0; i < 3; ++i) dW[o * 3 + i] += dz * kX[r * 3 + i];
    }
  }
  for (int i = 0; i < 6; ++i) CHECK(W.grad.data()[i] == Approx(dW[i]).epsilon(1e-4).margin(1e-5));
  for (int o = 0; o < 2; ++o) CHECK(b.grad.data()[o] == Approx(db[o]).epsilon(1e-4).margin(1e-5));
}

TEST_CASE("fan-out of a graph input sums the gradients of its consumers", "[model][backward]") {
  auto registry = builtin_registry();
  std::string yaml = R"(format: gradflow/1
inputs:
  x: {shape: [3]}
  ya: {shape: [2]}
  yb: {shape: [2]}
nodes:
  - {name: la, op: Linear, inputs: [x], out_features: 2, init: {normal: 0.7}}
  - {name: lb, op: Linear, inputs: [x], out_features: 2, init: {normal: 0.7}}
  - {name: loss_a, op: MSE, inputs: [la, ya]}
  - {name: loss_b, op: MSE, inputs: [lb, yb]}
loss: )";
  PlanOptions options;
  options.input_grads = {"x"};
  auto both = run_step(yaml + "[loss_a, loss_b]\n", *registry, options);
  auto only_a = run_step(yaml + "loss_a\n", *registry, options);
  auto only_b = run_step(yaml + "loss_b\n", *registry, options);
  auto x_grad = [](const Model& m) {
    const Value& v = m.values()[m.input_value("x")];
    REQUIRE(v.needs_grad);
    return std::vector<float>(v.grad.data(), v.grad.data() + 3 * kBatch);
  };
  auto g = x_grad(*both), ga = x_grad(*only_a), gb = x_grad(*only_b);
  for (size_t i = 0; i < g.size(); ++i) {
    CHECK(g[i] == Approx(ga[i] + gb[i]).margin(1e-5));
    CHECK(ga[i] != 0.0f);
    CHECK(gb[i] != 0.0f);
  }
  // The finite-difference checker agrees on the whole graph.
  GraphSpec spec = parse_graph(yaml + "[loss_a, loss_b]\n", "inline.yaml");
  const GradientCheckResult r = check_gradients(spec, *registry);
  CHECK(r.passed());
  REQUIRE(r.graph.size() == 7);  // weights and biases of la and lb, inputs x, ya and yb
  for (const auto& t : r.graph) {
    INFO(t.tensor << " max rel err " << t.max_rel_error);
    CHECK(t.disagreed == 0);
    CHECK(t.checked > 0);
  }
}

TEST_CASE("losses are weighted and summed", "[model][backward]") {
  auto registry = builtin_registry();
  auto model = run_step(two_head_graph("[{node: loss_a, weight: 0.25}, {node: loss_b, weight: 3}]"),
                        *registry);
  REQUIRE(model->loss_terms().size() == 2);
  double la = model->values()[model->value_index("loss_a")].data.data()[0];
  double lb = model->values()[model->value_index("loss_b")].data.data()[0];
  CHECK(la > 0);
  CHECK(lb > 0);
  CHECK(model->loss() == Approx(0.25 * la + 3 * lb));
  // Each loss is seeded with its weight.
  CHECK(model->values()[model->value_index("loss_a")].grad.data()[0] == 0.25f);
  CHECK(model->values()[model->value_index("loss_b")].grad.data()[0] == 3.0f);
}

TEST_CASE("a loss listed as a plain name has weight 1", "[model][backward]") {
  auto registry = builtin_registry();
  auto model = run_step(two_head_graph("[loss_a, loss_b]"), *registry);
  double la = model->values()[model->value_index("loss_a")].data.data()[0];
  double lb = model->values()[model->value_index("loss_b")].data.data()[0];
  CHECK(model->loss() == Approx(la + lb));
}

TEST_CASE("backward runs again with the same result: gradients are zeroed first",
          "[model][backward]") {
  auto registry = builtin_registry();
  auto model = run_step(two_head_graph("[loss_a, loss_b]"), *registry);
  auto first = grad_of(*model, "lin.weight");
  model->forward(kBatch);
  model->backward(kBatch);
  CHECK(grad_of(*model, "lin.weight") == first);
}

TEST_CASE("nodes that feed no loss are left out of backward", "[model][backward]") {
  // `rounded` uses an op without backward: planning would fail if the side branch were part
  // of the backward pass, and so would running it.
  auto registry = builtin_registry({test_plugin("not_differentiable")});
  std::string yaml = R"(format: gradflow/1
inputs:
  x: {shape: [3]}
  ya: {shape: [2]}
  yb: {shape: [2]}
nodes:
  - {name: lin, op: Linear, inputs: [x], out_features: 2, init: {normal: 0.7}}
  - {name: side, op: Linear, inputs: [lin], out_features: 2, init: {normal: 0.7}}
  - {name: rounded, op: Round, inputs: [side]}
  - {name: side_t, op: Tanh, inputs: [rounded]}
  - {name: loss_a, op: MSE, inputs: [lin, ya]}
  - {name: loss_b, op: MSE, inputs: [side, yb]}
loss: loss_a
predict: side_t
)";
  auto model = run_step(yaml, *registry);
  CHECK(node_named(*model, "lin").in_backward);
  CHECK(node_named(*model, "loss_a").in_backward);
  for (const char* name : {"side", "rounded", "side_t", "loss_b"}) {
    INFO(name);
    CHECK_FALSE(node_named(*model, name).in_backward);
    CHECK_FALSE(model->values()[model->value_index(name)].needs_grad);
  }
  // The side branch's weights get nothing, the trunk's get a gradient.
  for (float g : grad_of(*model, "side.weight")) CHECK(g == 0.0f);
  bool any = false;
  for (float g : grad_of(*model, "lin.weight")) any = any || g != 0.0f;
  CHECK(any);
}

TEST_CASE("an op without backward on the loss path is rejected when planning",
          "[model][backward]") {
  auto registry = builtin_registry({test_plugin("not_differentiable")});
  std::string yaml = R"(format: gradflow/1
inputs:
  x: {shape: [3]}
  ya: {shape: [2]}
nodes:
  - {name: lin, op: Linear, inputs: [x], out_features: 2}
  - {name: rounded, op: Round, inputs: [lin]}
  - {name: loss, op: MSE, inputs: [rounded, ya]}
loss: loss
)";
  try {
    plan_text(yaml, *registry);
    FAIL("planned a graph that needs the gradient of Round");
  } catch (const InputError& e) {
    REQUIRE(e.diagnostics().size() == 1);
    CHECK(e.diagnostics()[0].where.line == 7);
    CHECK_THAT(e.diagnostics()[0].message, Contains("'rounded'") && Contains("Round") &&
                                               Contains("not differentiable") &&
                                               Contains("not_differentiable.so"));
  }
}

TEST_CASE("an op without backward is fine where no parameter is upstream", "[model][backward]") {
  // Round reads only a graph input: nothing trainable before it, so no gradient is needed.
  auto registry = builtin_registry({test_plugin("not_differentiable")});
  std::string yaml = R"(format: gradflow/1
inputs:
  x: {shape: [3]}
  ya: {shape: [2]}
nodes:
  - {name: rounded, op: Round, inputs: [x]}
  - {name: lin, op: Linear, inputs: [rounded], out_features: 2}
  - {name: loss, op: MSE, inputs: [lin, ya]}
loss: loss
)";
  auto model = plan_text(yaml, *registry);
  CHECK_FALSE(node_named(*model, "rounded").in_backward);
  CHECK(node_named(*model, "lin").in_backward);
}

TEST_CASE("the fused softmax/cross-entropy gradient equals the unfused one", "[model][backward]") {
  auto registry = builtin_registry();
  std::string base = R"(format: gradflow/1
inputs:
  x: {shape: [3]}
  y: {shape: [4]}
nodes:
  - {name: logits, op: Linear, inputs: [x], out_features: 4, init: {normal: 1.0}, bias_init: {normal: 1.0}}
  - {name: yhat, op: Softmax, inputs: [logits]}
  - {name: xent, op: CrossEntropy, inputs: [yhat, y]}
  - {name: side, op: MSE, inputs: [yhat, y]}
)";
  auto run = [&](const std::string& loss) {
    auto model = plan_text(base + "loss: " + loss + "\n", *registry);
    model->allocate(kBatch);
    model->init_parameters(5);
    fill_input(*model, "x", kX);
    fill_input(*model, "y", {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1});
    model->forward(kBatch);
    model->backward(kBatch);
    return model;
  };
  // With the MSE on the softmax output at weight 0, the probabilities have a second consumer
  // that needs a gradient, so the planner must not fuse; the MSE adds exactly zero.
  auto fused = run("xent");
  auto unfused = run("[xent, {node: side, weight: 0}]");
  CHECK(node_named(*fused, "xent").fusion != nullptr);
  CHECK(node_named(*fused, "yhat").fused_away);
  CHECK(node_named(*unfused, "xent").fusion == nullptr);
  CHECK_FALSE(node_named(*unfused, "yhat").fused_away);
  CHECK(fused->loss() == Approx(unfused->loss()));
  for (const char* name : {"logits.weight", "logits.bias"}) {
    auto a = grad_of(*fused, name), b = grad_of(*unfused, name);
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      INFO(name << "[" << i << "]");
      CHECK(a[i] == Approx(b[i]).epsilon(1e-4).margin(1e-6));
    }
  }
  // And the fused gradient is (p - y) / B on the logits, computed here from the forward values.
  const Value& p = fused->values()[fused->value_index("yhat")];
  const Value& dz = fused->values()[fused->value_index("logits")];
  const std::vector<float> y = {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1};
  for (int64_t i = 0; i < 4 * kBatch; ++i)
    CHECK(dz.grad.data()[i] == Approx((p.data.data()[i] - y[i]) / kBatch).margin(1e-6));
}
