// graph-runner sweep: a grid of runs, one folder and one sweep.csv row each; an interrupted
// sweep keeps its finished runs and a rerun does only the others.
#include <gradflow/atomic_file.hpp>

#include "cli/cli_support.hpp"
#include "support/temp_dir.hpp"

#include <fcntl.h>
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

std::vector<std::string> csv_rows(const std::string& path) {
  std::vector<std::string> rows;
  std::istringstream in(read_file(path));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) rows.push_back(line);
  return rows;
}

size_t finished_runs(const std::string& sweep) {
  size_t n = 0;
  for (const auto& entry : fs::directory_iterator(sweep))
    n += entry.is_directory() && fs::exists(entry.path() / "run.json");
  return n;
}

std::vector<std::string> lr_sweep(const std::string& out, const std::string& epochs) {
  return {"sweep",   source_path("graphs/circles_mlp.yaml"),
          "--set",   "train.optimizer.lr=0.01,0.03,0.1",
          "--set",   "train.epochs=" + epochs,
          "--seeds", "0-2",
          "--jobs",  "2",
          "--out",   out};
}

}  // namespace

TEST_CASE("a sweep of 3 learning rates x 3 seeds writes 9 runs and 9 rows", "[cli][sweep]") {
  TempDir tmp;
  const std::string out = tmp / "sweep";
  ProcessResult r = run_runner(lr_sweep(out, "40"), std::chrono::minutes(5));
  INFO(r.status_text() << "\n" << r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto rows = csv_rows(out + "/sweep.csv");
  REQUIRE(rows.size() == 9);
  CHECK(finished_runs(out) == 9);
  for (const auto& row : rows) CHECK_THAT(row, Contains(",ok,40,"));
  CHECK(rows[0].rfind("0.01,40,0,ok", 0) == 0);
  CHECK(rows[8].rfind("0.1,40,2,ok", 0) == 0);
  for (const char* file : {"sweep.svg", "sweep.html"}) CHECK(fs::exists(fs::path(out) / file));
  CHECK_THAT(read_file(out + "/sweep.html"), Contains("lr-0.1_epochs-40_seed-2/report.html"));

  ProcessResult again = run_runner(lr_sweep(out, "40"), std::chrono::minutes(5));
  REQUIRE(again.exit_code == 0);
  CHECK_THAT(again.out, Contains("9 runs, 9 finished before, 0 to run"));
  CHECK(csv_rows(out + "/sweep.csv") == rows);
}

TEST_CASE("a killed sweep keeps its finished runs and a rerun does only the rest",
          "[cli][sweep][interrupt]") {
  TempDir tmp;
  const std::string out = tmp / "sweep";
  // Long enough runs that the sweep is still busy when it is killed.
  std::vector<std::string> argv{GRADFLOW_RUNNER};
  for (const auto& a : lr_sweep(out, "3000")) argv.push_back(a);
  const pid_t sweep = ::fork();
  if (sweep == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
  while (std::chrono::steady_clock::now() < deadline &&
         (!fs::exists(out) || finished_runs(out) == 0))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(sweep, SIGKILL);
  int status = 0;
  ::waitpid(sweep, &status, 0);
  // The runs it had started get SIGTERM from the kernel and stop; give them a moment.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const size_t before = finished_runs(out);
  INFO("finished before the kill: " << before);
  REQUIRE(before >= 1);
  REQUIRE(before < 9);

  ProcessResult rerun = run_runner(lr_sweep(out, "3000"), std::chrono::minutes(10));
  INFO(rerun.status_text() << "\n" << rerun.out << rerun.err);
  REQUIRE(rerun.exit_code == 0);
  CHECK_THAT(rerun.out, Contains("9 runs, " + std::to_string(before) + " finished before, " +
                                 std::to_string(9 - before) + " to run"));
  const auto rows = csv_rows(out + "/sweep.csv");
  REQUIRE(rows.size() == 9);
  for (const auto& row : rows) CHECK_THAT(row, Contains(",ok,3000,"));
}

TEST_CASE("a bad sweep value is refused before anything runs", "[cli][sweep]") {
  TempDir tmp;
  const std::string graph = source_path("graphs/circles_mlp.yaml");
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"--set", "train.optimizer.lr=0.1,abc"},
            "circles_mlp.yaml:21:30: error: --set train.optimizer.lr=abc: 'lr' must be"},
           {{"--set", "nodes.hidden.out_features=4,0"},
            "--set nodes.hidden.out_features=0: nodes[0] 'hidden': attribute 'out_features' is 0"},
           {{"--set", "train.data.noise=0.1,-1"}, "--set train.data.noise=-1:"},
           {{"--set", "train.optimizer.lr=0.1,,0.2"}, "an empty value"},
           {{"--set", "train.optimizer.lr=0.1", "--set", "train.optimizer.lr=0.2"},
            "is already swept"},
           {{"--set", "train.optimizer.lr=0.1", "--seeds", "4-2"}, "--seeds 4-2: expected"},
           {{"--set", "train.seed=1,2"}, "the training seed is swept with --seeds"}}) {
    SECTION(c.message) {
      std::vector<std::string> args{"sweep", graph, "--out", tmp / "sweep"};
      args.insert(args.end(), c.args.begin(), c.args.end());
      ProcessResult r = run_runner(args);
      require_no_crash(r);
      CHECK(r.exit_code == 2);
      CHECK_THAT(r.err, Contains(c.message));
      CHECK_FALSE(fs::exists(tmp / "sweep"));
    }
  }
}

TEST_CASE("a sweep over the data set's size trains on that many examples", "[cli][sweep]") {
  TempDir tmp;
  const std::string out = tmp / "sweep";
  ProcessResult r =
      run_runner({"sweep", source_path("graphs/circles_mlp.yaml"), "--set",
                  "train.data.train_size=20,100", "--set", "train.epochs=5", "--out", out},
                 std::chrono::minutes(2));
  INFO(r.status_text() << "\n" << r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(read_file(out + "/train_size-20_epochs-5_seed-0/run.json"),
             Contains("\"train_size\": 20"));
  CHECK_THAT(read_file(out + "/train_size-100_epochs-5_seed-0/run.json"),
             Contains("\"train_size\": 100"));
}

TEST_CASE("a sweep reruns the runs of a graph file edited since", "[cli][sweep]") {
  TempDir tmp;
  const std::string graph = tmp / "circles.yaml";
  const std::string original = read_file(source_path("graphs/circles_mlp.yaml"));
  write_file_atomically(graph, original);
  const std::vector<std::string> argv{"sweep",  graph,
                                      "--set",  "train.optimizer.lr=0.03,0.1",
                                      "--set",  "train.epochs=5",
                                      "--jobs", "1",
                                      "--out",  tmp / "sweep"};
  ProcessResult first = run_runner(argv, std::chrono::minutes(2));
  INFO(first.out << first.err);
  REQUIRE(first.exit_code == 0);
  CHECK_THAT(first.out, Contains("2 runs, 0 finished before, 2 to run"));

  ProcessResult same = run_runner(argv, std::chrono::minutes(2));
  REQUIRE(same.exit_code == 0);
  CHECK_THAT(same.out, Contains("2 runs, 2 finished before, 0 to run"));

  std::string edited = original;
  const size_t at = edited.find("out_features: 10");
  REQUIRE(at != std::string::npos);
  edited.replace(at, 16, "out_features: 12");
  write_file_atomically(graph, edited);
  ProcessResult after_edit = run_runner(argv, std::chrono::minutes(2));
  INFO(after_edit.out << after_edit.err);
  REQUIRE(after_edit.exit_code == 0);
  CHECK_THAT(after_edit.out, Contains("2 runs, 0 finished before, 2 to run"));
  // 12 hidden units: 2*12 + 12 + 12*2 + 2 weights.
  CHECK_THAT(read_file(tmp / "sweep/lr-0.1_epochs-5_seed-0/run.json"),
             Contains("\"parameters\": 62"));
}
