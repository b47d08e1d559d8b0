// One entry function per fuzz target, shared by the libFuzzer binaries and by the Catch2 test
// that replays tests/fuzz/regressions/: a regression file then runs exactly the code that
// crashed, in every normal build and not only in the fuzz build.
//
// Contract: an entry returns Outcome::accepted or Outcome::rejected (the input raised
// gradflow::InputError). Anything else -- another exception, a sanitizer report, an abort --
// is a finding.
#pragma once

#include <gradflow/checkpoint.hpp>
#include <gradflow/datasets.hpp>
#include <gradflow/diagnostics.hpp>
#include <gradflow/graph_spec.hpp>
#include <gradflow/model.hpp>
#include <gradflow/onnx_convert.hpp>
#include <gradflow/optimizer.hpp>
#include <gradflow/registry.hpp>
#include <gradflow/resume.hpp>
#include <gradflow/safetensors.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace gradflow::fuzz {

enum class Outcome { accepted, rejected };

// Fails loudly on a broken invariant: abort() is what libFuzzer and Catch2 both notice.
inline void expect(bool ok) {
  if (!ok) std::abort();
}

template <class F>
Outcome guarded(F&& body) {
  try {
    body();
    return Outcome::accepted;
  } catch (const InputError& e) {
    // An error that says nothing cannot help the user who wrote the file.
    expect(!e.diagnostics().empty() && std::string(e.what()).size() > 0);
    return Outcome::rejected;
  }
}

// The built-in ops, loaded once per process: plugin loading is not what this target tests,
// and re-opening the library for every input would dominate the run time.
inline const OpRegistry& builtin_registry() {
  static OpRegistry* registry = [] {
    auto* r = new OpRegistry;
    r->load_plugin(GRADFLOW_BUILTIN_OPS);
    return r;
  }();
  return *registry;
}

// YAML text -> stage one -> planning with the built-in ops -> for small graphs, buffers at
// batch 2, a forward and a backward pass on zero inputs.
inline Outcome graph_entry(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  return guarded([&] {
    GraphSpec spec = parse_graph(text, "fuzz.yaml");
    auto model = Model::plan(spec, builtin_registry());
    // Large-but-legal graphs are the planner's business, not the allocator's; running them
    // would only slow the fuzzer down.
    if (model->buffer_bytes(2) > 8.0 * (1 << 20)) return;
    model->allocate(2);
    model->init_parameters(0);
    model->forward(2);
    if (!model->loss_terms().empty()) model->backward(2);
  });
}

// The same bytes as an image file and as a label file (gzip detection included).
inline Outcome idx_entry(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  Outcome images = guarded([&] {
    int64_t count = 0;
    std::vector<int64_t> shape;
    std::vector<float> pixels = parse_idx_images(bytes, "fuzz-images", &count, &shape);
    expect(count > 0 && shape.size() == 1 && shape[0] > 0);
    expect(static_cast<int64_t>(pixels.size()) == count * shape[0]);
    for (float p : pixels) expect(p >= 0.0f && p <= 1.0f);
  });
  Outcome labels = guarded([&] {
    std::vector<int32_t> values = parse_idx_labels(bytes, "fuzz-labels");
    expect(!values.empty());
    for (int32_t v : values) expect(v >= 0 && v < 256);
  });
  return images == Outcome::accepted || labels == Outcome::accepted ? Outcome::accepted
                                                                    : Outcome::rejected;
}

// The same text as a data set (header and label column required) and as predict's input
// (header decided by the rule the input's length picks: automatic, yes or no). The outcome is
// the data set's; the feature reader must only end cleanly and keep its invariants.
inline Outcome csv_entry(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  guarded([&] {
    const CsvHeader rules[] = {CsvHeader::automatic, CsvHeader::yes, CsvHeader::no};
    FeatureCsvOptions options;
    options.header = rules[size % 3];
    FeatureRows rows = parse_feature_csv(text, "fuzz.csv", options);
    // What predict relies on: a rectangle of finite numbers.
    expect(rows.rows > 0 && rows.columns > 0);
    expect(static_cast<int64_t>(rows.x.size()) == rows.rows * rows.columns);
    for (float v : rows.x) expect(std::isfinite(v));
  });
  return guarded([&] {
    Split split = parse_csv(text, "fuzz.csv", "label");
    // What the trainer relies on: sizes agree, labels are class indices.
    expect(split.size >= 0);
    expect(static_cast<int64_t>(split.labels.size()) == split.size);
    expect(static_cast<int64_t>(split.x.size()) == split.size * split.feature_size());
    for (int32_t l : split.labels) expect(l >= 0);
  });
}

// Decoding, then a round trip: whatever the reader accepts, the writer must reproduce.
inline Outcome safetensors_entry(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  return guarded([&] {
    Metadata metadata;
    std::vector<NamedTensor> tensors = decode_safetensors(bytes, "fuzz.safetensors", &metadata);
    Metadata again_metadata;
    std::vector<NamedTensor> again =
        decode_safetensors(encode_safetensors(tensors, metadata), "re-encoded", &again_metadata);
    expect(again_metadata == metadata && again.size() == tensors.size());
    for (size_t i = 0; i < tensors.size(); ++i) {
      expect(again[i].name == tensors[i].name && again[i].shape == tensors[i].shape);
      expect(again[i].data.size() == tensors[i].data.size());
    }
  });
}

// The run every checkpoint input is offered to, as `train --resume` would: its graph (the
// seeds in corpus/checkpoint/ were written by training exactly this), model and optimizer.
struct CheckpointTarget {
  static constexpr int64_t kStepsPerEpoch = 20;  // 200 circles points, batch 10
  std::unique_ptr<Model> model;
  std::unique_ptr<Optimizer> optimizer;
  RunIdentity identity;
};

inline CheckpointTarget& checkpoint_target() {
  static CheckpointTarget* target = [] {
    auto* t = new CheckpointTarget;
    GraphSpec spec = parse_graph(R"(format: gradflow/1
name: fuzz-checkpoint
inputs:
  x: {shape: [2]}
  y: {shape: [2]}
nodes:
  - {name: h, op: Linear, inputs: [x], out_features: 2}
  - {name: p, op: Softmax, inputs: [h]}
  - {name: loss, op: CrossEntropy, inputs: [p, y]}
loss: loss
predict: p
train:
  data: {dataset: circles, seed: 0}
  batch_size: 10
  optimizer: {name: sgd, lr: 0.1, momentum: 0.9}
)",
                                 "fuzz-checkpoint.yaml");
    t->model = Model::plan(spec, builtin_registry());
    t->model->allocate(1);
    t->optimizer = make_optimizer(spec.train.optimizer, t->model->parameters());
    t->identity = run_identity(spec, 10);
    return t;
  }();
  return *target;
}

// Bytes as a checkpoint for --resume: decoding, the tensors into the model and optimizer,
// then the resume checks. Whatever passes must be something the trainer can run from.
inline Outcome checkpoint_entry(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  CheckpointTarget& t = checkpoint_target();
  return guarded([&] {
    Metadata meta;
    TrainingPosition at =
        load_checkpoint_bytes(bytes, "fuzz.safetensors", *t.model, t.optimizer.get(), &meta);
    check_resume("fuzz.safetensors", meta, t.identity, at, t.optimizer->steps(),
                 CheckpointTarget::kStepsPerEpoch);
    expect(at.epoch >= 0 && at.epoch <= 1000000);
    expect(at.step >= 0 && at.step < CheckpointTarget::kStepsPerEpoch);
    expect(t.optimizer->steps() >= 0 &&
           t.optimizer->steps() <= at.epoch * CheckpointTarget::kStepsPerEpoch + at.step);
    for (const auto& p : t.model->parameters())
      for (int64_t i = 0; i < p.value.size(); ++i) expect(std::isfinite(p.value.data()[i]));
  });
}

// ONNX bytes -> wire check -> protobuf -> import with the built-in ops. What imports must load
// as a graph with its tensors and export again: every op the import used has an ONNX form.
inline Outcome onnx_entry(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  ImportedModel imported;
  const Outcome outcome = guarded(
      [&] { imported = import_onnx(bytes, "fuzz.onnx", builtin_registry(), ImportOptions{}); });
  if (outcome == Outcome::rejected) return outcome;
  try {
    GraphSpec spec = parse_graph(imported.yaml, "imported.yaml");
    auto model = Model::plan(spec, builtin_registry());
    if (model->buffer_bytes(1) > 8.0 * (1 << 20)) return outcome;
    model->allocate(1);
    for (const auto& t : model->file_tensors())
      for (const auto& values : imported.tensors)
        if (values.name == *t.name)
          std::copy(values.data.begin(), values.data.end(), t.value->data());
    model->forward(1);
    expect(!export_onnx(*model, "fuzz").empty());
  } catch (const InputError&) {
    expect(false);
  }
  return outcome;
}

}  // namespace gradflow::fuzz
