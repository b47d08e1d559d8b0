// The output folder is the only place a run writes: a graph's name becomes a folder name only
// if it is safe, text that goes into file headers is checked when the graph is loaded, the
// run's files are checked writable before training, and one run at a time holds a folder.
#include <gradflow/atomic_file.hpp>
#include <gradflow/diagnostics.hpp>

#include "cli/cli_support.hpp"
#include "support/temp_dir.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

using namespace gradflow;
using namespace gradflow::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

std::string tiny_graph(const std::string& header) {
  return "format: gradflow/1\n" + header + R"(
inputs:
  x: {shape: [2]}
  y: {shape: [2]}
nodes:
  - {name: h, op: Linear, inputs: [x], out_features: 2}
  - {name: p, op: Softmax, inputs: [h]}
  - {name: loss, op: CrossEntropy, inputs: [p, y]}
loss: loss
predict: p
train:
  data: {dataset: circles, seed: 0}
  epochs: 2
)";
}

std::set<std::string> listing(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    names.insert(fs::relative(e.path(), dir).string());
  return names;
}

}  // namespace

TEST_CASE("a graph name that is not a safe folder name is refused at load, with its line",
          "[cli][output]") {
  TempDir tmp;
  for (const std::string& name :
       {std::string(".."), std::string("../../escape"), std::string("a/b"), std::string(".hidden"),
        std::string("-rf"), std::string("two words"), std::string(101, 'n'), std::string("caf\xe9"),
        std::string("/etc")}) {
    SECTION(name) {
      std::string graph = tmp.write("g.yaml", tiny_graph("name: \"" + name + "\""));
      ProcessResult r = run_runner({"check", graph});
      require_clean_rejection(r);
      CHECK_THAT(r.err, Contains("g.yaml:2:7: error: 'name'") && Contains("not a safe name"));
    }
  }
  SECTION("no name, and a file name that cannot be one") {
    ProcessResult r = run_runner({"check", tmp.write("my graph.yaml", tiny_graph(""))});
    require_clean_rejection(r);
    CHECK_THAT(r.err, Contains("my graph.yaml:1:1:") && Contains("add a 'name:' key"));
  }
  SECTION("no name, and a file name that can") {
    ProcessResult r = run_runner({"check", tmp.write("fine-name.yaml", tiny_graph(""))});
    require_no_crash(r);
    CHECK(r.exit_code == 0);
  }
}

TEST_CASE("text that would end in a file header is checked before training, not at save",
          "[cli][output]") {
  TempDir tmp;
  SECTION("a name that is not UTF-8") {
    std::string graph = tmp.write("g.yaml", tiny_graph("name: caf\xe9"));
    ProcessResult r = run_runner({"train", graph, "--out", tmp / "run"});
    require_clean_rejection(r);  // nothing on stdout: not a single epoch was trained
    CHECK_THAT(r.err, Contains("g.yaml:2:7:"));
  }
  SECTION("a description that is not UTF-8") {
    std::string graph = tmp.write("g.yaml", tiny_graph("name: ok\ndescription: caf\xe9 au lait"));
    ProcessResult r = run_runner({"train", graph, "--out", tmp / "run"});
    require_clean_rejection(r);
    CHECK_THAT(r.err, Contains("g.yaml:3:14: error: 'description' is not valid UTF-8"));
  }
}

TEST_CASE("a run writes only inside its output folder", "[cli][output]") {
  TempDir tmp;
  std::string graph = tmp.write("g.yaml", tiny_graph("name: tidy"));
  ProcessResult r = run_runner({"train", graph, "--out", tmp / "deep/run"});
  require_no_crash(r);
  REQUIRE(r.exit_code == 0);
  std::set<std::string> expected = {"g.yaml", "deep", "deep/run"};
  for (const char* f : {".gradflow.lock", "metrics.csv", "curves.svg", "model.safetensors",
                        "checkpoint.safetensors", "decision.svg", "report.html", "run.json",
                        "frames.json", "evaluation.json", "graph.dot", "explain.json"})
    expected.insert(std::string("deep/run/") + f);
  CHECK(listing(tmp.path()) == expected);
}

TEST_CASE("a folder in the place of a run file is found before training", "[cli][output]") {
  TempDir tmp;
  std::string graph = tmp.write("g.yaml", tiny_graph("name: blocked"));
  fs::create_directories(tmp.path() / "run/model.safetensors");
  ProcessResult r = run_runner({"train", graph, "--out", tmp / "run"});
  require_clean_rejection(r);  // no epoch line: the run stopped before training
  CHECK_THAT(r.err, Contains("run/model.safetensors") && Contains("is a folder"));
}

TEST_CASE("an output folder that cannot be written is found before training", "[cli][output]") {
  TempDir tmp;
  std::string graph = tmp.write("g.yaml", tiny_graph("name: readonly"));
  // Permissions do not stop root; /proc/self is a folder no one can create files in.
  std::string out = tmp / "locked";
  if (::geteuid() == 0) {
    out = "/proc/self";
  } else {
    fs::create_directories(out);
    fs::permissions(out, fs::perms::owner_read | fs::perms::owner_exec);
  }
  ProcessResult r = run_runner({"train", graph, "--out", out});
  require_clean_rejection(r);
  CHECK_THAT(r.err, Contains(out) && Contains("cannot write into the output folder"));
  if (::geteuid() != 0) fs::permissions(out, fs::perms::owner_all);
}

TEST_CASE("a second run into a folder that a run is writing stops, naming that run",
          "[cli][output]") {
  TempDir tmp;
  const std::string out = tmp / "run";
  pid_t first = spawn_runner({"train", GRADFLOW_SOURCE_DIR "/graphs/circles_mlp.yaml", "--epochs",
                              "1000000", "--out", out});
  // The first run holds the folder once its lock file names it.
  const std::string mark = "pid " + std::to_string(first) + "\n";
  for (int i = 0; i < 6000; ++i) {
    std::error_code ec;
    if (fs::exists(out + "/.gradflow.lock", ec) &&
        read_file(out + "/.gradflow.lock").find(mark) != std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::string graph = tmp.write("g.yaml", tiny_graph("name: second"));
  ProcessResult second = run_runner({"train", graph, "--out", out});
  ::kill(first, SIGKILL);
  ::waitpid(first, nullptr, 0);
  require_clean_rejection(second);
  CHECK_THAT(second.err, Contains(out + ": error: another graph-runner run (pid " +
                                  std::to_string(first) + ")"));
  // The lock went with the first run: the folder is free again.
  ProcessResult third = run_runner({"train", graph, "--out", out});
  require_no_crash(third);
  CHECK(third.exit_code == 0);
}

TEST_CASE("a temporary file is never opened through a link someone planted", "[output]") {
  TempDir tmp;
  const std::string victim = tmp.write("victim.txt", "precious");
  const std::string target = tmp / "out.txt";
  // Where a writer would put its temporary: the old "<file>.tmp.<pid>" name, and this
  // process's own token name. A link at either must not make the write land in the victim.
  fs::create_symlink(victim, target + ".tmp." + std::to_string(::getpid()));
  fs::create_symlink(victim, temporary_path(target));
  CHECK_THROWS_AS(write_file_atomically(target, "new contents"), InputError);
  CHECK(read_file(victim) == "precious");
  fs::remove(temporary_path(target));
  write_file_atomically(target, "new contents");
  CHECK(read_file(target) == "new contents");
  CHECK(read_file(victim) == "precious");
}
