// Ctrl-C during `graph-runner train` saves a checkpoint and exits cleanly; resuming from it
// finishes with exactly the weights of a run that was never interrupted.
#include <gradflow/atomic_file.hpp>
#include <gradflow/safetensors.hpp>

#include "cli/process.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

using namespace gradflow;

namespace {

// Starts graph-runner with its output discarded, interrupts it after `delay`, returns the status.
int run_and_interrupt(const std::vector<std::string>& args, std::chrono::milliseconds delay) {
  std::vector<std::string> argv{GRADFLOW_RUNNER};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t child = ::fork();
  if (child == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  std::this_thread::sleep_for(delay);
  ::kill(child, SIGINT);
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("gradflow-int-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

}  // namespace

TEST_CASE("Ctrl-C saves a checkpoint from which training resumes exactly") {
  const std::string graph = GRADFLOW_SOURCE_DIR "/graphs/circles_mlp.yaml";
  const std::string epochs = "4000";
  std::string straight = temp_dir("straight"), interrupted = temp_dir("interrupted");

  auto full = test::run_runner({"train", graph, "--epochs", epochs, "--out", straight},
                               std::chrono::minutes(5));
  REQUIRE(full.exit_code == 0);

  int status = run_and_interrupt({"train", graph, "--epochs", epochs, "--out", interrupted},
                                 std::chrono::milliseconds(300));
  if (status == 0) {
    WARN("training finished before the interrupt arrived; nothing to resume");
    return;
  }
  REQUIRE(status == 130);
  std::string checkpoint = interrupted + "/checkpoint.safetensors";
  Metadata meta;
  decode_safetensors(read_file(checkpoint), checkpoint, &meta);
  INFO("interrupted at epoch " << meta["epoch"] << ", step " << meta["step"]);
  CHECK(meta["epoch"] != epochs);

  auto resumed = test::run_runner(
      {"train", graph, "--epochs", epochs, "--out", interrupted, "--resume", checkpoint},
      std::chrono::minutes(5));
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(resumed.err, Catch::Contains("resuming from"));

  auto a = decode_safetensors(read_file(straight + "/model.safetensors"), "straight");
  auto b = decode_safetensors(read_file(interrupted + "/model.safetensors"), "resumed");
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i].data == b[i].data);
  std::filesystem::remove_all(straight);
  std::filesystem::remove_all(interrupted);
}

TEST_CASE("train removes the temporary files of a killed earlier run, and only those") {
  std::string out = temp_dir("orphans");
  std::filesystem::create_directories(out);
  // A pid that surely belongs to no process: a child that has already been reaped.
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  std::string dead = out + "/checkpoint.safetensors.tmp." + std::to_string(child);
  std::string alive = out + "/metrics.csv.tmp." + std::to_string(::getpid());
  write_file_atomically(dead, "half a checkpoint");
  write_file_atomically(alive, "being written by a live process");

  auto r = test::run_runner(
      {"train", GRADFLOW_SOURCE_DIR "/graphs/circles_mlp.yaml", "--epochs", "1", "--out", out});
  REQUIRE(r.exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(dead));
  CHECK(std::filesystem::exists(alive));
  std::filesystem::remove_all(out);
}
