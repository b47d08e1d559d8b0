#include <gradflow/atomic_file.hpp>
#include <gradflow/checkpoint.hpp>

#include "graph/yaml_reader.hpp"

#include <algorithm>

namespace gradflow {

void save_checkpoint(const std::string& path, const Model& model, const Optimizer* optimizer,
                     const TrainingPosition& position, const Metadata& extra) {
  std::vector<NamedTensor> tensors;
  for (const auto& t : model.file_tensors())
    tensors.push_back({*t.name, *t.shape,
                       std::vector<float>(t.value->data(), t.value->data() + t.value->size())});
  Metadata meta{{"format", "gradflow-checkpoint/1"},
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

TrainingPosition load_checkpoint(const std::string& path, Model& model, Optimizer* optimizer) {
  return load_checkpoint_data(read_file(path), path, model, optimizer);
}

TrainingPosition load_checkpoint_data(const std::string& bytes, const std::string& path,
                                      Model& model, Optimizer* optimizer) {
  Metadata meta;
  std::vector<NamedTensor> tensors = decode_safetensors(bytes, path, &meta);
  DiagnosticList diags;
  for (const auto& p : model.file_tensors()) {
    auto it = std::find_if(tensors.begin(), tensors.end(),
                           [&](const NamedTensor& t) { return t.name == *p.name; });
    if (it == tensors.end()) {
      diags.error({path, 0, 0}, "no tensor '" + *p.name + "' for the graph's parameter");
      continue;
    }
    if (it->shape != *p.shape) {
      diags.error({path, 0, 0}, "tensor '" + *p.name + "' has shape " + shape_to_string(it->shape) +
                                    " but the graph needs " + shape_to_string(*p.shape));
      continue;
    }
    std::copy(it->data.begin(), it->data.end(), p.value->data());
  }
  diags.throw_if_any();
  TrainingPosition position;
  auto number = [&](const char* key) -> int64_t {
    auto it = meta.find(key);
    if (it == meta.end()) return 0;
    auto v = parse_integer(it->second);
    if (!v || *v < 0) throw InputError(path + ": bad metadata '" + key + "'");
    return *v;
  };
  position.epoch = number("epoch");
  position.step = number("step");
  if (optimizer) {
    auto it = meta.find("optimizer");
    if (it == meta.end())
      throw InputError(path +
                       ": holds weights only; --resume needs a checkpoint with optimizer state");
    if (it->second != optimizer->name())
      throw InputError(path + ": saved by optimizer '" + it->second + "' but the graph uses '" +
                       optimizer->name() + "'");
    optimizer->load_state(tensors, path);
    optimizer->set_steps(number("optimizer_steps"));
  }
  return position;
}

}  // namespace gradflow
