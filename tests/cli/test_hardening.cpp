// Hostile and unlucky inputs from the command line: sizes that would overflow or exhaust
// memory, YAML that is too deep or too big, data files that lie about their size, training
// that diverges, and a process killed while it writes a checkpoint. Each must end in a clear
// message and exit status 2 (or, for the kill, an intact checkpoint) -- never a crash.
#include "cli/cli_support.hpp"

#include "unit/graph_test_support.hpp"

#include <gradflow/atomic_file.hpp>
#include <gradflow/safetensors.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

using namespace gradflow;
using namespace gradflow::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

std::string chain_graph(int nodes) {
  std::string g =
      "format: gradflow/1\nname: chain\ninputs:\n  x: {shape: [2]}\n  y: {shape: [2]}\nnodes:\n"
      "  - {name: n0, op: Linear, inputs: [x], out_features: 2}\n";
  for (int i = 1; i < nodes - 1; ++i)
    g += "  - {name: n" + std::to_string(i) + ", op: Tanh, inputs: [n" + std::to_string(i - 1) +
         "]}\n";
  g += "  - {name: loss, op: MSE, inputs: [n" + std::to_string(nodes - 2) + ", y]}\nloss: loss\n";
  return g;
}

std::string idx_header(const std::vector<uint32_t>& dims) {
  std::string bytes{'\0', '\0', '\x08', static_cast<char>(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((d >> shift) & 0xff);
  return bytes;
}

}  // namespace

TEST_CASE("hardening: absurd sizes are rejected when the graph is checked", "[cli][hardening]") {
  TempDir tmp;
  const std::string head =
      "format: gradflow/1\ninputs:\n  x: {shape: SHAPE}\n  y: {shape: [2]}\nnodes:\n";
  auto graph = [&](const std::string& shape, const std::string& nodes) {
    std::string text = head;
    text.replace(text.find("SHAPE"), 5, shape);
    return text + nodes + "loss: loss\n";
  };
  struct Case {
    const char* name;
    std::string text;
    const char* says;
  };
  std::string many_wide;  // each value is legal, together they need ~20 GiB
  for (int i = 0; i < 40; ++i)
    many_wide += "  - {name: t" + std::to_string(i) + ", op: Tanh, inputs: [x]}\n";
  many_wide += "  - {name: loss, op: MSE, inputs: [t0, x]}\n";
  const std::vector<Case> cases = {
      {"out_features 1e12",
       graph("[2]",
             "  - {name: h, op: Linear, inputs: [x], out_features: 1e12}\n"
             "  - {name: loss, op: MSE, inputs: [h, y]}\n"),
       "out_features"},
      {"int64-overflowing input shape",
       graph("[16777216, 16777216, 16777216, 16777216]",
             "  - {name: t, op: Tanh, inputs: [x]}\n  - {name: loss, op: MSE, inputs: [t, x]}\n"),
       "elements"},
      {"a weight of 10^13 elements",
       graph("[1000000]",
             "  - {name: h, op: Linear, inputs: [x], out_features: 10000000}\n"
             "  - {name: loss, op: MSE, inputs: [h, y]}\n"),
       "elements"},
      {"many values that fit alone but not together", graph("[8192, 16384]", many_wide), "MiB"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      auto start = std::chrono::steady_clock::now();
      ProcessResult r =
          run_runner({"check", tmp.write("g.yaml", c.text)}, std::chrono::seconds(60));
      require_clean_rejection(r);
      CHECK_THAT(r.err, Contains(c.says));
      // Rejected from the sizes alone: nothing was allocated or computed.
      CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
    }
  }
}

TEST_CASE("hardening: a 5000-node graph loads and plans in reasonable time", "[cli][hardening]") {
  const std::string text = chain_graph(5000);
  auto start = std::chrono::steady_clock::now();
  GraphSpec spec = parse_graph(text, "chain.yaml");
  auto registry = builtin_registry();  // must outlive the model, which points into it
  auto model = Model::plan(spec, *registry);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(model->nodes().size() == 5000);
  CHECK(model->nodes().front().spec->name == "n0");
  CHECK(model->nodes().back().spec->name == "loss");
  // Linear-ish work; a quadratic planner takes minutes here (and longer under ASan).
  CHECK(seconds < 15.0);

  TempDir tmp;
  ProcessResult r = run_runner({"dot", tmp.write("chain.yaml", text)}, std::chrono::seconds(60));
  require_no_crash(r);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("n4998"));
}

TEST_CASE("hardening: YAML that is too deep or too big or has too many nodes gives an error",
          "[cli][hardening]") {
  TempDir tmp;
  SECTION("a 100000-deep flow sequence") {
    std::string text =
        "format: gradflow/1\nnodes: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
    CHECK_THROWS_AS(parse_graph(text, "deep.yaml"), InputError);
    require_clean_rejection(run_runner({"check", tmp.write("deep.yaml", text)}));
  }
  SECTION("a 100000-deep flow mapping") {
    std::string text = "format: gradflow/1\nnodes: ";
    for (int i = 0; i < 100000; ++i) text += "{a: ";
    text += "1" + std::string(100000, '}') + "\n";
    require_clean_rejection(run_runner({"check", tmp.write("deep.yaml", text)}));
  }
  SECTION("more nodes than the limit") {
    // Generated cheaply: the same tiny node repeated is enough to hit the count limit.
    std::string text = "format: gradflow/1\ninputs:\n  x: {shape: [2]}\nnodes:\n";
    for (size_t i = 0; i <= kMaxNodes; ++i) text += "- {name: t, op: Tanh, inputs: [x]}\n";
    ProcessResult r = run_runner({"check", tmp.write("many.yaml", text)});
    require_clean_rejection(r);
    CHECK_THAT(r.err, Contains(std::to_string(kMaxNodes)));
  }
  SECTION("a file above the size limit") {
    std::string text = "format: gradflow/1\n# " + std::string(kMaxGraphFileBytes, 'x') + "\n";
    ProcessResult r = run_runner({"check", tmp.write("big.yaml", text)});
    require_clean_rejection(r);
    CHECK_THAT(r.err, Contains("MiB"));
  }
}

TEST_CASE("hardening: an IDX header claiming 10^9 images fails before allocating",
          "[cli][hardening]") {
  TempDir tmp;
  // 10^9 x 28 x 28 bytes would be 784 GB; the file has a header and 16 bytes.
  std::string images =
      tmp.write("images.idx", idx_header({1000000000u, 28, 28}) + std::string(16, '\1'));
  std::string labels = tmp.write("labels.idx", idx_header({1000000000u}) + std::string(16, '\1'));
  std::string graph = tmp.write("g.yaml", R"(format: gradflow/1
inputs:
  x: {shape: [784]}
  y: {shape: [10]}
nodes:
  - {name: h, op: Linear, inputs: [x], out_features: 10}
  - {name: p, op: Softmax, inputs: [h]}
  - {name: loss, op: CrossEntropy, inputs: [p, y]}
loss: loss
train:
  data: {dataset: idx, train_images: images.idx, train_labels: labels.idx,
         test_images: images.idx, test_labels: labels.idx}
  epochs: 1
)");
  auto start = std::chrono::steady_clock::now();
  ProcessResult r = run_runner({"train", graph, "--out", tmp / "run"});
  require_no_crash(r);
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Contains("images.idx"));
  CHECK_THAT(r.err, Contains("1000000000"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
}

TEST_CASE(
    "hardening: a diverging run stops naming epoch and step and node and keeps the checkpoint",
    "[cli][hardening]") {
  TempDir tmp;
  // A linear regression on raw targets: with lr 1e6 the weights overflow float within a
  // few steps, whereas softmax + cross-entropy would only saturate.
  std::string graph = tmp.write("diverge.yaml", R"(format: gradflow/1
name: diverge
inputs:
  x: {shape: [2]}
  y: {shape: [2]}
nodes:
  - {name: hidden, op: Linear, inputs: [x], out_features: 4, init: {normal: 0.3}}
  - {name: out, op: Linear, inputs: [hidden], out_features: 2, init: {normal: 0.3}}
  - {name: loss, op: MSE, inputs: [out, y]}
loss: loss
predict: out
train:
  data: {dataset: circles, seed: 0}
  batch_size: 10
  epochs: 1
  optimizer: {name: sgd, lr: 0.01}
)");
  const std::string out = tmp / "run";
  const std::string checkpoint = out + "/checkpoint.safetensors";
  ProcessResult good = run_runner({"train", graph, "--out", out});
  require_no_crash(good);
  REQUIRE(good.exit_code == 0);
  const std::string good_bytes = read_file(checkpoint);

  ProcessResult bad = run_runner(
      {"train", graph, "--out", out, "--resume", checkpoint, "--epochs", "5", "--lr", "1e6"});
  require_no_crash(bad);
  INFO("stderr:\n" << bad.err);
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Contains("error: the loss became"));
  CHECK_THAT(bad.err, Contains("in epoch 2, step "));  // epoch 1 came from the checkpoint
  bool names_node = bad.err.find("is 'hidden'") != std::string::npos ||
                    bad.err.find("is 'out'") != std::string::npos ||
                    bad.err.find("is 'loss'") != std::string::npos;
  CHECK(names_node);
  CHECK_THAT(bad.err, Contains(checkpoint));

  // The last good checkpoint is untouched and still resumes.
  CHECK(read_file(checkpoint) == good_bytes);
  Metadata meta;
  auto tensors = decode_safetensors(read_file(checkpoint), checkpoint, &meta);
  CHECK(meta.at("epoch") == "1");
  CHECK(tensors.size() >= 4);
  ProcessResult resumed =
      run_runner({"train", graph, "--out", out, "--resume", checkpoint, "--epochs", "2"});
  require_no_crash(resumed);
  CHECK(resumed.exit_code == 0);
}

namespace {

bool has_temp_checkpoint(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string().rfind("checkpoint.safetensors.tmp", 0) == 0) return true;
  return false;
}

}  // namespace

TEST_CASE("hardening: SIGKILL while a checkpoint is written never leaves a broken one",
          "[cli][hardening]") {
  TempDir tmp;
  // A 1M-wide hidden layer with momentum: a ~40 MB checkpoint, so a write takes long enough
  // to be caught in the middle; a 4-sample data set keeps the epochs themselves short.
  std::string graph = tmp.write("wide.yaml", R"(format: gradflow/1
name: wide
inputs:
  x: {shape: [2]}
  y: {shape: [2]}
nodes:
  - {name: hidden, op: Linear, inputs: [x], out_features: 1000000, init: {normal: 0.01}}
  - {name: h, op: Tanh, inputs: [hidden]}
  - {name: logits, op: Linear, inputs: [h], out_features: 2, init: {normal: 0.01}}
  - {name: yhat, op: Softmax, inputs: [logits]}
  - {name: loss, op: CrossEntropy, inputs: [yhat, y]}
loss: loss
train:
  data: {dataset: circles, seed: 0, train_size: 4, test_size: 4}
  batch_size: 4
  epochs: 1
  optimizer: {name: sgd, lr: 0.01, momentum: 0.9}
)");
  const fs::path out = tmp / "run";
  fs::create_directories(out);
  const fs::path checkpoint = out / "checkpoint.safetensors";
  int mid_write_kills = 0, completed = 0;
  bool ever_written = false;
  for (int round = 0; round < 10; ++round) {
    INFO("round " << round);
    // Temporary files of earlier kills would look like a write in progress.
    for (const auto& e : fs::directory_iterator(out))
      if (e.path().filename().string().rfind("checkpoint.safetensors.tmp", 0) == 0)
        fs::remove(e.path());
    pid_t pid = spawn_runner({"train", graph, "--out", out.string()});
    auto start = std::chrono::steady_clock::now();
    // Even rounds: kill the moment the temporary checkpoint appears (plus a growing delay);
    // odd rounds: kill after a fixed time, wherever the run happens to be.
    const bool on_write = round % 2 == 0;
    const auto delay = on_write ? std::chrono::microseconds(500 * round)
                                : std::chrono::microseconds(150000 * round);
    bool exited = false;
    int status = 0;
    for (;;) {
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        exited = true;
        break;
      }
      auto now = std::chrono::steady_clock::now();
      if (on_write ? has_temp_checkpoint(out) : now - start >= delay) {
        if (on_write) std::this_thread::sleep_for(delay);
        break;
      }
      if (now - start > std::chrono::seconds(120)) break;
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    if (!exited) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      if (has_temp_checkpoint(out)) ++mid_write_kills;
    } else {
      CHECK(WIFEXITED(status));
      CHECK(WEXITSTATUS(status) == 0);
      ++completed;
    }
    // Absent (nothing finished yet) or complete: never half-written, never lost once written.
    if (fs::exists(checkpoint)) {
      ever_written = true;
      Metadata meta;
      std::vector<NamedTensor> tensors;
      REQUIRE_NOTHROW(
          tensors = decode_safetensors(read_file(checkpoint.string()), checkpoint.string(), &meta));
      CHECK(meta.at("epoch") == "1");
      CHECK(tensors.size() == 8);  // 4 parameters + 4 momentum buffers
    } else {
      CHECK_FALSE(ever_written);
    }
  }
  // Otherwise every kill missed the write and the test proved nothing.
  CHECK(mid_write_kills >= 2);
  INFO("kills during a write: " << mid_write_kills << ", runs that completed: " << completed);
  // Leftover temporary files from killed writers do not stop the next run.
  ProcessResult r = run_runner({"train", graph, "--out", out.string()}, std::chrono::seconds(300));
  require_no_crash(r);
  CHECK(r.exit_code == 0);
  CHECK_NOTHROW(decode_safetensors(read_file(checkpoint.string()), checkpoint.string()));
}
