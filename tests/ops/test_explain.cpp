// Every built-in op explains itself through the ABI's explain hook: a forward formula and one
// formula per gradient its backward adds, in placeholders of its own ports and parameters.
#include "ops/builtin_ops.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <set>

using namespace gftest;

namespace {

struct Case {
  const char* op;
  std::vector<Shape> inputs;
  std::vector<Attr> attrs;
};

std::vector<Case> cases() {
  return {{"Linear", {{3}}, {{"out_features", 4}}},
          {"Tanh", {{5}}, {}},
          {"ReLU", {{5}}, {}},
          {"Softmax", {{6}}, {}},
          {"CrossEntropy", {{3}, {3}}, {}},
          {"MSE", {{3}, {3}}, {}},
          {"SVM", {{3}, {3}}, {}}};
}

// Every {placeholder} names something the host can resolve for this op.
void check_placeholders(const Node& node, const std::string& text) {
  const gf_op_def& def = node.op().def();
  std::set<std::string> known{"out", "B"};
  for (uint32_t i = 0; i < def.n_inputs; ++i) known.insert(def.input_names[i]);
  for (uint32_t i = 0; i < node.info().n_params; ++i) known.insert(node.info().params[i].name);
  static const std::regex token(R"(\{(?:grad |shape |source )*([^{} ]+)\})");
  size_t braces = 0;
  for (char c : text) braces += c == '{';
  size_t seen = 0;
  for (std::sregex_iterator it(text.begin(), text.end(), token), end; it != end; ++it, ++seen) {
    INFO(def.name << ": " << text);
    CHECK(known.count((*it)[1]) == 1);
  }
  // A brace that is not a placeholder would reach the reader verbatim.
  CHECK(seen == braces);
}

}  // namespace

TEST_CASE("every built-in op declares a forward formula and one per gradient", "[explain]") {
  for (const Case& c : cases()) {
    SECTION(c.op) {
      Node node(builtin(c.op), c.inputs, c.attrs);
      Explanation e = explain(node);
      INFO(e.message);
      REQUIRE(e.ok);
      std::set<std::pair<uint32_t, uint32_t>> kinds;
      for (const auto& f : e.formulas) {
        kinds.insert({f.kind, f.index});
        CHECK_FALSE(f.text.empty());
        check_placeholders(node, f.text);
      }
      CHECK(kinds.count({GF_EXPLAIN_FORWARD, 0}) == 1);
      for (uint32_t i = 0; i < node.op().def().n_inputs; ++i)
        CHECK(kinds.count({GF_EXPLAIN_INPUT_GRAD, i}) == 1);
      for (uint32_t p = 0; p < node.info().n_params; ++p)
        CHECK(kinds.count({GF_EXPLAIN_PARAM_GRAD, p}) == 1);
    }
  }
}

TEST_CASE("Linear explains exactly the parameters it has", "[explain][linear]") {
  Node with_bias(builtin("Linear"), {{3}}, {{"out_features", 2}});
  Node without(builtin("Linear"), {{3}}, {{"out_features", 2}, {"bias", false}});
  auto count_param_grads = [](const Explanation& e) {
    size_t n = 0;
    for (const auto& f : e.formulas) n += f.kind == GF_EXPLAIN_PARAM_GRAD;
    return n;
  };
  CHECK(count_param_grads(explain(with_bias)) == 2);
  Explanation e = explain(without);
  CHECK(count_param_grads(e) == 1);
  for (const auto& f : e.formulas) CHECK(f.text.find("{bias}") == std::string::npos);
}

TEST_CASE("elementwise ops explain f and f' through the Elementwise helper", "[explain][tanh]") {
  Node tanh(builtin("Tanh"), {{4}});
  Explanation e = explain(tanh);
  REQUIRE(e.ok);
  REQUIRE(e.formulas.size() == 2);
  CHECK(e.formulas[0].text == "{out} = tanh({x})");
  CHECK(e.formulas[1].text == "{grad x} += {grad out} ⊙ (1 − {out}²)");
}

TEST_CASE("CrossEntropy explains the gradient it writes when fused with Softmax", "[explain]") {
  Node loss(builtin("CrossEntropy"), {{3}, {3}});
  Explanation e = explain(loss);
  bool fused = false;
  for (const auto& f : e.formulas)
    if (f.kind == GF_EXPLAIN_FUSED_GRAD && f.index == 0) {
      fused = true;
      CHECK(f.text.find("{grad source probs}") == 0);
    }
  CHECK(fused);
}

TEST_CASE("a host that refuses a formula makes explain fail with a message", "[explain]") {
  Node linear(builtin("Linear"), {{3}}, {{"out_features", 2}});
  Explanation e = explain(linear, 1);
  CHECK_FALSE(e.ok);
  CHECK_THAT(e.message, Catch::Matchers::Contains("refused"));
}
