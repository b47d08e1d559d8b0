// What a resumed run must share with the run that wrote its checkpoint. A checkpoint's
// position (epoch, step) points into one sequence of batches: the one its graph, data, batch
// size and seed produce. Resuming with another of these would silently skip or repeat
// samples, so each is stored in the checkpoint and compared, and the differences are named.
#pragma once

#include <gradflow/checkpoint.hpp>
#include <gradflow/graph_spec.hpp>

#include <cstdint>
#include <string>

namespace gradflow {

struct RunIdentity {
  std::string graph;      // the graph's name
  std::string structure;  // fingerprint of inputs, nodes (ops, inputs, attributes) and loss
  std::string data;       // train.data written out canonically (keys sorted)
  int64_t batch = 0;      // samples per step (batch_size: full is the training set's size)
  uint64_t seed = 0;
};

// `spec` with the command line's overrides applied; `batch` the samples per step. Texts are
// ASCII (other bytes escaped) and bounded, so they always fit a checkpoint header.
RunIdentity run_identity(const GraphSpec& spec, int64_t batch);

// The identity as checkpoint metadata ("structure", "data", "batch_size", "seed").
Metadata identity_metadata(const RunIdentity& identity);

// Refuses, with every difference named and what to do about it, a checkpoint that is not a
// graph-runner training checkpoint or was written by a run with another identity, and a
// position that cannot belong to this run (a step beyond an epoch, more optimizer steps than
// batches seen). `optimizer_steps` is the count the checkpoint restored.
void check_resume(const std::string& source, const Metadata& meta, const RunIdentity& current,
                  const TrainingPosition& position, int64_t optimizer_steps,
                  int64_t steps_per_epoch);

}  // namespace gradflow
