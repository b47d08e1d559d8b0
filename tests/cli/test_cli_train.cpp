// Training from the command line: the bar (circles_mlp.yaml reaches 97 % test
// accuracy with its own settings) and the other two circles graphs train end to end.
#include "cli/cli_support.hpp"

#include "unit/graph_test_support.hpp"
#include "unit/image_graph_support.hpp"

#include <sstream>

using namespace gradflow::test;
using Catch::Matchers::Contains;

namespace {

struct MetricsRow {
  int epoch = 0;
  double loss = 0, accuracy = 0;
};

// The last "test" row of a run's metrics.csv (epoch,split,loss,accuracy,seconds).
MetricsRow last_test_row(const std::string& csv) {
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  REQUIRE(line == "epoch,split,loss,accuracy,seconds");
  MetricsRow last;
  bool found = false;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string epoch, split, loss, accuracy;
    std::getline(fields, epoch, ',');
    std::getline(fields, split, ',');
    std::getline(fields, loss, ',');
    std::getline(fields, accuracy, ',');
    if (split != "test") continue;
    last = {std::stoi(epoch), std::stod(loss), std::stod(accuracy)};
    found = true;
  }
  REQUIRE(found);
  return last;
}

MetricsRow train_graph(const std::string& graph, const std::vector<std::string>& extra = {},
                       std::chrono::seconds limit = std::chrono::seconds(300)) {
  TempDir tmp;
  std::vector<std::string> args{"train", source_path(graph), "--out", tmp / "run"};
  args.insert(args.end(), extra.begin(), extra.end());
  ProcessResult r = run_runner(args, limit);
  INFO(r.status_text() << "\nstderr:\n" << r.err);
  require_no_crash(r);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("epoch"));
  CHECK_THAT(r.out, Contains("test"));
  for (const char* file : {"metrics.csv", "model.safetensors"}) {
    INFO(file);
    CHECK(std::filesystem::is_regular_file(tmp.path() / "run" / file));
  }
  return last_test_row(read_text(tmp.path() / "run" / "metrics.csv"));
}

}  // namespace

TEST_CASE("circles_mlp.yaml reaches 97% test accuracy with its own settings", "[cli][train]") {
  MetricsRow last = train_graph("graphs/circles_mlp.yaml");
  CHECK(last.epoch == 150);
  INFO("final test accuracy " << last.accuracy);
  CHECK(last.accuracy >= 0.97);
}

TEST_CASE("circles_mse.yaml and circles_two_heads.yaml train to a useful classifier",
          "[cli][train]") {
  // A coin toss scores 50 %; both networks separate the circles well above that.
  for (const char* graph : {"graphs/circles_mse.yaml", "graphs/circles_two_heads.yaml"}) {
    SECTION(graph) {
      MetricsRow last = train_graph(graph);
      INFO(graph << ": final test accuracy " << last.accuracy);
      CHECK(last.epoch == 150);
      CHECK(last.accuracy >= 0.9);
    }
  }
}

TEST_CASE("command-line flags override the train section", "[cli][train]") {
  MetricsRow last = train_graph("graphs/circles_mlp.yaml", {"--epochs", "3", "--lr", "0.1"});
  CHECK(last.epoch == 3);
}

// The accuracy bars of the MNIST and SVM issues, each graph with its own settings and seed.
TEST_CASE("the MNIST, Fashion-MNIST and linear-SVM graphs reach their accuracy bars",
          "[cli][train][bars]") {
  struct Bar {
    const char* graph;
    double accuracy;
  };
  for (Bar bar :
       {Bar{"graphs/mnist_mlp.yaml", 0.925}, Bar{"graphs/mnist_mlp_adam.yaml", 0.94},
        Bar{"graphs/fashion_mlp.yaml", 0.875}, Bar{"graphs/fashion_svm_linear.yaml", 0.83}}) {
    SECTION(bar.graph) {
      MetricsRow last = train_graph(bar.graph);
      INFO(bar.graph << ": final test accuracy " << last.accuracy);
      CHECK(last.accuracy >= bar.accuracy);
    }
  }
}

// The convolutional networks' bars. Each is its own CTest test with a longer timeout (see
// tests/CMakeLists.txt), so that CTest can run them side by side.
TEST_CASE("mnist_cnn.yaml (LeNet-5) reaches 97% test accuracy",
          "[cli][train][bars][cnn][cnn-mnist]") {
  MetricsRow last = train_graph("graphs/mnist_cnn.yaml", {}, std::chrono::seconds(900));
  INFO("final test accuracy " << last.accuracy);
  CHECK(last.epoch == 10);
  CHECK(last.accuracy >= 0.97);
}

TEST_CASE("fashion_cnn.yaml (LeNet-5) reaches 90% test accuracy",
          "[cli][train][bars][cnn][cnn-fashion]") {
  MetricsRow last = train_graph("graphs/fashion_cnn.yaml", {}, std::chrono::seconds(1500));
  INFO("final test accuracy " << last.accuracy);
  CHECK(last.epoch == 15);
  CHECK(last.accuracy >= 0.90);
}

TEST_CASE("fashion_cnn_bn.yaml reaches 92% test accuracy",
          "[cli][train][bars][cnn][cnn-fashion-bn]") {
  MetricsRow last = train_graph("graphs/fashion_cnn_bn.yaml", {}, std::chrono::seconds(1500));
  INFO("final test accuracy " << last.accuracy);
  CHECK(last.epoch == 14);
  CHECK(last.accuracy >= 0.92);
}

TEST_CASE("mnist_resnet.yaml reaches 98% test accuracy", "[cli][train][bars][cnn][cnn-resnet]") {
  MetricsRow last = train_graph("graphs/mnist_resnet.yaml", {}, std::chrono::seconds(1500));
  INFO("final test accuracy " << last.accuracy);
  CHECK(last.epoch == 10);
  CHECK(last.accuracy >= 0.98);
}

TEST_CASE("eval prints loss, accuracy and a confusion matrix; predict writes one row per input",
          "[cli][eval]") {
  TempDir tmp;
  std::string graph = source_path("graphs/circles_mlp.yaml");
  ProcessResult trained = run_runner({"train", graph, "--epochs", "20", "--out", tmp / "run"});
  REQUIRE(trained.exit_code == 0);
  std::string weights = tmp / "run/model.safetensors";

  ProcessResult eval = run_runner({"eval", graph, "--weights", weights});
  require_no_crash(eval);
  REQUIRE(eval.exit_code == 0);
  CHECK_THAT(eval.out, Contains("accuracy") && Contains("confusion matrix"));
  // The confusion matrix's cells add up to the 200 test points.
  std::istringstream lines(eval.out.substr(eval.out.find("confusion matrix")));
  std::string line;
  std::getline(lines, line);
  std::getline(lines, line);
  long total = 0;
  while (std::getline(lines, line)) {
    std::istringstream cells(line);
    long row_label = 0, cell = 0;
    cells >> row_label;
    while (cells >> cell) total += cell;
  }
  CHECK(total == 200);

  std::string input = tmp.write("points.csv", "x0,x1\n0.0,0.05\n0.95,0.1\n-0.1,-1.0\n");
  ProcessResult predicted = run_runner(
      {"predict", graph, "--weights", weights, "--input", input, "--output", tmp / "out.csv"});
  require_no_crash(predicted);
  REQUIRE(predicted.exit_code == 0);
  std::string csv = read_text(tmp / "out.csv");
  std::istringstream rows(csv);
  std::getline(rows, line);
  CHECK(line == "class,p0,p1");
  int count = 0;
  while (std::getline(rows, line)) ++count;
  CHECK(count == 3);

  ProcessResult bad = run_runner({"predict", graph, "--weights", weights, "--input",
                                  tmp.write("bad.csv", "x0,x1\n0.1,zebra\n")});
  require_no_crash(bad);
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Contains("bad.csv:2:") && Contains("zebra"));
}

TEST_CASE("eval and predict of an image graph run in eval mode: same answers every time",
          "[cli][eval][images]") {
  TempDir tmp;
  const std::string graph = tmp.write("images.yaml", every_image_op_graph(write_image_data(tmp)));
  ProcessResult trained = run_runner({"train", graph, "--epochs", "2", "--out", tmp / "run"});
  INFO(trained.err);
  REQUIRE(trained.exit_code == 0);
  const std::string weights = tmp / "run/model.safetensors";

  // With dropout on or batch statistics in use, two evaluations would differ.
  ProcessResult first = run_runner({"eval", graph, "--weights", weights});
  ProcessResult second = run_runner({"eval", graph, "--weights", weights});
  require_no_crash(first);
  REQUIRE(first.exit_code == 0);
  CHECK_THAT(first.out, Contains("accuracy"));
  CHECK(first.out == second.out);

  // Ten 12 x 12 images as CSV rows of 144 values.
  std::string csv;
  for (int r = 0; r < 10; ++r)
    for (int k = 0; k < 144; ++k)
      csv += std::to_string((r * 31 + k * 7) % 256 / 255.0) + (k == 143 ? "\n" : ",");
  const std::string input = tmp.write("images.csv", csv);
  ProcessResult a = run_runner({"predict", graph, "--weights", weights, "--input", input});
  ProcessResult b = run_runner({"predict", graph, "--weights", weights, "--input", input});
  require_no_crash(a);
  INFO(a.err);
  REQUIRE(a.exit_code == 0);
  CHECK(a.out == b.out);
  CHECK(std::count(a.out.begin(), a.out.end(), '\n') == 11);  // header and ten rows
  // A row's answer does not depend on the rows predicted with it, as it would with batch
  // statistics or dropout.
  ProcessResult one = run_runner({"predict", graph, "--weights", weights, "--input",
                                  tmp.write("one.csv", csv.substr(0, csv.find('\n') + 1))});
  REQUIRE(one.exit_code == 0);
  CHECK(a.out.substr(0, a.out.find('\n', a.out.find('\n') + 1)) ==
        one.out.substr(0, one.out.size() - 1));
}
