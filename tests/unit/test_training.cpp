// Training runs end to end: weights saved and loaded give the same predictions, and a run
// resumed from a checkpoint equals a run that was never stopped.
#include <gradflow/atomic_file.hpp>
#include <gradflow/binding.hpp>
#include <gradflow/checkpoint.hpp>
#include <gradflow/datasets.hpp>
#include <gradflow/evaluation.hpp>
#include <gradflow/model.hpp>
#include <gradflow/trainer.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <sstream>

using namespace gradflow;

namespace {

std::string fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("gradflow-train-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

TrainReport run(const GraphSpec& spec, const OpRegistry& registry, TrainOptions options) {
  return train(spec, registry, load_dataset(spec.train.data, spec.dir, spec.path), options);
}

// metrics.csv without the seconds column, which is the only thing allowed to differ.
std::string metrics_without_time(const std::string& dir) {
  std::istringstream in(read_file(dir + "/metrics.csv"));
  std::string line, text;
  while (std::getline(in, line)) text += line.substr(0, line.rfind(',')) + "\n";
  return text;
}

std::vector<NamedTensor> weights(const std::string& dir) {
  return decode_safetensors(read_file(dir + "/model.safetensors"), "model");
}

}  // namespace

TEST_CASE("resuming 2 + 2 epochs gives exactly the 4-epoch run") {
  OpRegistry registry;
  load_standard_plugins(registry, {});
  GraphSpec spec = load_graph_file(GRADFLOW_SOURCE_DIR "/graphs/circles_mlp.yaml");
  spec.train.optimizer.momentum = 0.9;  // so that optimizer state matters

  TrainOptions straight;
  straight.epochs = 4;
  straight.out_dir = fresh_dir("straight");
  run(spec, registry, straight);

  TrainOptions first_half = straight;
  first_half.epochs = 2;
  first_half.out_dir = fresh_dir("halves");
  run(spec, registry, first_half);
  TrainOptions second_half = straight;
  second_half.out_dir = first_half.out_dir;
  second_half.resume = first_half.out_dir + "/checkpoint.safetensors";
  TrainReport resumed = run(spec, registry, second_half);

  CHECK(resumed.history.size() == 4);
  auto a = weights(straight.out_dir), b = weights(first_half.out_dir);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].name == b[i].name);
    CHECK(a[i].data == b[i].data);
  }
  CHECK(metrics_without_time(straight.out_dir) == metrics_without_time(first_half.out_dir));
  std::filesystem::remove_all(straight.out_dir);
  std::filesystem::remove_all(first_half.out_dir);
}

TEST_CASE("saved weights reload into identical predictions") {
  OpRegistry registry;
  load_standard_plugins(registry, {});
  GraphSpec spec = load_graph_file(GRADFLOW_SOURCE_DIR "/graphs/circles_mlp.yaml");
  TrainOptions options;
  options.epochs = 5;
  options.out_dir = fresh_dir("reload");
  TrainReport report = run(spec, registry, options);
  REQUIRE(report.history.size() == 5);

  Dataset data = load_dataset(spec.train.data, spec.dir, spec.path);
  auto model = Model::plan(spec, registry);
  model->allocate(1000);
  auto bindings = bind_inputs(*model, data, spec.train.bind);
  model->init_parameters(12345);  // different weights, to be overwritten by the file
  load_checkpoint(options.out_dir + "/model.safetensors", *model, nullptr);
  Evaluation e = evaluate(*model, bindings, data.test, data.classes);
  CHECK(e.accuracy == report.history.back().test_accuracy);
  CHECK(e.loss == report.history.back().test_loss);
  std::filesystem::remove_all(options.out_dir);
}

TEST_CASE("byte features gather and evaluate exactly like the same values as floats") {
  OpRegistry registry;
  load_standard_plugins(registry, {});
  GraphSpec spec = load_graph_file(GRADFLOW_SOURCE_DIR "/graphs/circles_mlp.yaml");
  Dataset bytes = load_dataset(spec.train.data, spec.dir, spec.path);
  Split& s = bytes.test;
  s.pixels.resize(s.x.size());
  for (size_t i = 0; i < s.x.size(); ++i) s.pixels[i] = static_cast<uint8_t>(i * 97 + 5);
  s.x.clear();
  Dataset floats = bytes;
  floats.test.x = bytes.test.features();
  floats.test.pixels.clear();
  REQUIRE(floats.test.has_float_features());

  auto model = Model::plan(spec, registry);
  model->allocate(64);
  auto bindings = bind_inputs(*model, bytes, spec.train.bind);
  model->init_parameters(7);
  // Gathered (shuffled) rows and in-place (consecutive) rows both see the scaled bytes.
  const Value& input = model->values()[model->input_value("x")];
  for (std::vector<int64_t> order :
       {std::vector<int64_t>{5, 1, 9}, std::vector<int64_t>{3, 4, 5}}) {
    load_batch(*model, bindings, bytes.test, bytes.classes, order.data(), 3);
    const float* got = input.current();
    std::vector<float> row(2);
    for (int64_t i = 0; i < 3; ++i) {
      bytes.test.copy_features(order[i], row.data());
      CHECK(got[2 * i] == floats.test.x[2 * order[i]]);
      CHECK(got[2 * i + 1] == floats.test.x[2 * order[i] + 1]);
      CHECK(row == std::vector<float>{got[2 * i], got[2 * i + 1]});
    }
  }
  Evaluation a = evaluate(*model, bindings, bytes.test, bytes.classes);
  Evaluation b = evaluate(*model, bindings, floats.test, floats.classes);
  CHECK(a.loss == b.loss);
  CHECK(a.accuracy == b.accuracy);
}

TEST_CASE("a checkpoint of another graph is refused with the tensor's name") {
  OpRegistry registry;
  load_standard_plugins(registry, {});
  GraphSpec spec = load_graph_file(GRADFLOW_SOURCE_DIR "/graphs/circles_mlp.yaml");
  TrainOptions options;
  options.epochs = 1;
  options.out_dir = fresh_dir("other");
  run(spec, registry, options);

  GraphSpec wider = spec;
  for (auto& n : wider.nodes)
    for (auto& a : n.attrs)
      if (n.name == "hidden" && a.key == "out_features") a.value = YAML::Node(12);
  auto model = Model::plan(wider, registry);
  model->allocate(10);
  try {
    load_checkpoint(options.out_dir + "/model.safetensors", *model, nullptr);
    FAIL("a mismatched checkpoint was accepted");
  } catch (const InputError& e) {
    CHECK_THAT(e.what(), Catch::Contains("hidden.weight") && Catch::Contains("[12, 2]"));
  }
  std::filesystem::remove_all(options.out_dir);
}

TEST_CASE("the resume command repeats every setting given, quoted for a shell", "[training]") {
  TrainOptions options;
  options.epochs = 40;
  options.batch_size = 0;
  options.lr = 0.1 + 0.2;  // not short in decimal: must still read back as the same double
  options.seed = 18446744073709551615ull;
  options.threads = 2;
  options.plugins = {"build/libk.so"};
  options.overrides = {"nodes.h.op=ReLU", "train.data.train_size=50"};
  const std::string command =
      resume_command("my graphs/g.yaml", options, "it's here", "it's here/checkpoint.safetensors");
  CHECK(command ==
        "graph-runner --plugin build/libk.so train 'my graphs/g.yaml' --out 'it'\\''s here' "
        "--set nodes.h.op=ReLU --set train.data.train_size=50 --epochs 40 --batch-size full --lr "
        "0.30000000000000004 --seed 18446744073709551615 "
        "--threads 2 --resume 'it'\\''s here/checkpoint.safetensors'");
  CHECK(resume_command("g.yaml", TrainOptions{}, "runs/g", "runs/g/c.st") ==
        "graph-runner train g.yaml --out runs/g --resume runs/g/c.st");
}
