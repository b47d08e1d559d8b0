// Training from the command line: the bar (circles_mlp.yaml reaches 97 % test
// accuracy with its own settings) and the other two circles graphs train end to end.
#include "cli/cli_support.hpp"

#include "unit/graph_test_support.hpp"

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

MetricsRow train_graph(const std::string& graph, const std::vector<std::string>& extra = {}) {
  TempDir tmp;
  std::vector<std::string> args{"train", source_path(graph), "--out", tmp / "run"};
  args.insert(args.end(), extra.begin(), extra.end());
  ProcessResult r = run_runner(args, std::chrono::seconds(300));
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
