// `mpirun -np 2 graph-runner train` computes what one process computes: the same global
// batches, the same mean gradient (summed from two shards), the same updates. Only the order of
// float additions differs, which bounds how far the weights may drift apart (see tolerance()).
#include "mpi/mpi_support.hpp"

#include <gradflow/atomic_file.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

using namespace gradflow;
using namespace std::chrono_literals;

namespace {

const std::string kCircles = GRADFLOW_SOURCE_DIR "/graphs/circles_mlp.yaml";

struct Runs {
  test::ProcessResult one, two;
  std::string one_dir, two_dir;
};

// The same training in one process and in two.
Runs train_both(const std::string& name, const std::vector<std::string>& args) {
  Runs r{{}, {}, test::fresh_dir(name + "-1"), test::fresh_dir(name + "-2")};
  std::vector<std::string> one{"train"}, two{"train"};
  one.insert(one.end(), args.begin(), args.end());
  two.insert(two.end(), args.begin(), args.end());
  one.insert(one.end(), {"--out", r.one_dir});
  two.insert(two.end(), {"--out", r.two_dir});
  r.one = test::run_runner(one, 3min);
  r.two = test::run_mpi(2, two);
  return r;
}

// How far float reassociation can move the weights of circles_mlp.yaml (SGD, lr 0.03) after
// `steps` steps of `batch` samples. A step's gradient is a mean of `batch` per-sample terms;
// summing them in another order (two shards, then the allreduce) changes each gradient element
// by at most 2 (batch - 1) eps times the sum of the terms' magnitudes (Higham, the bound on
// recursive summation, once for each order), eps = 2^-24. With tanh hidden units (|h| <= 1),
// softmax cross-entropy (|dL/dlogit| <= 1) and inputs below 1.5 in magnitude, a term's
// magnitude is at most 1.5 times the largest weight of the output layer, which stays below 4 in
// these runs; so a step's update differs by at most lr * 2 batch eps * 6. Summed over the steps
// this is the first-order drift; the allowance of 100 covers the growth of earlier differences
// through later gradients (training contracts them, but not in every step).
double tolerance(int64_t steps, int64_t batch) {
  const double eps = std::ldexp(1.0, -24), lr = 0.03, term = 1.5 * 4;
  return 100 * static_cast<double>(steps) * lr * 2 * static_cast<double>(batch) * eps * term;
}

}  // namespace

TEST_CASE("two processes reach the weights and accuracy of one, shards even and uneven") {
  // batch 10: shards of 5 and 5; batch 7: 4 and 3, and the epoch's last batch of 4 is 2 and 2.
  for (int64_t batch : {10, 7}) {
    const int64_t epochs = 3, steps = epochs * ((200 + batch - 1) / batch);
    Runs r = train_both(
        "batch" + std::to_string(batch),
        {kCircles, "--epochs", std::to_string(epochs), "--batch-size", std::to_string(batch)});
    INFO("batch " << batch << "\n" << r.one.err << r.two.err);
    REQUIRE(r.one.exit_code == 0);
    REQUIRE(r.two.exit_code == 0);
    auto gap = test::weight_gap(test::model_weights(r.one_dir), test::model_weights(r.two_dir));
    INFO("largest difference " << gap.max_difference << ", largest weight " << gap.max_magnitude
                               << ", tolerance " << tolerance(steps, batch));
    CHECK(gap.max_difference <= tolerance(steps, batch));
    CHECK(test::final_test_accuracy(r.two.out) == test::final_test_accuracy(r.one.out));
    // Only rank 0 prints.
    CHECK(test::occurrences(r.two.out, "training circles-mlp") == 1);
    CHECK(test::occurrences(r.two.out, "final:") == 1);
    std::filesystem::remove_all(r.one_dir);
    std::filesystem::remove_all(r.two_dir);
  }
}

TEST_CASE("mnist_mlp in two processes ends within 0.3 points of one process's accuracy") {
  Runs r = train_both("mnist", {GRADFLOW_SOURCE_DIR "/graphs/mnist_mlp.yaml", "--epochs", "3"});
  INFO(r.one.err << r.two.err);
  REQUIRE(r.one.exit_code == 0);
  REQUIRE(r.two.exit_code == 0);
  double one = test::final_test_accuracy(r.one.out), two = test::final_test_accuracy(r.two.out);
  INFO("one process " << one << " %, two " << two << " %");
  REQUIRE(one > 50);
  CHECK(std::abs(one - two) <= 0.3);
  std::filesystem::remove_all(r.one_dir);
  std::filesystem::remove_all(r.two_dir);
}

TEST_CASE("a run resumed under MPI equals the uninterrupted run, and resumes in one process") {
  const std::string straight = test::fresh_dir("straight"), halves = test::fresh_dir("halves"),
                    single = test::fresh_dir("single");
  auto full = test::run_mpi(2, {"train", kCircles, "--epochs", "6", "--out", straight});
  REQUIRE(full.exit_code == 0);
  auto first = test::run_mpi(2, {"train", kCircles, "--epochs", "3", "--out", halves});
  REQUIRE(first.exit_code == 0);
  std::filesystem::create_directories(single);
  std::filesystem::copy_file(halves + "/checkpoint.safetensors",
                             single + "/checkpoint.safetensors");

  auto second = test::run_mpi(2, {"train", kCircles, "--epochs", "6", "--out", halves, "--resume",
                                  halves + "/checkpoint.safetensors"});
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  CHECK_THAT(second.err, Catch::Contains("resuming from"));
  auto same = test::weight_gap(test::model_weights(straight), test::model_weights(halves));
  CHECK(same.max_difference == 0);

  // Across a change of K: the global batches do not depend on K, only the sums' order does.
  auto alone = test::run_runner({"train", kCircles, "--epochs", "6", "--out", single, "--resume",
                                 single + "/checkpoint.safetensors"});
  INFO(alone.err);
  REQUIRE(alone.exit_code == 0);
  auto gap = test::weight_gap(test::model_weights(straight), test::model_weights(single));
  CHECK(gap.max_difference <= tolerance(6 * 20, 10));
  for (const auto& dir : {straight, halves, single}) std::filesystem::remove_all(dir);
}
