// --resume continues one run: a checkpoint written with another batch size, seed, data set or
// graph is refused with what differs and what to do. Checkpoint metadata is untrusted input:
// positions and counts are range-checked, `format` and `graph` are checked, and weights that
// hold NaN or infinity are refused by eval, predict and resume alike.
#include <gradflow/atomic_file.hpp>
#include <gradflow/safetensors.hpp>

#include "cli/cli_support.hpp"
#include "support/cpu_time.hpp"
#include "support/temp_dir.hpp"

#include <cmath>
#include <filesystem>
#include <limits>

using namespace gradflow;
using namespace gradflow::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

std::string graph_text(const std::string& data, const std::string& init = "") {
  return R"(format: gradflow/1
name: resumable
inputs:
  x: {shape: [2]}
  y: {shape: [2]}
nodes:
  - {name: h, op: Linear, inputs: [x], out_features: 4)" +
         init + R"(}
  - {name: t, op: Tanh, inputs: [h]}
  - {name: o, op: Linear, inputs: [t], out_features: 2}
  - {name: p, op: Softmax, inputs: [o]}
  - {name: loss, op: CrossEntropy, inputs: [p, y]}
loss: loss
predict: p
train:
  data: )" +
         data + R"(
  batch_size: 10
  epochs: 2
  optimizer: {name: sgd, lr: 0.05, momentum: 0.9}
)";
}

// A finished 2-epoch run in tmp/run; returns the graph's path.
std::string trained(const TempDir& tmp) {
  std::string graph = tmp.write("g.yaml", graph_text("{dataset: circles, seed: 0}"));
  ProcessResult r = run_runner({"train", graph, "--out", tmp / "run"});
  REQUIRE(r.exit_code == 0);
  return graph;
}

// A copy of the run's checkpoint with `edit` applied to its metadata and tensors.
template <class Edit>
std::string edited_checkpoint(const TempDir& tmp, const std::string& name, Edit edit) {
  const std::string source = tmp / "run/checkpoint.safetensors";
  Metadata meta;
  std::vector<NamedTensor> tensors = decode_safetensors(read_file(source), source, &meta);
  edit(meta, tensors);
  return tmp.write(name, encode_safetensors(tensors, meta));
}

ProcessResult resume(const TempDir& tmp, const std::string& graph, const std::string& checkpoint,
                     std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"train",    graph, "--out",    tmp / "resumed",
                                "--epochs", "4",   "--resume", checkpoint};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_runner(args, std::chrono::seconds(120));
}

}  // namespace

TEST_CASE("resume refuses a checkpoint of another batch size, seed, data set or graph",
          "[cli][resume]") {
  TempDir tmp;
  const std::string graph = trained(tmp);
  const std::string checkpoint = tmp / "run/checkpoint.safetensors";
  SECTION("batch size") {
    ProcessResult r = resume(tmp, graph, checkpoint, {"--batch-size", "20"});
    require_clean_rejection(r);
    CHECK_THAT(r.err, Contains(checkpoint + ": error: this checkpoint was written with batch size "
                                            "10, this run uses 20: resume with --batch-size 10"));
  }
  SECTION("seed") {
    ProcessResult r = resume(tmp, graph, checkpoint, {"--seed", "5"});
    require_clean_rejection(r);
    CHECK_THAT(r.err, Contains("written with seed 0, this run uses 5: resume with --seed 0"));
  }
  SECTION("batch size and seed at once: both named") {
    ProcessResult r = resume(tmp, graph, checkpoint, {"--seed", "5", "--batch-size", "7"});
    require_clean_rejection(r);
    CHECK_THAT(r.err, Contains("--seed 0") && Contains("--batch-size 10"));
  }
  SECTION("data set") {
    std::string other = tmp.write("other.yaml", graph_text("{dataset: circles, seed: 1}"));
    ProcessResult r = resume(tmp, other, checkpoint);
    require_clean_rejection(r);
    CHECK_THAT(r.err, Contains("trained on data '{dataset: circles, seed: 0}', this run uses "
                               "'{dataset: circles, seed: 1}'"));
  }
  SECTION("the same data settings written differently are the same data") {
    std::string same = tmp.write("same.yaml", graph_text("{seed: 0,  dataset: circles}"));
    ProcessResult r = resume(tmp, same, checkpoint);
    require_no_crash(r);
    CHECK(r.exit_code == 0);
  }
  SECTION("graph structure") {
    std::string other =
        tmp.write("other.yaml", graph_text("{dataset: circles, seed: 0}", ", init: {normal: 0.5}"));
    ProcessResult r = resume(tmp, other, checkpoint);
    require_clean_rejection(r);
    CHECK_THAT(r.err, Contains("the graph's inputs, nodes or loss have changed"));
  }
  SECTION("graph name") {
    std::string edited = edited_checkpoint(tmp, "renamed.safetensors",
                                           [](Metadata& m, auto&) { m["graph"] = "someone-else"; });
    ProcessResult r = resume(tmp, graph, edited);
    require_clean_rejection(r);
    CHECK_THAT(r.err, Contains("written for graph 'someone-else', not 'resumable'"));
  }
}

TEST_CASE("checkpoint metadata out of range is refused quickly, never trusted",
          "[cli][resume][hardening]") {
  TempDir tmp;
  const std::string graph = trained(tmp);
  struct Case {
    const char* key;
    const char* value;
    const char* says;
  };
  for (Case c : {Case{"epoch", "9223372036854775000", "metadata 'epoch'"},
                 Case{"epoch", "-3", "metadata 'epoch'"},
                 Case{"step", "9223372036854775807", "metadata 'step'"},
                 Case{"step", "20", "metadata 'step' is 20, but an epoch of this run has only 20"},
                 Case{"optimizer_steps", "9223372036854775807", "metadata 'optimizer_steps'"},
                 Case{"optimizer_steps", "41", "metadata 'optimizer_steps' is 41, more than"},
                 Case{"format", "gradflow-checkpoint/99", "metadata 'format'"},
                 Case{"batch_size", "ten", "metadata 'batch_size'"}}) {
    SECTION(std::string(c.key) + " = " + c.value) {
      std::string edited = edited_checkpoint(tmp, "bad.safetensors",
                                             [&](Metadata& m, auto&) { m[c.key] = c.value; });
      ProcessResult r = resume(tmp, graph, edited);
      require_clean_rejection(r);
      CHECK_THAT(r.err, Contains("bad.safetensors: error: ") && Contains(c.says));
      CHECK(r.cpu_seconds < 2 * kSanitizerSlowdown);
    }
  }
  SECTION("no format at all: not a training checkpoint") {
    std::string edited =
        edited_checkpoint(tmp, "bad.safetensors", [](Metadata& m, auto&) { m.erase("format"); });
    ProcessResult r = resume(tmp, graph, edited);
    require_clean_rejection(r);
    CHECK_THAT(r.err, Contains("has no 'format' metadata"));
  }
}

TEST_CASE(
    "weights holding NaN or infinity are refused by eval, predict, resume, fine-tuning and "
    "export",
    "[cli][resume][hardening]") {
  TempDir tmp;
  const std::string graph = trained(tmp);
  std::string input = tmp.write("points.csv", "x0,x1\n0.1,0.2\n");
  for (float bad :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    const char* what = std::isnan(bad) ? "NaN" : "infinity";
    SECTION(what) {
      std::string weights = edited_checkpoint(tmp, "bad.safetensors", [&](Metadata&, auto& ts) {
        for (NamedTensor& t : ts)
          if (t.name == "o.weight") t.data[3] = bad;
      });
      for (const std::vector<std::string>& args :
           {std::vector<std::string>{"eval", graph, "--weights", weights},
            std::vector<std::string>{"predict", graph, "--weights", weights, "--input", input},
            std::vector<std::string>{"train", graph, "--out", tmp / "again", "--epochs", "3",
                                     "--resume", weights},
            std::vector<std::string>{"train", graph, "--out", tmp / "tuned", "--weights", weights},
            std::vector<std::string>{"export", graph, "--weights", weights, "-o",
                                     tmp / "m.onnx"}}) {
        INFO(args[0]);
        ProcessResult r = run_runner(args);
        require_clean_rejection(r);
        CHECK_THAT(r.err, Contains("bad.safetensors: error: tensor 'o.weight' holds " +
                                   std::string(what) + " (element 3 of 8)"));
      }
      // Refused before the run's folder or the export's file exists.
      CHECK(!fs::exists(tmp / "tuned"));
      CHECK(!fs::exists(tmp / "m.onnx"));
    }
  }
}

TEST_CASE("eval reads weights tagged by other tools, but no other gradflow format",
          "[cli][resume]") {
  TempDir tmp;
  const std::string graph = trained(tmp);
  // What PyTorch's safetensors writer adds; the tensors are what count for weights.
  std::string torch = edited_checkpoint(tmp, "torch.safetensors", [](Metadata& m, auto&) {
    m = {{"format", "pt"}};
  });
  ProcessResult ok = run_runner({"eval", graph, "--weights", torch});
  require_no_crash(ok);
  CHECK(ok.exit_code == 0);
  // ... but resuming needs a checkpoint written by graph-runner train.
  require_clean_rejection(resume(tmp, graph, torch));
  std::string future = edited_checkpoint(
      tmp, "future.safetensors", [](Metadata& m, auto&) { m["format"] = "gradflow-checkpoint/2"; });
  ProcessResult r = run_runner({"eval", graph, "--weights", future});
  require_clean_rejection(r);
  CHECK_THAT(r.err, Contains("metadata 'format' is 'gradflow-checkpoint/2'; this gradflow reads "
                             "'gradflow-checkpoint/1'"));
}

TEST_CASE("train refuses --weights with --resume before the output folder exists",
          "[cli][resume]") {
  TempDir tmp;
  const std::string graph = trained(tmp);
  const std::string weights = tmp / "run/model.safetensors";
  ProcessResult r = run_runner({"train", graph, "--out", tmp / "both", "--weights", weights,
                                "--resume", tmp / "run/checkpoint.safetensors"});
  require_clean_rejection(r);
  CHECK_THAT(r.err, Contains("--weights starts a new run from weights; --resume continues one"));
  CHECK(!fs::exists(tmp / "both"));
}
