// report.html in every run folder, `graph-runner report` rebuilding it, `explain`, and
// `train --set`.
#include <gradflow/atomic_file.hpp>

#include "cli/cli_support.hpp"
#include "support/temp_dir.hpp"

#include <filesystem>
#include <regex>

using namespace gradflow;
using namespace gradflow::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

std::string train_circles(const TempDir& tmp, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{
      "train", source_path("graphs/circles_mlp.yaml"), "--epochs", "30", "--out", tmp / "run"};
  args.insert(args.end(), extra.begin(), extra.end());
  ProcessResult r = run_runner(args);
  INFO(r.status_text() << "\n" << r.err);
  REQUIRE(r.exit_code == 0);
  return tmp / "run";
}

}  // namespace

TEST_CASE("train writes one self-contained report.html", "[cli][report]") {
  TempDir tmp;
  const std::string dir = train_circles(tmp);
  for (const char* file :
       {"report.html", "run.json", "frames.json", "evaluation.json", "graph.dot", "explain.json"})
    CHECK(fs::exists(fs::path(dir) / file));
  const std::string page = read_file(dir + "/report.html");
  CHECK_THAT(page, Contains("<canvas id=\"decision\""));
  CHECK_THAT(page, Contains("id=\"frame-slider\""));
  CHECK_THAT(page, Contains("Confusion matrix"));
  CHECK_THAT(page, Contains("∂L/∂hidden.weight += (∂L/∂hidden)ᵀ x"));
  // Nothing is fetched: no external scripts, styles, images or links but the SVG namespaces.
  CHECK(page.find("<link") == std::string::npos);
  CHECK(page.find(" src=") == std::string::npos);
  std::regex url(R"(https?://[^"' ]+)");
  for (std::sregex_iterator it(page.begin(), page.end(), url), end; it != end; ++it) {
    INFO(it->str());
    CHECK((it->str().rfind("http://www.w3.org/", 0) == 0));
  }
  // 30 epochs: a frame for each, and one before training.
  const std::string frames = read_file(dir + "/frames.json");
  CHECK_THAT(frames, Contains("\"epochs\":[0,1,2,3,"));
}

TEST_CASE("graph-runner report rebuilds the same page from the folder", "[cli][report]") {
  TempDir tmp;
  const std::string dir = train_circles(tmp);
  const std::string first = read_file(dir + "/report.html");
  fs::remove(dir + "/report.html");
  ProcessResult r = run_runner({"report", dir});
  INFO(r.status_text() << "\n" << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(read_file(dir + "/report.html") == first);
}

TEST_CASE("without Graphviz the page draws the graph itself", "[cli][report]") {
  TempDir tmp;
  const std::string dir = train_circles(tmp);
  ProcessResult r =
      run_process({"/usr/bin/env", "PATH=/nonexistent", GRADFLOW_RUNNER, "report", dir});
  INFO(r.status_text() << "\n" << r.err);
  REQUIRE(r.exit_code == 0);
  const std::string page = read_file(dir + "/report.html");
  CHECK_THAT(page, Contains("Graphviz's dot is not installed"));
  // Every box of graph.dot, labels on one line, and an arrow per edge.
  for (const char* box : {">x B x [2]<", ">hidden (Linear) B x [10]<", ">hidden.weight [10, 2]<",
                          ">loss (CrossEntropy) scalar<"})
    CHECK_THAT(page, Contains(box));
  size_t arrows = 0;
  for (size_t at = page.find("marker-end"); at != std::string::npos;
       at = page.find("marker-end", at + 1))
    ++arrows;
  CHECK(arrows == 10);  // 6 data edges and 4 parameter edges
}

TEST_CASE("graph-runner report refuses folders that hold no finished run", "[cli][report]") {
  TempDir tmp;
  fs::create_directories(tmp / "empty");
  ProcessResult r = run_runner({"report", tmp / "empty"});
  require_no_crash(r);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Contains("run.json"));

  const std::string dir = train_circles(tmp);
  SECTION("a doctored frames.json") {
    write_file_atomically(dir + "/frames.json",
                          "{\"x_min\":0,\"x_max\":1,\"y_min\":0,\"y_max\":1,\"grid\":50,"
                          "\"classes\":2,\"epochs\":[0],\"frames\":[\"AAAA\"],\"points\":[]}");
  }
  SECTION("a frames.json that is not JSON") {
    write_file_atomically(dir + "/frames.json", "{");
  }
  SECTION("an evaluation.json with a lying matrix") {
    write_file_atomically(dir + "/evaluation.json",
                          "{\"classes\":3,\"class_names\":[],\"confusion\":[1,2],\"channels\":0,"
                          "\"height\":0,\"width\":0,\"misclassified\":[]}");
  }
  SECTION("a run.json of another format") {
    write_file_atomically(dir + "/run.json", "{\"format\": \"something-else\"}");
  }
  ProcessResult bad = run_runner({"report", dir});
  require_no_crash(bad);
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Contains(dir));
}

TEST_CASE("report.html of an image data set shows misclassified images", "[cli][report][mnist]") {
  TempDir tmp;
  ProcessResult r = run_runner({"train", source_path("graphs/mnist_mlp.yaml"), "--epochs", "1",
                                "--set", "train.data.train_limit=500", "--out", tmp / "run"},
                               std::chrono::minutes(3));
  INFO(r.status_text() << "\n" << r.err);
  REQUIRE(r.exit_code == 0);
  const std::string page = read_file(tmp / "run/report.html");
  CHECK_THAT(page, Contains("Misclassified test images"));
  CHECK_THAT(page, Contains("\"height\":28"));
  CHECK(page.find("id=\"decision\"") == std::string::npos);
}

TEST_CASE("explain prints each node's forward and backward formulas", "[cli][explain]") {
  ProcessResult r = run_runner({"explain", source_path("graphs/circles_mlp.yaml")});
  INFO(r.status_text() << "\n" << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("hidden (Linear)"));
  CHECK_THAT(r.out, Contains("shapes:   x B×2, hidden.weight 10×2, hidden.bias 10, hidden B×10"));
  CHECK_THAT(r.out, Contains("backward: ∂L/∂hidden += ∂L/∂h ⊙ (1 − h²)"));
  CHECK_THAT(r.out, Contains("∂L/∂logits += ∂L/∂loss (yhat Σ_i y_i − y) / B"));
}

TEST_CASE("explain gives every node of every shipped graph its formulas", "[cli][explain]") {
  // The shipped graphs, and one with every image op.
  std::vector<std::filesystem::path> graphs{
      source_path("tests/onnx/graphs/mnist_every_image_op.yaml")};
  for (const auto& entry : std::filesystem::directory_iterator(source_path("graphs")))
    if (entry.path().extension() == ".yaml") graphs.push_back(entry.path());
  for (const auto& graph : graphs) {
    ProcessResult r = run_runner({"explain", graph.string()});
    INFO(graph << "\n" << r.status_text() << "\n" << r.err << r.out);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("no formula declared") == std::string::npos);
  }
  // The window's numbers in the index: LeNet's first convolution pads by 2, its pools stride 2.
  ProcessResult cnn = run_runner({"explain", source_path("graphs/mnist_cnn.yaml")});
  REQUIRE(cnn.exit_code == 0);
  CHECK_THAT(cnn.out, Contains("conv1[o, i, j] = Σ over c and u < 5, v < 5 of "
                               "conv1.weight[o, c, u, v] · x[c, i+u−2, j+v−2] + conv1.bias[o]"));
  CHECK_THAT(cnn.out, Contains("pool1[c, i, j] = max over u < 2, v < 2 of relu1[c, 2i+u, 2j+v]"));
  CHECK_THAT(cnn.out, Contains("shaped back to B×16×5×5"));
}

TEST_CASE("train --set changes the graph file's values and records them", "[cli][set]") {
  TempDir tmp;
  const std::string dir = train_circles(
      tmp, {"--set", "nodes.hidden.out_features=3", "--set", "train.data.train_size=50"});
  const std::string run = read_file(dir + "/run.json");
  CHECK_THAT(run, Contains("\"train_size\": 50"));
  CHECK_THAT(run, Contains("nodes.hidden.out_features=3"));
  CHECK_THAT(read_file(dir + "/explain.json"), Contains("3×2"));
}

TEST_CASE("a bad --set names itself and the graph line", "[cli][set]") {
  const std::string graph = source_path("graphs/circles_mlp.yaml");
  struct Case {
    std::string set, message;
  };
  for (const Case& c : std::vector<Case>{
           {"train.optimizer.lr=abc",
            "circles_mlp.yaml:21:30: error: --set "
            "train.optimizer.lr=abc: 'lr' must be a finite number"},
           {"nodes.hiden.out_features=5",
            "--set nodes.hiden.out_features=5: the graph has no "
            "node 'hiden' (did you mean 'hidden'?)"},
           {"nodes.h.op=Foo",
            "circles_mlp.yaml:11:24: error: --set nodes.h.op=Foo: nodes[1] 'h': "
            "unknown op 'Foo'"},
           {"train.data.train_size=1", "--set train.data.train_size=1: 'train_size' must be"},
           {"train.epochs.x=3", "'train.epochs' is not a mapping"},
           {"lr", "--set lr: expected KEY=VALUE"}}) {
    SECTION(c.set) {
      ProcessResult r = run_runner({"train", graph, "--set", c.set, "--epochs", "1"});
      require_no_crash(r);
      CHECK(r.exit_code == 2);
      CHECK_THAT(r.err, Contains(c.message));
    }
  }
}
