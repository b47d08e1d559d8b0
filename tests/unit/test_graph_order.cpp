// The scheduler's order: producers before consumers whatever the order in the file, the same
// order on every run, and cycles reported with their nodes.
#include "unit/graph_test_support.hpp"

#include <algorithm>
#include <map>

using namespace gradflow;
using namespace gradflow::test;
using Catch::Matchers::Contains;

namespace {

const char* kHeader = R"(format: gradflow/1
inputs:
  x: {shape: [3]}
  y: {shape: [2]}
)";

// A diamond with a tail, written consumer-first: every node appears before its producers.
const char* kReversedNodes = R"(nodes:
  - {name: loss,   op: CrossEntropy, inputs: [yhat, y]}
  - {name: yhat,   op: Softmax,      inputs: [logits]}
  - {name: logits, op: Linear,       inputs: [joined], out_features: 2, init: {normal: 0.5}}
  - {name: joined, op: Linear,       inputs: [left_t], out_features: 4, init: {normal: 0.5}}
  - {name: left_t, op: Tanh,         inputs: [left]}
  - {name: right,  op: ReLU,         inputs: [hidden]}
  - {name: left,   op: Tanh,         inputs: [hidden]}
  - {name: hidden, op: Linear,       inputs: [x], out_features: 4, init: {normal: 0.5}}
loss: loss
)";

const char* kForwardNodes = R"(nodes:
  - {name: hidden, op: Linear,       inputs: [x], out_features: 4, init: {normal: 0.5}}
  - {name: left,   op: Tanh,         inputs: [hidden]}
  - {name: right,  op: ReLU,         inputs: [hidden]}
  - {name: left_t, op: Tanh,         inputs: [left]}
  - {name: joined, op: Linear,       inputs: [left_t], out_features: 4, init: {normal: 0.5}}
  - {name: logits, op: Linear,       inputs: [joined], out_features: 2, init: {normal: 0.5}}
  - {name: yhat,   op: Softmax,      inputs: [logits]}
  - {name: loss,   op: CrossEntropy, inputs: [yhat, y]}
loss: loss
)";

void require_producers_first(const Model& model) {
  std::map<std::string, size_t> position;
  const auto& nodes = model.nodes();
  for (size_t k = 0; k < nodes.size(); ++k) position[nodes[k].spec->name] = k;
  for (size_t k = 0; k < nodes.size(); ++k) {
    for (const auto& in : nodes[k].spec->inputs) {
      if (!position.count(in)) continue;  // a graph input
      INFO(nodes[k].spec->name << " consumes " << in);
      CHECK(position[in] < k);
    }
  }
}

double loss_of(Model& model) {
  model.allocate(3);
  model.init_parameters(7);
  fill_input(model, "x", {0.5f, -1.0f, 2.0f, 1.5f, 0.25f, -0.75f, -2.0f, 1.0f, 0.0f});
  fill_input(model, "y", {1, 0, 0, 1, 1, 0});
  model.forward(3);
  return model.loss();
}

}  // namespace

TEST_CASE("nodes listed consumer-first still run producer-first", "[graph][order]") {
  auto registry = builtin_registry();
  auto model = plan_text(std::string(kHeader) + kReversedNodes, *registry);
  REQUIRE(model->nodes().size() == 8);
  require_producers_first(*model);
  // Every node output's producer index points back at the node that computes it.
  for (size_t k = 0; k < model->nodes().size(); ++k)
    CHECK(model->values()[model->nodes()[k].output].producer == static_cast<int>(k));
}

TEST_CASE("the execution order is the same on every plan", "[graph][order]") {
  auto registry = builtin_registry();
  auto first = execution_order(*plan_text(std::string(kHeader) + kReversedNodes, *registry));
  for (int i = 0; i < 5; ++i)
    CHECK(execution_order(*plan_text(std::string(kHeader) + kReversedNodes, *registry)) == first);
}

TEST_CASE("the order in the file does not change the numbers", "[graph][order]") {
  auto registry = builtin_registry();
  auto reversed = plan_text(std::string(kHeader) + kReversedNodes, *registry);
  auto forward = plan_text(std::string(kHeader) + kForwardNodes, *registry);
  require_producers_first(*forward);
  // Parameters are drawn per name, so both files get the same weights and the same loss.
  double a = loss_of(*reversed);
  double b = loss_of(*forward);
  CHECK(std::isfinite(a));
  CHECK(a == b);
}

TEST_CASE("a cycle is reported with the nodes on it", "[graph][order]") {
  auto registry = builtin_registry();
  std::string text = std::string(kHeader) + R"(nodes:
  - {name: start, op: Linear, inputs: [x], out_features: 2}
  - {name: a, op: Tanh, inputs: [c]}
  - {name: b, op: Tanh, inputs: [a]}
  - {name: c, op: Tanh, inputs: [b]}
)";
  try {
    plan_text(text, *registry);
    FAIL("a cyclic graph was planned");
  } catch (const InputError& e) {
    REQUIRE(e.diagnostics().size() == 1);
    const std::string& message = e.diagnostics()[0].message;
    CHECK_THAT(message, Contains("cycle"));
    // The cycle may start at any of its nodes, but it must go a -> b -> c around.
    bool found = false;
    for (const char* rotation : {"a -> b -> c -> a", "b -> c -> a -> b", "c -> a -> b -> c"})
      found = found || message.find(rotation) != std::string::npos;
    INFO(message);
    CHECK(found);
    CHECK(message.find("start") == std::string::npos);
  }
}

TEST_CASE("a node that consumes itself is a cycle", "[graph][order]") {
  auto registry = builtin_registry();
  std::string text = std::string(kHeader) + R"(nodes:
  - {name: loop, op: Tanh, inputs: [loop]}
)";
  CHECK_THROWS_WITH(plan_text(text, *registry), Contains("loop -> loop"));
}
