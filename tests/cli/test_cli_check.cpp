// graph-runner check as an op author meets it: valid ReLU nets pass at any seed, every planted
// mistake (tests/plugins/planted_mistakes.cpp) fails with the node, op and plugin named, and
// the whole file is validated, train section included.
#include "cli/cli_support.hpp"

#include "unit/graph_test_support.hpp"

#include <string>

using namespace gradflow::test;
using Catch::Matchers::Contains;

namespace {

// x -> Linear -> ReLU -> <op> -> Linear -> Softmax -> CrossEntropy: <op> has one consumer.
std::string graph_around(const std::string& op) {
  return "format: gradflow/1\nname: planted\ninputs:\n  x: {shape: [3]}\n  y: {shape: [2]}\n"
         "nodes:\n"
         "  - {name: l1, op: Linear, inputs: [x], out_features: 8}\n"
         "  - {name: r1, op: ReLU, inputs: [l1]}\n"
         "  - {name: scaled, op: " +
         op +
         ", inputs: [r1]}\n"
         "  - {name: l2, op: Linear, inputs: [scaled], out_features: 2}\n"
         "  - {name: yhat, op: Softmax, inputs: [l2]}\n"
         "  - {name: loss, op: CrossEntropy, inputs: [yhat, y]}\n"
         "loss: loss\n";
}

// A net of `layers` ReLU layers of `width` units: valid, so check must pass at every seed.
std::string relu_net(int inputs, int width, int layers, const std::string& init,
                     const std::string& loss) {
  std::string g = "format: gradflow/1\nname: relu\ninputs:\n  x: {shape: [" +
                  std::to_string(inputs) + "]}\n  y: {shape: [3]}\nnodes:\n";
  std::string last = "x";
  for (int k = 0; k < layers; ++k) {
    const std::string l = "l" + std::to_string(k), r = "r" + std::to_string(k);
    g += "  - {name: " + l + ", op: Linear, inputs: [" + last +
         "], out_features: " + std::to_string(width) + ", init: " + init + "}\n";
    g += "  - {name: " + r + ", op: ReLU, inputs: [" + l + "]}\n";
    last = r;
  }
  g += "  - {name: out, op: Linear, inputs: [" + last + "], out_features: 3}\n";
  if (loss == "CrossEntropy") {
    g += "  - {name: p, op: Softmax, inputs: [out]}\n";
    last = "p";
  } else {
    last = "out";
  }
  return g + "  - {name: loss, op: " + loss + ", inputs: [" + last + ", y]}\nloss: loss\n";
}

}  // namespace

TEST_CASE("check fails each planted op-author mistake, naming node, op and plugin",
          "[cli][gradcheck]") {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"ScaleWrongFactor", "backward disagrees with finite differences for input 'x'"},
      {"ScaleAssigns", "backward assigns (=) into the gradient of input 'x'"},
      {"ScaleNoParamGrad",
       "backward disagrees with finite differences for parameter 'w' at 8 of 8 values"},
      {"ScaleWritesPastEnd",
       "wrote outside the gradient of parameter 'w' in backward: up to 1 "
       "float(s) past its end"}};
  for (const auto& [op, problem] : cases) {
    TempDir tmp;
    const std::string graph = tmp.write("planted.yaml", graph_around(op));
    ProcessResult r = run_runner({"check", graph, "--plugin", test_plugin("planted_mistakes")});
    INFO(op << ": " << r.status_text() << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
    require_no_crash(r);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains(graph + ":9:5: error: nodes[2] 'scaled': op " + op + " (" +
                               test_plugin("planted_mistakes") + ")") &&
                          Contains(problem));
    CHECK(r.out.find("gradient check passed") == std::string::npos);
  }
}

TEST_CASE("check passes valid deep ReLU nets at every seed", "[cli][gradcheck]") {
  struct Net {
    int inputs, width, layers;
    const char* init;
    const char* loss;
  };
  const Net nets[] = {{2, 16, 2, "xavier", "CrossEntropy"},
                      {4, 32, 4, "he", "CrossEntropy"},
                      {3, 16, 3, "xavier", "SVM"},
                      {3, 16, 3, "he", "MSE"}};
  for (const Net& n : nets) {
    TempDir tmp;
    const std::string graph =
        tmp.write("relu.yaml", relu_net(n.inputs, n.width, n.layers, n.init, n.loss));
    for (int seed = 0; seed < 25; ++seed) {
      ProcessResult r = run_runner({"check", graph, "--seed", std::to_string(seed)});
      INFO(n.layers << " x " << n.width << " " << n.init << " " << n.loss << " seed " << seed
                    << ": " << r.status_text() << "\n"
                    << r.out << r.err);
      REQUIRE(r.exit_code == 0);
      CHECK_THAT(r.out, Contains("gradient check passed"));
    }
  }
}

TEST_CASE("check reports how many points it skipped at kinks, and why", "[cli][gradcheck]") {
  TempDir tmp;
  const std::string graph = tmp.write("relu.yaml", relu_net(2, 16, 3, "xavier", "SVM"));
  ProcessResult r = run_runner({"check", graph});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains(" values checked, ") && Contains(" skipped"));
}

TEST_CASE("check validates the train section as train does", "[cli][gradcheck]") {
  TempDir tmp;
  std::string text = read_text(source_path("graphs/circles_mlp.yaml"));
  const auto at = text.find("dataset: circles");
  REQUIRE(at != std::string::npos);
  text.replace(at, 16, "dataset: circels");
  const std::string graph = tmp.write("typo.yaml", text);
  for (const char* command : {"check", "train"}) {
    std::vector<std::string> args{command, graph};
    if (std::string(command) == "train") args.insert(args.end(), {"--out", tmp / "run"});
    ProcessResult r = run_runner(args);
    INFO(command << ": " << r.status_text() << "\n" << r.out << r.err);
    require_no_crash(r);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("circels"));
    CHECK(r.out.find("gradient check passed") == std::string::npos);
  }
}
