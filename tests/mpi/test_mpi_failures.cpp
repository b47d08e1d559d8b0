// Under mpirun no failure may leave a rank waiting: a rank that throws ends every rank with one
// message naming it, and a rank that is killed ends the run within seconds while the last
// checkpoint stays whole.
#include <gradflow/atomic_file.hpp>
#include <gradflow/safetensors.hpp>

#include "mpi/mpi_support.hpp"

#include <catch2/catch.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

using namespace gradflow;
using namespace std::chrono_literals;

namespace {

const std::string kCircles = GRADFLOW_SOURCE_DIR "/graphs/circles_mlp.yaml";

// Sets environment variables for the processes a test starts, and removes them afterwards.
class ScopedEnv {
 public:
  ScopedEnv(std::initializer_list<std::pair<const char*, std::string>> vars) {
    for (const auto& [name, value] : vars) {
      ::setenv(name, value.c_str(), 1);
      names_.push_back(name);
    }
  }
  ~ScopedEnv() {
    for (const char* name : names_) ::unsetenv(name);
  }

 private:
  std::vector<const char*> names_;
};

// The process whose environment holds every one of `marks` ("NAME=value"), or -1.
pid_t find_process(const std::vector<std::string>& marks) {
  DIR* proc = ::opendir("/proc");
  if (!proc) return -1;
  pid_t found = -1;
  while (dirent* entry = ::readdir(proc)) {
    pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
    std::stringstream env;
    env << in.rdbuf();
    std::string text = '\0' + env.str();
    bool all = true;
    for (const auto& m : marks) all = all && text.find('\0' + m + '\0') != std::string::npos;
    if (all) {
      found = pid;
      break;
    }
  }
  ::closedir(proc);
  return found;
}

// Starts a command in its own process group, stdout discarded and stderr written to
// `err_file`; returns its pid.
pid_t start(const std::vector<std::string>& argv, const std::string& err_file) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_file.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  std::vector<char*> raw;
  for (const auto& a : argv) raw.push_back(const_cast<char*>(a.c_str()));
  raw.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, raw[0], &actions, &attr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  return rc == 0 ? pid : -1;
}

// Waits for `pid` until `deadline`; true if it ended (the group is killed otherwise).
bool wait_until(pid_t pid, std::chrono::steady_clock::time_point deadline) {
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return true;
    std::this_thread::sleep_for(20ms);
  }
  ::kill(-pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return false;
}

}  // namespace

TEST_CASE("a set-up error that every rank meets is printed once, with the usual exit status") {
  auto r = test::run_mpi(2, {"train", "no/such/graph.yaml"}, 60s);
  INFO(r.err);
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.exit_code == 2);
  CHECK(test::occurrences(r.err, "no such graph file") == 1);
  CHECK(r.err.find("MPI_ABORT") == std::string::npos);
}

TEST_CASE("a rank that throws mid-epoch ends every rank with one message naming it") {
  ScopedEnv env{{"GRADFLOW_TEST_FAIL_RANK", "1"}, {"GRADFLOW_TEST_FAIL_AFTER", "30"}};
  auto out = test::fresh_dir("fail");
  auto r = test::run_mpi(2,
                         {"train", GRADFLOW_TEST_DIR "/plugins/graphs/fail_on_rank.yaml",
                          "--plugin", GRADFLOW_TEST_PLUGIN_DIR "/fail_on_rank.so", "--out", out},
                         60s);
  INFO(r.status_text() << "\n" << r.err);
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.exit_code == 2);
  CHECK(test::occurrences(r.err, "fails on purpose") == 1);
  CHECK(test::occurrences(r.err, "rank 1: ") == 1);
  CHECK(r.err.find("MPI_ABORT") == std::string::npos);
  // Training had started: 30 steps of rank 1 went through before it failed.
  CHECK_THAT(r.out, Catch::Contains("epoch    1/5"));
  std::filesystem::remove_all(out);
}

TEST_CASE("a killed rank ends the run within seconds and the last checkpoint stays intact") {
  const std::string token = std::to_string(::getpid()) + "-kill";
  ScopedEnv env{{"GRADFLOW_TEST_TOKEN", token}};
  auto out = test::fresh_dir("kill");
  const std::string checkpoint = out + "/checkpoint.safetensors";
  const std::string err_file = test::fresh_dir("kill-stderr");
  pid_t launcher = start(test::mpi_command(2, {"train", kCircles, "--batch-size", "1", "--epochs",
                                               "100000", "--out", out}),
                         err_file);
  REQUIRE(launcher > 0);

  // Checkpoints come every 5 s; kill after the first, in the middle of some epoch.
  auto give_up = std::chrono::steady_clock::now() + 90s;
  while (!std::filesystem::exists(checkpoint) && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(100ms);
  std::this_thread::sleep_for(700ms);
  pid_t victim = find_process({"GRADFLOW_TEST_TOKEN=" + token, "OMPI_COMM_WORLD_RANK=1"});
  if (!std::filesystem::exists(checkpoint) || victim <= 0) wait_until(launcher, {});
  REQUIRE(std::filesystem::exists(checkpoint));
  REQUIRE(victim > 0);

  auto killed_at = std::chrono::steady_clock::now();
  ::kill(victim, SIGKILL);
  bool ended = wait_until(launcher, killed_at + 20s);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  INFO("the run ended " << seconds << " s after the kill");
  REQUIRE(ended);
  CHECK(seconds < 10);
  CHECK(find_process({"GRADFLOW_TEST_TOKEN=" + token}) == -1);  // no rank left behind
  const std::string err = read_file(err_file);
  INFO(err);
  CHECK_THAT(err, Catch::Contains("rank 1") && Catch::Contains("signal 9"));
  std::filesystem::remove(err_file);

  Metadata meta;
  decode_safetensors(read_file(checkpoint), checkpoint, &meta);
  INFO("checkpoint at epoch " << meta["epoch"]);
  auto resumed = test::run_runner({"train", kCircles, "--batch-size", "1", "--epochs",
                                   std::to_string(std::stoll(meta["epoch"]) + 1), "--out", out,
                                   "--resume", checkpoint});
  INFO(resumed.err);
  CHECK(resumed.exit_code == 0);
  CHECK_THAT(resumed.err, Catch::Contains("resuming from"));
  std::filesystem::remove_all(out);
}
