#include "train/run_facts.hpp"

#include <fmt/format.h>

#include <string>

namespace gradflow {

RunFacts run_facts(const GraphSpec& spec, const TrainingSetup& setup) {
  int64_t values = 0;
  for (const auto& p : setup.model->parameters()) values += p.value.size();
  uint64_t labels = 1469598103934665603ull;  // FNV-1a
  for (const Split* split : {&setup.data.train, &setup.data.test})
    for (int32_t label : split->labels)
      labels = (labels ^ static_cast<uint32_t>(label)) * 1099511628211ull;
  return {
      {"graph name", spec.name},
      {"parameter count", std::to_string(values)},
      {"number of training samples", std::to_string(setup.data.train.size)},
      {"number of test samples", std::to_string(setup.data.test.size)},
      {"checksum of the labels", std::to_string(labels)},
      {"batch size", std::to_string(setup.batch)},
      {"number of epochs", std::to_string(spec.train.epochs)},
      {"seed", std::to_string(spec.train.seed)},
      {"optimizer", fmt::format("{} lr {}", spec.train.optimizer.name, spec.train.optimizer.lr)}};
}

}  // namespace gradflow
