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
