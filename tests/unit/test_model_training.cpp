// Training through the library: the same seed gives the same numbers and bytes, another seed
// gives other weights; and every shipped graph passes the finite-difference check.
#include "support/weight_gap.hpp"
#include "unit/graph_test_support.hpp"

#include <gradflow/datasets.hpp>
#include <gradflow/gradcheck.hpp>
#include <gradflow/safetensors.hpp>
#include <gradflow/trainer.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

using namespace gradflow;
using namespace gradflow::test;

namespace {

const std::string kCircles = std::string(GRADFLOW_SOURCE_DIR) + "/graphs/circles_mlp.yaml";

TrainReport train_into(const std::string& out_dir, uint64_t seed, int64_t epochs) {
  GraphSpec spec = load_graph_file(kCircles);
  auto registry = builtin_registry();
  TrainOptions options;
  options.out_dir = out_dir;
  options.seed = seed;
  options.epochs = epochs;
  return train(spec, *registry, load_dataset(spec.train.data, spec.dir, spec.path), options);
}

// metrics.csv without its last column (wall-clock seconds), which is allowed to differ.
std::vector<std::string> metrics_without_seconds(const std::string& dir) {
  std::istringstream in(read_text(std::filesystem::path(dir) / "metrics.csv"));
  std::vector<std::string> rows;
  std::string line;
  while (std::getline(in, line)) rows.push_back(line.substr(0, line.rfind(',')));
  return rows;
}

}  // namespace

TEST_CASE("training twice with the same seed gives bit-identical results", "[model][determinism]") {
  TempDir tmp;
  auto a = train_into(tmp / "a", 3, 20);
  auto b = train_into(tmp / "b", 3, 20);
  REQUIRE(a.history.size() == 20);
  REQUIRE(b.history.size() == 20);
  for (size_t e = 0; e < a.history.size(); ++e) {
    INFO("epoch " << e + 1);
    CHECK(a.history[e].train_loss == b.history[e].train_loss);
    CHECK(a.history[e].test_loss == b.history[e].test_loss);
    CHECK(a.history[e].test_accuracy == b.history[e].test_accuracy);
  }
  auto rows = metrics_without_seconds(tmp / "a");
  CHECK(rows.size() == 1 + 2 * 20);  // header, then a train and a test row per epoch
  CHECK(rows == metrics_without_seconds(tmp / "b"));
  std::string weights = read_text(tmp.path() / "a" / "model.safetensors");
  CHECK(weights.size() > 100);
  CHECK(weights == read_text(tmp.path() / "b" / "model.safetensors"));
}

namespace {

// Wide enough that with two threads the optimizer splits its update, the Tanh and ReLU (65,536
// values at batch 128) theirs, and OpenBLAS its products.
const char* kWideCircles = R"(
format: gradflow/1
name: wide-circles
inputs:
  x: {shape: [2]}
  y: {shape: [2]}
nodes:
  - {name: a, op: Linear,       inputs: [x], out_features: 512}
  - {name: b, op: Tanh,         inputs: [a]}
  - {name: c, op: Linear,       inputs: [b], out_features: 256}
  - {name: d, op: ReLU,         inputs: [c]}
  - {name: e, op: Linear,       inputs: [d], out_features: 2}
  - {name: p, op: Softmax,      inputs: [e]}
  - {name: loss, op: CrossEntropy, inputs: [p, y]}
loss: loss
predict: p
train:
  data: {dataset: circles, seed: 0}
  batch_size: 128
  epochs: 5
  optimizer: {name: OPTIMIZER, lr: 0.001}
  seed: 5
)";

std::string train_wide(const TempDir& tmp, const std::string& name, const std::string& optimizer,
                       int threads, int batch = 128) {
  std::string text = kWideCircles;
  text.replace(text.find("OPTIMIZER"), 9, optimizer);
  text.replace(text.find("batch_size: 128"), 15, "batch_size: " + std::to_string(batch));
  GraphSpec spec = parse_graph(text, "wide.yaml");
  auto registry = builtin_registry();
  TrainOptions options;
  options.out_dir = tmp / name;
  options.threads = threads;
  train(spec, *registry, load_dataset(spec.train.data, spec.dir, spec.path), options);
  set_thread_count(1);
  return read_text(std::filesystem::path(tmp / name) / "model.safetensors");
}

}  // namespace

namespace {

// The largest difference between two weight files of the same graph, over every weight.
double largest_difference(const std::string& a, const std::string& b) {
  return test::weight_gap(decode_safetensors(a, "a"), decode_safetensors(b, "b")).max_difference;
}

}  // namespace

TEST_CASE(
    "the same seed gives bit-identical weights run to run, and at another thread count "
    "the same weights up to float reassociation",
    "[model][determinism][threads]") {
  TempDir tmp;
  for (const char* optimizer : {"sgd", "adam"}) {
    INFO(optimizer);
    const std::string one = train_wide(tmp, std::string(optimizer) + "1a", optimizer, 1);
    REQUIRE(one.size() > 100000);
    CHECK(train_wide(tmp, std::string(optimizer) + "1b", optimizer, 1) == one);
    // OpenBLAS splits a product by the thread count, always the same way for the same count,
    // so a count repeats itself bit for bit...
    const std::string two = train_wide(tmp, std::string(optimizer) + "2a", optimizer, 2);
    CHECK(train_wide(tmp, std::string(optimizer) + "2b", optimizer, 2) == two);
    // ...but another count rounds some sums in another order (a relative 6e-8 per product).
    // Over the 10 steps SGD's weights stay that close; Adam divides each gradient by its
    // running size, so a near-zero gradient's last bits can move a weight by a visible part of
    // a step. Measured: 7e-9 for SGD and 5e-7 for Adam, whose steps are at most lr = 1e-3; the
    // bound is a hundredth of one Adam step, 20 times the largest difference seen.
    const std::string three = train_wide(tmp, std::string(optimizer) + "3", optimizer, 3);
    const double bound = 1e-5;
    CHECK(largest_difference(one, two) <= bound);
    CHECK(largest_difference(one, three) <= bound);
  }
}

TEST_CASE("below 32 rows the products stay on one OpenBLAS thread: two threads give one's bits",
          "[model][determinism][threads]") {
  TempDir tmp;
  for (const char* optimizer : {"sgd", "adam"}) {
    INFO(optimizer);
    // Batches of 16 (and the epoch's last of 8): every product on one thread, while the pool
    // still splits the Tanh and ReLU, whose numbers do not depend on the split.
    const std::string one = train_wide(tmp, std::string(optimizer) + "16-1", optimizer, 1, 16);
    REQUIRE(one.size() > 100000);
    CHECK(train_wide(tmp, std::string(optimizer) + "16-2", optimizer, 2, 16) == one);
    CHECK(train_wide(tmp, std::string(optimizer) + "16-3", optimizer, 3, 16) == one);
  }
}

TEST_CASE("another seed gives other weights", "[model][determinism]") {
  TempDir tmp;
  train_into(tmp / "a", 3, 2);
  train_into(tmp / "b", 4, 2);
  std::string a = read_text(tmp.path() / "a" / "model.safetensors");
  std::string b = read_text(tmp.path() / "b" / "model.safetensors");
  REQUIRE(!a.empty());
  REQUIRE(a.size() == b.size());
  CHECK(a != b);
}

TEST_CASE("init_parameters depends on the seed and nothing else", "[model][determinism]") {
  auto registry = builtin_registry();
  GraphSpec spec = load_graph_file(kCircles);
  auto weights = [&](uint64_t seed) {
    auto model = Model::plan(spec, *registry);
    model->allocate(1);
    model->init_parameters(seed);
    std::vector<float> all;
    for (const auto& p : model->parameters())
      all.insert(all.end(), p.value.data(), p.value.data() + p.value.size());
    return all;
  };
  auto w1 = weights(1);
  CHECK(w1 == weights(1));
  CHECK(w1 != weights(2));
  // N(0, 0.3) as the file asks: the sample deviation of 52 draws is near 0.3.
  double sum = 0, sq = 0;
  for (float v : w1) sum += v, sq += double(v) * v;
  double mean = sum / w1.size();
  double sd = std::sqrt(sq / w1.size() - mean * mean);
  CHECK(sd > 0.18);
  CHECK(sd < 0.42);
}

TEST_CASE("every shipped graph passes the gradient check", "[model][gradcheck]") {
  std::vector<std::filesystem::path> graphs;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(GRADFLOW_SOURCE_DIR) + "/graphs"))
    if (entry.path().extension() == ".yaml") graphs.push_back(entry.path());
  std::sort(graphs.begin(), graphs.end());
  REQUIRE(graphs.size() >= 3);
  for (const auto& path : graphs) {
    SECTION(path.filename().string()) {
      GraphSpec spec = load_graph_file(path.string());
      // The default plugin folder, as graph-runner sees it: the SVM graphs need the
      // kernel-feature plugin built next to the built-in ops.
      auto registry = std::make_unique<OpRegistry>();
      load_standard_plugins(*registry, {});
      for (size_t i = 0; i < spec.plugins.size(); ++i)
        registry->load_plugin(spec.plugins[i], spec.plugin_where[i]);
      const GradientCheckResult r = check_gradients(spec, *registry);
      std::string errors;
      for (const auto& e : r.errors) errors += e.format() + "\n";
      INFO(errors);
      CHECK(r.passed());
      CHECK_FALSE(r.graph.empty());
      for (const auto& t : r.graph) {
        INFO(path.filename().string() << ": " << t.tensor << " max abs err " << t.max_abs_error
                                      << " max rel err " << t.max_rel_error);
        CHECK(t.checked > 0);
        CHECK(t.disagreed == 0);
      }
    }
  }
}
