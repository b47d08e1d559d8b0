#include <gradflow/atomic_file.hpp>
#include <gradflow/checkpoint.hpp>

#include "base/utf8.hpp"
#include "graph/yaml_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace gradflow {
namespace {

// Far beyond any real run (--epochs allows 10^6, a split 10^7 samples), far below where
// arithmetic on them could overflow.
constexpr int64_t kMaxEpoch = 1'000'000;
constexpr int64_t kMaxStep = 10'000'000;
constexpr int64_t kMaxOptimizerSteps = kMaxEpoch * kMaxStep;

int64_t metadata_count(const Metadata& meta, const std::string& source, const char* key,
                       int64_t max) {
  auto it = meta.find(key);
  if (it == meta.end()) return 0;
  auto v = parse_integer(it->second);
  if (!v || *v < 0 || *v > max)
    throw InputError(SourceLocation{source, 0, 0},
                     fmt::format("metadata '{}' is {}, not an integer in [0, {}]: the file is "
                                 "damaged or was not written by graph-runner",
                                 key, quoted_excerpt(it->second), max));
  return *v;
}

// Resuming needs a checkpoint this gradflow wrote. Weights may come from other tools, which
// tag their files with formats of their own ("pt", "np"): their tensors are matched by name and
// shape all the same. A gradflow format other than ours is a version this one cannot read.
void check_format(const Metadata& meta, const std::string& source, bool resuming) {
  auto it = meta.find("format");
  if (it == meta.end() || it->second == kCheckpointFormat) return;
  if (resuming || it->second.rfind("gradflow", 0) == 0)
    throw InputError(SourceLocation{source, 0, 0},
                     "metadata 'format' is " + quoted_excerpt(it->second) +
                         "; this gradflow reads '" + kCheckpointFormat + "'");
}

// NaN or infinite weights are not a model: evaluating them prints a meaningless accuracy,
// training from them fails at once with a misleading message.
void check_finite(const std::vector<NamedTensor>& tensors, const std::string& source) {
  for (const auto& t : tensors) {
    auto bad =
        std::find_if(t.data.begin(), t.data.end(), [](float v) { return !std::isfinite(v); });
    if (bad == t.data.end()) continue;
    throw InputError(SourceLocation{source, 0, 0},
                     fmt::format("tensor {} holds {} (element {} of {}): these weights are not "
                                 "usable; was the run diverging when they were saved?",
                                 quoted_excerpt(t.name), std::isnan(*bad) ? "NaN" : "infinity",
                                 bad - t.data.begin(), t.data.size()));
  }
}

void load_parameters(const std::vector<NamedTensor>& tensors, const std::string& source,
                     Model& model) {
  DiagnosticList diags;
  for (const auto& p : model.file_tensors()) {
    auto it = std::find_if(tensors.begin(), tensors.end(),
                           [&](const NamedTensor& t) { return t.name == *p.name; });
    if (it == tensors.end()) {
      diags.error({source, 0, 0}, "no tensor '" + *p.name + "' for the graph's parameter");
      continue;
    }
    if (it->shape != *p.shape) {
      diags.error({source, 0, 0}, "tensor '" + *p.name + "' has shape " +
                                      shape_to_string(it->shape) + " but the graph needs " +
                                      shape_to_string(*p.shape));
      continue;
    }
    std::copy(it->data.begin(), it->data.end(), p.value->data());
  }
  diags.throw_if_any();
}

void load_optimizer(const std::vector<NamedTensor>& tensors, const Metadata& meta,
                    const std::string& source, Optimizer& optimizer) {
  auto it = meta.find("optimizer");
  if (it == meta.end())
    throw InputError(source +
                     ": holds weights only; --resume needs a checkpoint with optimizer state");
  if (it->second != optimizer.name())
    throw InputError(source + ": saved by optimizer " + quoted_excerpt(it->second) +
                     " but the graph uses '" + optimizer.name() + "'");
  optimizer.load_state(tensors, source);
  optimizer.set_steps(metadata_count(meta, source, "optimizer_steps", kMaxOptimizerSteps));
}

}  // namespace

void save_checkpoint(const std::string& path, const Model& model, const Optimizer* optimizer,
                     const TrainingPosition& position, const Metadata& extra) {
  std::vector<NamedTensor> tensors;
  for (const auto& t : model.file_tensors())
    tensors.push_back({*t.name, *t.shape,
                       std::vector<float>(t.value->data(), t.value->data() + t.value->size())});
  Metadata meta{{"format", kCheckpointFormat},
                {"graph", model.spec().name},
                {"epoch", std::to_string(position.epoch)},
                {"step", std::to_string(position.step)}};
  for (const auto& [key, value] : extra) meta[key] = value;
  if (optimizer) {
    auto state = optimizer->state();
    tensors.insert(tensors.end(), state.begin(), state.end());
    meta["optimizer"] = optimizer->name();
    meta["optimizer_steps"] = std::to_string(optimizer->steps());
  }
  write_file_atomically(path, encode_safetensors(tensors, meta));
}

void check_checkpoint_names(const Model& model) {
  for (const auto& t : model.file_tensors())
    if (!is_valid_utf8(*t.name))
      throw InputError(SourceLocation{model.spec().path, 0, 0},
                       "tensor " + quoted_excerpt(*t.name) +
                           " (named by its op's plugin) is not valid UTF-8, so no checkpoint "
                           "could store it");
}

TrainingPosition load_checkpoint(const std::string& path, Model& model, Optimizer* optimizer,
                                 Metadata* metadata) {
  return load_checkpoint_bytes(read_file(path, optimizer ? "checkpoint" : "weights file"), path,
                               model, optimizer, metadata);
}

TrainingPosition load_checkpoint_bytes(const std::string& bytes, const std::string& source,
                                       Model& model, Optimizer* optimizer, Metadata* metadata) {
  Metadata meta;
  std::vector<NamedTensor> tensors = decode_safetensors(bytes, source, &meta);
  check_format(meta, source, optimizer != nullptr);
  check_finite(tensors, source);
  load_parameters(tensors, source, model);
  TrainingPosition position;
  position.epoch = metadata_count(meta, source, "epoch", kMaxEpoch);
  position.step = metadata_count(meta, source, "step", kMaxStep);
  if (optimizer) load_optimizer(tensors, meta, source, *optimizer);
  if (metadata) *metadata = std::move(meta);
  return position;
}

}  // namespace gradflow
