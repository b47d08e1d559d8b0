// A loss that no parameter feeds has a zero gradient everywhere: `train` used to run every
// epoch at a constant loss and save the untouched initial weights. It is refused when the
// graph is planned, naming the loss node.
#include "cli/cli_support.hpp"

#include "unit/graph_test_support.hpp"

#include <filesystem>

using namespace gradflow::test;
using Catch::Matchers::Contains;

namespace {

const std::string kGraph = R"(format: gradflow/1
name: untrainable
inputs:
  x: {shape: [2]}
  y: {shape: [2]}
nodes:
  - {name: hidden, op: Linear, inputs: [x], out_features: 2}
  - {name: squashed, op: Tanh, inputs: [x]}
  - {name: fit, op: MSE, inputs: [hidden, y]}
  - {name: constant, op: MSE, inputs: [squashed, y]}
LOSS
train:
  data: {dataset: circles, seed: 0}
  epochs: 2
)";

std::string graph_with(const std::string& loss) {
  std::string text = kGraph;
  text.replace(text.find("LOSS"), 4, loss);
  return text;
}

}  // namespace

TEST_CASE("train refuses a loss that depends on no trainable parameter", "[cli][train]") {
  TempDir tmp;
  for (const std::string loss : {"loss: constant", "loss: [fit, constant]"}) {
    INFO(loss);
    std::string graph = tmp.write("g.yaml", graph_with(loss));
    ProcessResult r = run_runner({"train", graph, "--out", tmp / "run"});
    INFO(r.status_text() << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
    require_no_crash(r);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Contains(graph + ":11:") &&
                          Contains("loss 'constant' (MSE) depends on no trainable parameter") &&
                          Contains("nothing to train"));
    CHECK_FALSE(std::filesystem::exists(tmp / "run"));  // refused before anything is written
  }
  // The trainable term alone is fine. `check` validates the train section as train does, so
  // it refuses the same graph with the same message.
  std::string graph = tmp.write("g.yaml", graph_with("loss: fit"));
  ProcessResult ok = run_runner({"train", graph, "--out", tmp / "ok"});
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  ProcessResult check = run_runner({"check", tmp.write("c.yaml", graph_with("loss: constant"))});
  INFO(check.err);
  CHECK(check.exit_code == 2);
  CHECK_THAT(check.err, Contains("depends on no trainable parameter: nothing to check"));
}
