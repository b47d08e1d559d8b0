// Image graphs end to end: [C, H, W] inputs bind to flat data sets, evaluation runs in eval
// mode, and a run with batch norm and dropout resumes bit for bit.
#include <gradflow/atomic_file.hpp>
#include <gradflow/binding.hpp>
#include <gradflow/datasets.hpp>
#include <gradflow/evaluation.hpp>
#include <gradflow/optimizer.hpp>
#include <gradflow/safetensors.hpp>
#include <gradflow/trainer.hpp>

#include <algorithm>
#include <numeric>
#include <sstream>

#include "unit/graph_test_support.hpp"
#include "unit/image_graph_support.hpp"

namespace gradflow::test {
namespace {

struct Planned {
  GraphSpec spec;
  Dataset data;
  std::unique_ptr<Model> model;
  std::vector<Binding> bindings;
};

Planned plan_images(const TempDir& dir, const OpRegistry& registry, int64_t batch) {
  Planned p;
  p.spec = parse_graph(every_image_op_graph(write_image_data(dir)), "inline.yaml");
  p.data = load_dataset(p.spec.train.data, p.spec.dir, p.spec.path);
  p.model = Model::plan(p.spec, registry);
  p.model->allocate(batch);
  p.bindings = bind_inputs(*p.model, p.data, p.spec.train.bind);
  p.model->init_parameters(p.spec.train.seed);
  return p;
}

std::vector<float> output_of(const Model& model, const std::string& node, int64_t rows) {
  const Value& v = model.values()[model.value_index(node)];
  return std::vector<float>(v.data.data(), v.data.data() + v.data.sample_size() * rows);
}

std::vector<float> state_values(const Model& model) {
  std::vector<float> all;
  for (const auto& s : model.states())
    all.insert(all.end(), s.value.data(), s.value.data() + s.value.size());
  return all;
}

std::string training_dir(const TempDir& dir, const std::string& name) {
  return (dir.path() / name).string();
}

TrainReport run(const GraphSpec& spec, const OpRegistry& registry, TrainOptions options) {
  return train(spec, registry, load_dataset(spec.train.data, spec.dir, spec.path), options);
}

}  // namespace

TEST_CASE("an image input binds to the flat features of IDX files", "[model][images]") {
  TempDir dir;
  auto registry = builtin_registry();
  Planned p = plan_images(dir, *registry, 16);
  CHECK(p.data.train.feature_shape == std::vector<int64_t>{144});
  CHECK(p.model->values()[p.model->input_value("x")].shape == std::vector<int64_t>{1, 12, 12});
  std::vector<int64_t> order(16);
  std::iota(order.begin(), order.end(), 100);
  load_batch(*p.model, p.bindings, p.data.train, p.data.classes, order.data(), 16);
  const float* x = p.model->values()[p.model->input_value("x")].current();
  for (int64_t i = 0; i < 16 * 144; ++i) CHECK(x[i] == p.data.train.feature(100 * 144 + i));
  p.model->forward(16, {true, 0});
  CHECK(std::isfinite(p.model->loss()));
}

TEST_CASE("an image input whose size differs from the data names both shapes", "[model][images]") {
  TempDir dir;
  auto registry = builtin_registry();
  const std::string text = wrong_size_graph(write_image_data(dir));
  GraphSpec spec = parse_graph(text, "inline.yaml");
  Dataset data = load_dataset(spec.train.data, spec.dir, spec.path);
  auto model = Model::plan(spec, *registry);
  try {
    bind_inputs(*model, data, spec.train.bind);
    FAIL("a [1, 12, 11] input was bound to 144 features");
  } catch (const InputError& e) {
    CHECK_THAT(e.what(), Catch::Contains("[1, 12, 11]") && Catch::Contains("[144]"));
  }
}

TEST_CASE("the real data sets bind to [1, 28, 28] inputs", "[model][images][real]") {
  auto registry = builtin_registry();
  for (const char* graph :
       {"mnist_cnn.yaml", "fashion_cnn.yaml", "fashion_cnn_bn.yaml", "mnist_resnet.yaml"}) {
    INFO(graph);
    GraphSpec spec = load_graph_file(std::string(GRADFLOW_SOURCE_DIR "/graphs/") + graph);
    spec.train.data["train_limit"] = 64;
    spec.train.data["test_limit"] = 8;
    Dataset data;
    try {
      data = load_dataset(spec.train.data, spec.dir, spec.path);
    } catch (const InputError& e) {
      WARN("skipped, data set not installed: " << e.what());
      continue;
    }
    CHECK(data.train.feature_shape == std::vector<int64_t>{784});
    auto model = Model::plan(spec, *registry);
    model->allocate(64);
    auto bindings = bind_inputs(*model, data, spec.train.bind);
    model->init_parameters(0);
    std::vector<int64_t> order(64);
    std::iota(order.begin(), order.end(), 0);
    load_batch(*model, bindings, data.train, data.classes, order.data(), 64);
    model->forward(64, {true, 0});
    CHECK(std::isfinite(model->loss()));
  }
}

TEST_CASE("forward defaults to eval mode: no dropout, running statistics used and kept",
          "[model][images]") {
  TempDir dir;
  auto registry = builtin_registry();
  Planned p = plan_images(dir, *registry, 16);
  auto optimizer = make_optimizer(p.spec.train.optimizer, p.model->parameters());
  std::vector<int64_t> order(16);
  std::iota(order.begin(), order.end(), 0);
  for (int64_t step = 0; step < 3; ++step) {
    load_batch(*p.model, p.bindings, p.data.train, p.data.classes, order.data(), 16);
    p.model->forward(16, {true, step});
    p.model->backward(16);
    optimizer->step(p.model->parameters());
  }
  const std::vector<float> statistics = state_values(*p.model);
  // Training moved the running statistics away from their initial zeros and ones.
  CHECK(std::count(statistics.begin(), statistics.end(), 0.0f) +
            std::count(statistics.begin(), statistics.end(), 1.0f) <
        static_cast<long>(statistics.size()));

  load_batch(*p.model, p.bindings, p.data.test, p.data.classes, order.data(), 16);
  p.model->forward(16);
  const std::vector<float> plain = output_of(*p.model, "yhat", 16);
  p.model->forward(16, {false, 12345});
  CHECK(output_of(*p.model, "yhat", 16) == plain);  // no random stream in eval
  CHECK(output_of(*p.model, "d1", 16) == output_of(*p.model, "s2", 16));  // dropout is identity
  CHECK(state_values(*p.model) == statistics);

  // Training mode: masks follow the step, and the same step gives the same masks.
  p.model->forward(16, {true, 7});
  const std::vector<float> step7 = output_of(*p.model, "d1", 16);
  p.model->forward(16, {true, 8});
  CHECK(output_of(*p.model, "d1", 16) != step7);
  p.model->forward(16, {true, 7});
  CHECK(output_of(*p.model, "d1", 16) == step7);

  Evaluation first = evaluate(*p.model, p.bindings, p.data.test, p.data.classes);
  const std::vector<float> after_training_forward = state_values(*p.model);
  Evaluation second = evaluate(*p.model, p.bindings, p.data.test, p.data.classes);
  CHECK(first.loss == second.loss);
  CHECK(first.accuracy == second.accuracy);
  CHECK(state_values(*p.model) == after_training_forward);
}

TEST_CASE("batch norm and dropout: resuming 2 + 2 epochs gives exactly the 4-epoch run",
          "[model][images][resume]") {
  TempDir dir;
  OpRegistry registry;
  load_standard_plugins(registry, {});
  GraphSpec spec = parse_graph(every_image_op_graph(write_image_data(dir)), "inline.yaml");

  TrainOptions straight;
  straight.epochs = 4;
  straight.out_dir = training_dir(dir, "straight");
  const TrainReport full = run(spec, registry, straight);

  TrainOptions first_half = straight;
  first_half.epochs = 2;
  first_half.out_dir = training_dir(dir, "halves");
  run(spec, registry, first_half);
  TrainOptions second_half = straight;
  second_half.out_dir = first_half.out_dir;
  second_half.resume = first_half.out_dir + "/checkpoint.safetensors";
  const TrainReport resumed = run(spec, registry, second_half);

  REQUIRE(resumed.history.size() == 4);
  // Epochs 1 and 2 come back from the checkpoint's metrics, written as text.
  for (size_t e = 0; e < 2; ++e)
    CHECK(resumed.history[e].train_loss == Approx(full.history[e].train_loss).epsilon(1e-5));
  for (size_t e = 2; e < 4; ++e) {
    CHECK(resumed.history[e].train_loss == full.history[e].train_loss);
    CHECK(resumed.history[e].test_loss == full.history[e].test_loss);
    CHECK(resumed.history[e].test_accuracy == full.history[e].test_accuracy);
  }
  // The learnt set is easy: the run must have learnt something for the comparison to mean much.
  CHECK(full.history.back().test_accuracy > 0.5);
  const auto a = decode_safetensors(read_file(straight.out_dir + "/model.safetensors"), "a");
  const auto b = decode_safetensors(read_file(first_half.out_dir + "/model.safetensors"), "b");
  REQUIRE(a.size() == b.size());
  int running = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    INFO(a[i].name);
    CHECK(a[i].name == b[i].name);
    CHECK(a[i].data == b[i].data);
    running += a[i].name.find(".running_") != std::string::npos;
  }
  CHECK(running == 4);  // b1 and b2, mean and variance
}

}  // namespace gradflow::test
