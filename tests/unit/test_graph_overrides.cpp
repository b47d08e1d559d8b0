// --set KEY=VALUE: values replaced or added in the graph file's YAML before it is checked, and
// problems blamed on the override at the line of the value it replaced.
#include <gradflow/graph_overrides.hpp>

#include "unit/graph_test_support.hpp"

using namespace gradflow;
using namespace gradflow::test;
using Catch::Matchers::Contains;

namespace {

const char* kGraph = R"(format: gradflow/1
name: g
inputs:
  x: {shape: [2]}
  y: {shape: [2]}
nodes:
  - {name: block.one, op: Linear, inputs: [x], out_features: 4}
  - {name: h, op: Tanh, inputs: [block.one]}
  - {name: out, op: Linear, inputs: [h], out_features: 2}
  - {name: loss, op: MSE, inputs: [out, y]}
loss: loss
train:
  data: {dataset: circles, seed: 0}
  batch_size: 10
  optimizer: {name: sgd, lr: 0.03}
)";

std::vector<Diagnostic> errors_of(const std::string& path, const std::vector<GraphOverride>& o) {
  try {
    load_graph_file(path, o);
  } catch (const InputError& e) {
    return e.diagnostics();
  }
  FAIL("no error");
  return {};
}

}  // namespace

TEST_CASE("parse_override splits KEY=VALUE and refuses anything else", "[set]") {
  GraphOverride o = parse_override("train.optimizer.lr=0.1");
  CHECK(o.key == "train.optimizer.lr");
  CHECK(o.value == "0.1");
  CHECK(o.arg == "--set train.optimizer.lr=0.1");
  CHECK(parse_override("nodes.a.init={normal: 0.1}").value == "{normal: 0.1}");
  for (const char* bad : {"lr", "=0.1", "lr=", ""})
    CHECK_THROWS_AS(parse_override(bad), InputError);
}

TEST_CASE("overrides replace, add and reach nodes by name", "[set]") {
  TempDir tmp;
  const std::string path = tmp.write("g.yaml", kGraph);
  GraphSpec spec = load_graph_file(
      path, {parse_override("train.optimizer.lr=0.5"), parse_override("train.batch_size=full"),
             parse_override("train.epochs=7"), parse_override("train.optimizer.momentum=0.9"),
             parse_override("nodes.h.op=ReLU"), parse_override("nodes.block.one.out_features=9")});
  CHECK(spec.train.optimizer.lr == 0.5);
  CHECK(spec.train.optimizer.momentum == 0.9);
  CHECK(spec.train.batch_size == 0);
  CHECK(spec.train.epochs == 7);
  CHECK(spec.find_node("h")->op == "ReLU");
  // A node name with a dot is found whole.
  const NodeSpec* block = spec.find_node("block.one");
  REQUIRE(block != nullptr);
  bool found = false;
  for (const auto& a : block->attrs)
    if (a.key == "out_features") found = a.value.Scalar() == "9";
  CHECK(found);
  // The file itself is untouched.
  CHECK(read_text(path) == kGraph);
}

TEST_CASE("a bad override is blamed by name at the value's line", "[set]") {
  TempDir tmp;
  const std::string path = tmp.write("g.yaml", kGraph);
  auto lr = errors_of(path, {parse_override("train.optimizer.lr=fast")});
  REQUIRE(lr.size() == 1);
  CHECK(lr[0].where.line == 15);
  CHECK_THAT(lr[0].message, Contains("--set train.optimizer.lr=fast: 'lr' must be"));

  auto node = errors_of(path, {parse_override("nodes.hh.op=ReLU")});
  REQUIRE(node.size() == 1);
  CHECK(node[0].where.line == 7);  // the node list
  CHECK_THAT(node[0].message, Contains("no node 'hh' (did you mean 'h'?)"));

  // An added key that the format does not know: at the line of the mapping it went into.
  auto added = errors_of(path, {parse_override("train.speed=3")});
  REQUIRE(added.size() == 1);
  CHECK(added[0].where.line == 13);
  CHECK_THAT(added[0].message, Contains("--set train.speed=3: unknown key of 'train' 'speed'"));

  auto scalar = errors_of(path, {parse_override("train.batch_size.x=3")});
  REQUIRE(scalar.size() == 1);
  CHECK_THAT(scalar[0].message, Contains("'train.batch_size' is not a mapping"));
}

TEST_CASE("of several overrides, each problem is blamed on its own", "[set]") {
  TempDir tmp;
  const std::string path = tmp.write("g.yaml", kGraph);
  auto errors = errors_of(
      path, {parse_override("train.optimizer.lr=0.1"), parse_override("train.batch_size=-3")});
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0].message, Contains("--set train.batch_size=-3:"));
  CHECK(errors[0].message.find("lr=0.1") == std::string::npos);
}
