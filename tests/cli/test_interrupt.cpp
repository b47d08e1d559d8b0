// Ctrl-C during `graph-runner train` saves a checkpoint and prints the command that continues
// the run; that command finishes with exactly the weights of a run never interrupted. The
// temporaries a killed run leaves are removed by the next run into its folder, and nothing
// else there is.
#include <gradflow/atomic_file.hpp>
#include <gradflow/safetensors.hpp>

#include "cli/cli_support.hpp"
#include "support/temp_dir.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

using namespace gradflow;
using namespace gradflow::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// Starts graph-runner, interrupts it after `delay`; returns the exit status, stderr in `err`.
int run_and_interrupt(const std::vector<std::string>& args, std::chrono::milliseconds delay,
                      const std::string& err_file, std::string& err) {
  pid_t child = spawn_runner(args, err_file);
  std::this_thread::sleep_for(delay);
  ::kill(child, SIGINT);
  int status = 0;
  ::waitpid(child, &status, 0);
  err = read_file(err_file);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The words after "continue with: graph-runner" (the command has nothing to quote here).
std::vector<std::string> continue_command(const std::string& err) {
  auto at = err.find("continue with: graph-runner ");
  REQUIRE(at != std::string::npos);
  std::istringstream words(err.substr(at + 28, err.find('\n', at) - at - 28));
  std::vector<std::string> args;
  for (std::string w; words >> w;) args.push_back(w);
  return args;
}

}  // namespace

TEST_CASE("Ctrl-C saves a checkpoint, and the printed command resumes the run exactly") {
  TempDir tmp;
  const std::string graph = GRADFLOW_SOURCE_DIR "/graphs/circles_mlp.yaml";
  // Every setting differs from the graph's own, so a command that drops one resumes wrongly.
  const std::vector<std::string> settings = {"--epochs", "3000", "--batch-size", "5",
                                             "--seed",   "3",    "--lr",         "0.02"};
  std::vector<std::string> straight_args{"train", graph, "--out", tmp / "straight"};
  straight_args.insert(straight_args.end(), settings.begin(), settings.end());
  auto full = run_runner(straight_args, std::chrono::minutes(5));
  REQUIRE(full.exit_code == 0);

  std::vector<std::string> args{"train", graph, "--out", tmp / "interrupted"};
  args.insert(args.end(), settings.begin(), settings.end());
  std::string err;
  int status = run_and_interrupt(args, std::chrono::milliseconds(300), tmp / "err.txt", err);
  if (status == 0) {
    WARN("training finished before the interrupt arrived; nothing to resume");
    return;
  }
  REQUIRE(status == 130);
  INFO(err);
  std::vector<std::string> resume = continue_command(err);
  for (const auto& word : settings)
    CHECK(std::find(resume.begin(), resume.end(), word) != resume.end());
  CHECK_THAT(err, Contains("--out " + tmp / "interrupted"));
  CHECK_THAT(err, Contains("--resume " + tmp / "interrupted/checkpoint.safetensors"));

  auto resumed = run_runner(resume, std::chrono::minutes(5));
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(resumed.err, Contains("resuming from"));
  auto a = decode_safetensors(read_file(tmp / "straight/model.safetensors"), "straight");
  auto b = decode_safetensors(read_file(tmp / "interrupted/model.safetensors"), "resumed");
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i].data == b[i].data);
}

TEST_CASE("train removes the temporaries a killed run left in its folder, and nothing else") {
  TempDir tmp;
  const fs::path out = tmp.path() / "run";
  // What a run killed while saving leaves: its lock file naming its token, and a temporary.
  const std::string killed = "0123456789abcdef0123456789abcdef";
  tmp.write("run/.gradflow.lock",
            "graph-runner run lock\npid 999999\ntemporaries " + killed + "\n");
  const std::string leftover = tmp.write("run/checkpoint.safetensors.tmp." + killed, "half");
  // The user's own files, some shaped like the temporaries of other programs or of the old
  // "<file>.tmp.<pid>" scheme: none of them may go.
  pid_t gone = ::fork();
  if (gone == 0) ::_exit(0);
  ::waitpid(gone, nullptr, 0);
  const std::vector<std::string> users = {
      tmp.write("run/notes.tmp.123", "mine"),
      tmp.write("run/metrics.csv.tmp." + std::to_string(gone), "mine"),
      tmp.write("run/model.safetensors.tmp.fedcba9876543210fedcba9876543210", "mine"),
      tmp.write("run/draft.tmp." + killed + ".bak", "mine")};

  auto r = run_runner({"train", GRADFLOW_SOURCE_DIR "/graphs/circles_mlp.yaml", "--epochs", "1",
                       "--out", out.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_FALSE(fs::exists(leftover));
  for (const auto& file : users) {
    INFO(file);
    CHECK(read_file(file) == "mine");
  }
  // The lock now names this finished run's token, and nothing of that token is left.
  const std::string lock = read_file((out / ".gradflow.lock").string());
  CHECK_THAT(lock, Contains("temporaries "));
  CHECK_THAT(lock, !Contains(killed));
}
