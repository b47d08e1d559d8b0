// Messages that must say what is really wrong: a non-finite loss names its likely cause and a
// checkpoint only if one exists; flags are refused rather than wrapped; a file of the wrong
// kind, a plugin for another CPU and a symbolic link loop each say so.
#include <gradflow/atomic_file.hpp>

#include "cli/cli_support.hpp"
#include "support/temp_dir.hpp"
#include "unit/graph_test_support.hpp"

#include <filesystem>
#include <string>
#include <vector>

using namespace gradflow;
using namespace gradflow::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

std::string graph_text(const std::string& first_node, const std::string& data) {
  return R"(format: gradflow/1
name: faulty
inputs:
  x: {shape: [2]}
  y: {shape: [2]}
nodes:
  - )" + first_node +
         R"(
  - {name: h, op: Linear, inputs: [f], out_features: 2}
  - {name: p, op: Softmax, inputs: [h]}
  - {name: loss, op: CrossEntropy, inputs: [p, y]}
loss: loss
predict: p
train:
  data: )" +
         data + R"(
  epochs: 3
)";
}

}  // namespace

TEST_CASE("a non-finite loss names its likely cause, and a checkpoint only if one exists",
          "[cli][messages]") {
  TempDir tmp;
  const std::string circles = "{dataset: circles, seed: 0}";
  SECTION("the data") {
    std::string graph =
        tmp.write("g.yaml", graph_text("{name: f, op: Linear, inputs: [x], out_features: 3}",
                                       "{dataset: circles, seed: 0, noise: 1e300}"));
    ProcessResult r = run_runner({"train", graph, "--out", tmp / "run"});
    require_no_crash(r);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("Likely cause: the data: graph input 'x'"));
    CHECK_THAT(r.err, !Contains("checkpoint") && !Contains("learning rate"));
  }
  SECTION("an attribute") {
    std::string graph = tmp.write(
        "g.yaml", graph_text("{name: f, op: RBFFeatures, inputs: [x], gamma: 1e308}", circles));
    ProcessResult r = run_runner({"train", graph, "--out", tmp / "run"});
    require_no_crash(r);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("the first node with a non-finite output is 'f'"));
    CHECK_THAT(r.err, Contains("Likely cause: an attribute: node 'f' (RBFFeatures)") &&
                          Contains("gamma: '1e308'"));
    CHECK_THAT(r.err, !Contains("checkpoint") && !Contains("learning rate"));
  }
  SECTION("the learning rate, with the checkpoint it can go back to") {
    // A linear regression on raw targets: with lr 1e6 the weights overflow within steps.
    std::string graph = tmp.write("g.yaml", R"(format: gradflow/1
name: diverge
inputs:
  x: {shape: [2]}
  y: {shape: [2]}
nodes:
  - {name: out, op: Linear, inputs: [x], out_features: 2}
  - {name: loss, op: MSE, inputs: [out, y]}
loss: loss
train:
  data: {dataset: circles, seed: 0}
  epochs: 3
)");
    ProcessResult first = run_runner({"train", graph, "--out", tmp / "run", "--epochs", "1"});
    REQUIRE(first.exit_code == 0);
    ProcessResult r = run_runner({"train", graph, "--out", tmp / "run", "--lr", "1e6", "--resume",
                                  tmp / "run/checkpoint.safetensors"});
    require_no_crash(r);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("Likely cause: the learning rate") &&
                          Contains("smaller learning rate than 1000000"));
    CHECK_THAT(r.err,
               Contains("The last good checkpoint is " + tmp / "run/checkpoint.safetensors"));
  }
}

TEST_CASE("the learning-rate and seed flags are refused unless they are what they claim",
          "[cli][messages]") {
  TempDir tmp;
  const std::string graph = source_path("graphs/circles_mlp.yaml");
  for (const std::vector<std::string>& flag : {std::vector<std::string>{"--lr", "nan"},
                                               {"--lr", "inf"},
                                               {"--lr", "-0.1"},
                                               {"--lr", "0.1x"},
                                               {"--seed", "-1"},
                                               {"--seed", "1e23"},
                                               {"--seed", "18446744073709551616"},
                                               {"--seed", "+3"},
                                               {"--seed", "0x10"}}) {
    SECTION(flag[0] + " " + flag[1]) {
      ProcessResult r =
          run_runner({"train", graph, "--epochs", "1", "--out", tmp / "run", flag[0], flag[1]});
      require_clean_rejection(r);
      CHECK_THAT(r.err, Contains("error: " + flag[0] + " must be"));
    }
  }
  SECTION("the largest seed is a seed") {
    ProcessResult r = run_runner(
        {"train", graph, "--epochs", "1", "--seed", "18446744073709551615", "--out", tmp / "run"});
    require_no_crash(r);
    CHECK(r.exit_code == 0);
  }
}

TEST_CASE("files of the wrong kind say what they are", "[cli][messages]") {
  TempDir tmp;
  const std::string graph = source_path("graphs/circles_mlp.yaml");
  SECTION("--weights DIR") {
    ProcessResult r = run_runner({"eval", graph, "--weights", tmp.path().string()});
    require_clean_rejection(r);
    CHECK_THAT(r.err,
               Contains(tmp.path().string() + ": error: is a directory, not a weights file"));
  }
  SECTION("--plugin /dev/zero") {
    ProcessResult r = run_runner({"--plugin", "/dev/zero", "ops"});
    require_clean_rejection(r);
    CHECK_THAT(r.err, Contains("plugin '/dev/zero': is a device, not a regular file"));
  }
  SECTION("a symbolic link loop") {
    fs::create_symlink(tmp / "loop.yaml", tmp / "loop.yaml");
    ProcessResult r = run_runner({"check", tmp / "loop.yaml"});
    require_clean_rejection(r);
    CHECK_THAT(r.err, Contains("loop.yaml: error: ") && Contains("symbolic link"));
  }
}

TEST_CASE("a plugin built for another CPU or word size says so", "[cli][messages][plugins]") {
  TempDir tmp;
  const std::string original = read_file(test_plugin("twin_a"));
  REQUIRE(original.size() > 20);
  SECTION("another machine") {
    std::string bytes = original;
    // e_machine (offset 18, little-endian): 183 is AArch64, 62 is x86-64.
    const bool host_is_arm = bytes[18] == static_cast<char>(183);
    bytes[18] = static_cast<char>(host_is_arm ? 62 : 183);
    bytes[19] = 0;
    ProcessResult r = run_runner({"--plugin", tmp.write("foreign.so", bytes), "ops"});
    require_clean_rejection(r);
    CHECK_THAT(r.err, Contains("foreign.so' cannot be loaded: it was built for ") &&
                          Contains(host_is_arm ? "x86-64" : "AArch64"));
    CHECK_THAT(r.err, !Contains("No such file"));
  }
  SECTION("another word size") {
    std::string bytes = original;
    bytes[4] = bytes[4] == 2 ? 1 : 2;  // EI_CLASS: 1 = 32-bit, 2 = 64-bit
    ProcessResult r = run_runner({"--plugin", tmp.write("other_class.so", bytes), "ops"});
    require_clean_rejection(r);
    CHECK_THAT(r.err,
               Contains("other_class.so' cannot be loaded: it is a ") && Contains("-bit library"));
  }
}
