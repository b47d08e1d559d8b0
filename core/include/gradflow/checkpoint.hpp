// Checkpoints are safetensors files: the parameters under their graph names ("hidden.weight"),
// optional optimizer state ("adam_m.hidden.weight", ...) and metadata (format, graph, epoch,
// step, and the run settings that resuming checks; see resume.hpp).
#pragma once

#include <gradflow/model.hpp>
#include <gradflow/optimizer.hpp>
#include <gradflow/safetensors.hpp>

#include <cstdint>
#include <string>

namespace gradflow {

inline constexpr const char* kCheckpointFormat = "gradflow-checkpoint/1";

struct TrainingPosition {
  int64_t epoch = 0;  // completed epochs
  int64_t step = 0;   // steps done inside the next epoch (after an interruption)
};

// Written to a temporary file and renamed: an interruption leaves the previous file intact.
// `extra` metadata is stored alongside (the trainer keeps the run settings and the metrics
// history there).
void save_checkpoint(const std::string& path, const Model& model, const Optimizer* optimizer,
                     const TrainingPosition& position, const Metadata& extra = {});

// Throws InputError, before any training, if a checkpoint of this model could not be written:
// every name that goes into the header must be valid UTF-8 (parameter names come from plugins).
void check_checkpoint_names(const Model& model);

// Loads parameters (and optimizer state if `optimizer` is given) into an allocated model.
// Every missing or mis-shaped tensor, a tensor holding NaN or infinity, a gradflow `format`
// other than kCheckpointFormat (for resuming: any other format), and an epoch, step or step
// count outside its range is an InputError naming the file. Weights are matched by tensor
// name and shape, not by the `graph` they were written for (resume.hpp checks that).
// `metadata`, if given, receives the file's metadata (for the resume checks).
TrainingPosition load_checkpoint(const std::string& path, Model& model, Optimizer* optimizer,
                                 Metadata* metadata = nullptr);
// The same on bytes already in memory; `source` names them in messages.
TrainingPosition load_checkpoint_bytes(const std::string& bytes, const std::string& source,
                                       Model& model, Optimizer* optimizer,
                                       Metadata* metadata = nullptr);

}  // namespace gradflow
