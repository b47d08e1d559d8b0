// Checkpoints are safetensors files: the parameters under their graph names ("hidden.weight"),
// optional optimizer state ("adam_m.hidden.weight", ...) and metadata (graph, epoch, step).
#pragma once

#include <gradflow/model.hpp>
#include <gradflow/optimizer.hpp>
#include <gradflow/safetensors.hpp>

#include <cstdint>
#include <string>

namespace gradflow {

struct TrainingPosition {
  int64_t epoch = 0;  // completed epochs
  int64_t step = 0;   // steps done inside the next epoch (after an interruption)
};

// Written to a temporary file and renamed: an interruption leaves the previous file intact.
// `extra` metadata is stored alongside (the trainer keeps the metrics history there).
void save_checkpoint(const std::string& path, const Model& model, const Optimizer* optimizer,
                     const TrainingPosition& position, const Metadata& extra = {});

// Loads parameters (and optimizer state if `optimizer` is given) into an allocated model.
// Every missing, extra or mis-shaped tensor is an InputError naming the file.
TrainingPosition load_checkpoint(const std::string& path, Model& model, Optimizer* optimizer);
// The same from the file's contents (read by another process), `source` naming it in errors.
TrainingPosition load_checkpoint_data(const std::string& bytes, const std::string& source,
                                      Model& model, Optimizer* optimizer);

}  // namespace gradflow
