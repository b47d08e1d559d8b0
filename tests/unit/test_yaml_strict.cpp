// What yaml-cpp accepts but a graph file must not contain: duplicate keys at any depth, merge
// keys, a second document, NUL bytes. Plain anchors and aliases stay allowed.
#include "unit/graph_test_support.hpp"

using namespace gradflow;
using namespace gradflow::test;
using Catch::Matchers::Contains;

namespace {

const std::string kHead = "format: gradflow/1\ninputs:\n  x: {shape: [2]}\n  y: {shape: [2]}\n";

std::string error_of(const std::string& text) {
  try {
    parse_graph(text, "g.yaml");
  } catch (const InputError& e) {
    return e.what();
  }
  FAIL("expected an InputError for:\n" << text);
  return {};
}

}  // namespace

TEST_CASE("yaml: a duplicate key is refused at any depth, with both positions", "[graph][yaml]") {
  SECTION("in a loss term inside a list") {
    auto m = error_of(kHead +
                      "nodes:\n  - {name: a, op: MSE, inputs: [x, y]}\n"
                      "loss: [{node: a, node: a, weight: 1}]\n");
    CHECK_THAT(m, Contains("g.yaml:7:18: error: duplicate key 'node' in 'loss[0]'") &&
                      Contains("first at line 7, column 9"));
  }
  SECTION("through an alias of a scalar used as a key") {
    auto m =
        error_of(kHead + "nodes:\n  - {name: a, op: MSE, inputs: [x, y], &k margin: 1, *k : 2}\n");
    CHECK_THAT(m, Contains("g.yaml:6:54") && Contains("duplicate key 'margin' in 'nodes[0]'"));
  }
  SECTION("a huge key is cut short in the message") {
    std::string key(500, 'k');  // YAML allows implicit keys up to 1024 characters
    auto m = error_of(kHead + "nodes: []\ntrain: {" + key + ": 1, " + key + ": 2}\n");
    CHECK_THAT(m, Contains("duplicate key 'kkkk") && Contains("...' in 'train'"));
    CHECK(m.size() < 400);
  }
  SECTION("a file of nothing but duplicates stops after twenty") {
    std::string text = kHead + "train:\n";
    for (int i = 0; i < 1000; ++i) text += "  epochs: 1\n";
    auto m = error_of(text);
    CHECK_THAT(m, Contains("too many problems; stopping here"));
    CHECK(std::count(m.begin(), m.end(), '\n') < 25);
  }
}

TEST_CASE("yaml: merge keys, a second document and NUL bytes are refused", "[graph][yaml]") {
  CHECK_THAT(error_of(kHead + "train: {<<: {epochs: 3}}\n"),
             Contains("g.yaml:5:9") && Contains("merge keys ('<<') in 'train'"));
  CHECK_THAT(error_of(kHead + "nodes: []\n---\nnodes: []\n"),
             Contains("g.yaml:6:1") && Contains("a second YAML document"));
  // The NUL's own line and column, not yaml-cpp's idea of an escape somewhere after it.
  CHECK_THAT(error_of(kHead + std::string("name: a\0b\n", 10)),
             Contains("g.yaml:5:8: error: NUL byte"));
}

TEST_CASE("yaml: a leading '---', a closing '...' and plain aliases are fine", "[graph][yaml]") {
  const std::string body =
      "nodes:\n"
      "  - {name: a, op: Linear, inputs: [x], out_features: 2, init: &w {normal: 0.25}}\n"
      "  - {name: b, op: Linear, inputs: [a], out_features: 2, init: *w}\n"
      "  - {name: loss, op: MSE, inputs: [b, y]}\nloss: loss\n";
  auto registry = builtin_registry();
  for (const std::string& text : {kHead + body, "---\n" + kHead + body + "...\n"}) {
    INFO(text);
    auto model = plan_text(text, *registry);
    CHECK(param_named(*model, "a.weight").init.kind == GF_INIT_NORMAL);
    CHECK(param_named(*model, "b.weight").init.value == 0.25);
  }
}
