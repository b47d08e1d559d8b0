// graph-runner bench: a fixed number of steps per round, the per-part breakdown, threads.
#include "cli/cli_support.hpp"

#include "unit/graph_test_support.hpp"

#include <map>
#include <sstream>

using namespace gradflow::test;

namespace {

// The `key value` lines of bench's plain output.
std::map<std::string, std::string> bench_fields(const std::vector<std::string>& extra) {
  std::vector<std::string> args{
      "bench", source_path("graphs/circles_mlp.yaml"), "--epochs", "2", "--warmup", "1"};
  args.insert(args.end(), extra.begin(), extra.end());
  ProcessResult r = run_runner(args, std::chrono::seconds(120));
  INFO(r.status_text() << "\nstderr:\n" << r.err);
  require_no_crash(r);
  REQUIRE(r.exit_code == 0);
  std::map<std::string, std::string> fields;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    const auto space = line.find(' ');
    if (space != std::string::npos) fields[line.substr(0, space)] = line.substr(space + 1);
  }
  return fields;
}

}  // namespace

TEST_CASE("bench --steps times that many steps and scales the epoch from them", "[cli][bench]") {
  auto f = bench_fields({"--steps", "3", "--threads", "2"});
  CHECK(f["round_steps"] == "3");
  CHECK(f["threads"] == "2");
  const int64_t steps_per_epoch = std::stoll(f["steps_per_epoch"]);
  CHECK(steps_per_epoch > 3);
  const double step_us = std::stod(f["step_us"]), epoch_s = std::stod(f["epoch_s"]);
  CHECK(step_us > 0);
  // Both printed rounded (epoch_s to the microsecond).
  CHECK(epoch_s ==
        Approx(step_us * 1e-6 * static_cast<double>(steps_per_epoch)).epsilon(1e-3).margin(1e-6));
  CHECK(f.count("us.optimizer") == 0);  // no breakdown unless asked

  auto whole = bench_fields({});
  CHECK(whole["round_steps"] == whole["steps_per_epoch"]);
}

TEST_CASE("bench --breakdown times every part of a step", "[cli][bench]") {
  auto f = bench_fields({"--steps", "20", "--breakdown"});
  // Every op of circles_mlp.yaml forward; backward skips the Softmax fused into the loss.
  for (const char* part :
       {"us.load_batch", "us.Linear.forward", "us.Tanh.forward", "us.Softmax.forward",
        "us.CrossEntropy.forward", "us.clear_grads", "us.CrossEntropy.backward",
        "us.Linear.backward", "us.Tanh.backward", "us.optimizer"}) {
    INFO(part);
    REQUIRE(f.count(part) == 1);
    CHECK(std::stod(f[part]) >= 0);
  }
  CHECK(f.count("us.Softmax.backward") == 0);
  double parts = 0;
  for (const auto& [key, value] : f)
    if (key.rfind("us.", 0) == 0) parts += std::stod(value);
  // The parts are timed inside the steps: together no more than the mean step.
  double rounds = 0;
  std::istringstream all(f["epoch_s_all"]);
  for (std::string s; std::getline(all, s, ',');) rounds += std::stod(s);
  const double mean_step_us = rounds * 1e6 / (2 * 20);
  CHECK(parts <= mean_step_us + 0.1);
  CHECK(parts > 0);
}
