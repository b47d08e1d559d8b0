// The host's side of explain: the ops' placeholders become the graph's names, gradients are
// listed for what backward really computes (fusions, inputs without gradient), and ops without
// formulas are said to have none.
#include <gradflow/explain.hpp>

#include "unit/graph_test_support.hpp"

using namespace gradflow;
using namespace gradflow::test;
using Catch::Matchers::Contains;

namespace {

const char* kPerceptron = R"(format: gradflow/1
inputs:
  x: {shape: [2]}
  y: {shape: [3]}
nodes:
  - {name: hidden, op: Linear, inputs: [x], out_features: 5}
  - {name: h, op: Tanh, inputs: [hidden]}
  - {name: logits, op: Linear, inputs: [h], out_features: 3}
  - {name: yhat, op: Softmax, inputs: [logits]}
  - {name: loss, op: CrossEntropy, inputs: [yhat, y]}
loss: loss
predict: yhat
)";

const NodeExplanation& find(const std::vector<NodeExplanation>& nodes, const std::string& name) {
  for (const auto& n : nodes)
    if (n.node == name) return n;
  FAIL("no node " << name);
  return nodes.front();
}

std::vector<std::string> gradients(const NodeExplanation& n) {
  std::vector<std::string> of;
  for (const auto& g : n.backward) of.push_back(g.of);
  return of;
}

}  // namespace

TEST_CASE("explain fills in the graph's names and shapes", "[explain]") {
  auto registry = builtin_registry();
  auto model = plan_text(kPerceptron, *registry);
  auto nodes = explain_model(*model);
  REQUIRE(nodes.size() == 5);

  const NodeExplanation& hidden = find(nodes, "hidden");
  CHECK(hidden.op == "Linear");
  CHECK(hidden.declared);
  CHECK(hidden.forward == "hidden = x hidden.weightᵀ + hidden.bias");
  // x is a graph input: nobody needs its gradient, so none is listed.
  CHECK(gradients(hidden) == std::vector<std::string>{"∂L/∂hidden.weight", "∂L/∂hidden.bias"});
  CHECK(hidden.shapes ==
        std::vector<std::pair<std::string, std::string>>{
            {"x", "B×2"}, {"hidden.weight", "5×2"}, {"hidden.bias", "5"}, {"hidden", "B×5"}});

  const NodeExplanation& h = find(nodes, "h");
  CHECK(h.forward == "h = tanh(hidden)");
  REQUIRE(h.backward.size() == 1);
  CHECK(h.backward[0].text == "∂L/∂hidden += ∂L/∂h ⊙ (1 − h²)");

  const NodeExplanation& logits = find(nodes, "logits");
  CHECK(gradients(logits) ==
        std::vector<std::string>{"∂L/∂h", "∂L/∂logits.weight", "∂L/∂logits.bias"});
}

TEST_CASE("explain shows the softmax/cross-entropy fusion as the loss writing dL/dlogits",
          "[explain]") {
  auto registry = builtin_registry();
  auto nodes = explain_model(*plan_text(kPerceptron, *registry));
  const NodeExplanation& softmax = find(nodes, "yhat");
  CHECK(softmax.backward.empty());
  REQUIRE(softmax.notes.size() == 1);
  CHECK_THAT(softmax.notes[0], Contains("fused into 'loss'"));
  const NodeExplanation& loss = find(nodes, "loss");
  REQUIRE(loss.backward.size() == 1);
  CHECK(loss.backward[0].of == "∂L/∂logits");
  CHECK(loss.backward[0].text == "∂L/∂logits += ∂L/∂loss (yhat Σ_i y_i − y) / B");
}

TEST_CASE("without the fusion the softmax explains its own Jacobian", "[explain]") {
  std::string graph = kPerceptron;
  graph.replace(graph.find("CrossEntropy"), 12, "MSE");
  auto registry = builtin_registry();
  auto nodes = explain_model(*plan_text(graph, *registry));
  const NodeExplanation& softmax = find(nodes, "yhat");
  REQUIRE(softmax.backward.size() == 1);
  CHECK(softmax.backward[0].of == "∂L/∂logits");
  CHECK_THAT(softmax.backward[0].text, Contains("yhat_i"));
}

TEST_CASE("an op without formulas is explained as having none", "[explain][plugins]") {
  auto registry = builtin_registry({test_plugin("abi_1_0_ops")});
  auto model = plan_text(R"(format: gradflow/1
inputs: {x: {shape: [2]}, y: {shape: [2]}}
nodes:
  - {name: hidden, op: Linear, inputs: [x], out_features: 2}
  - {name: scaled, op: Scale10, inputs: [hidden]}
  - {name: loss, op: MSE, inputs: [scaled, y]}
loss: loss
)",
                         *registry);
  const auto nodes = explain_model(*model);
  const NodeExplanation& scaled = find(nodes, "scaled");
  CHECK_FALSE(scaled.declared);
  CHECK(scaled.forward == "no formula declared");
  // Its input's gradient and its trained scale's.
  CHECK(gradients(scaled) == std::vector<std::string>{"∂L/∂hidden", "∂L/∂scaled.w"});
  for (const auto& g : scaled.backward) CHECK(g.text == "no formula declared");
}

TEST_CASE("explain.json keeps everything the report shows", "[explain]") {
  auto registry = builtin_registry();
  auto nodes = explain_model(*plan_text(kPerceptron, *registry));
  auto back = parse_explain_json(explain_json(nodes), "explain.json");
  REQUIRE(back.size() == nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    CHECK(back[i].node == nodes[i].node);
    CHECK(back[i].forward == nodes[i].forward);
    CHECK(back[i].notes == nodes[i].notes);
    CHECK(back[i].shapes == nodes[i].shapes);
    CHECK(back[i].backward.size() == nodes[i].backward.size());
  }
  CHECK_THROWS_AS(parse_explain_json("{\"not\": \"a list\"}", "x.json"), InputError);
  CHECK_THROWS_AS(parse_explain_json("[{\"node\": 3}]", "x.json"), InputError);
}
