// The training loop of graph-runner: seeded shuffling, mini-batch / online / full-batch SGD,
// per-epoch evaluation, and the run folder (metrics.csv, curves.svg, model.safetensors,
// checkpoint.safetensors, decision.svg for 2-D inputs).
#pragma once

#include <gradflow/binding.hpp>
#include <gradflow/epoch_metrics.hpp>
#include <gradflow/graph_spec.hpp>
#include <gradflow/model.hpp>
#include <gradflow/optimizer.hpp>
#include <gradflow/registry.hpp>
#include <gradflow/samples.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace gradflow {

struct TrainOptions {
  std::optional<int64_t> epochs;
  std::optional<int64_t> batch_size;  // 0 = full
  std::optional<double> lr;
  std::optional<uint64_t> seed;
  std::string out_dir;  // empty = runs/<graph name>
  std::string resume;   // checkpoint to continue from
  std::string weights;  // start from these weights (fine-tuning), with a fresh optimizer
  int threads = 1;
  bool progress = false;               // draw a progress bar on stderr
  std::vector<std::string> plugins;    // --plugin flags, repeated in the printed resume command
  std::vector<std::string> overrides;  // the --set KEY=VALUE the graph was read with, for run.json
};

struct TrainReport {
  std::vector<EpochMetrics> history;
  bool interrupted = false;
  std::string out_dir;
};

// Thrown when the loss stops being finite; the message names epoch, step and node.
struct NumericFault : InputError {
  using InputError::InputError;
};

// Everything a training run works on, set up the same way for `train` and `bench`: the data
// set loaded, the graph planned with buffers for the batch and for evaluation, inputs bound,
// weights drawn from the seed, the optimizer created.
struct TrainingSetup {
  Dataset data;
  std::unique_ptr<Model> model;
  std::vector<Binding> bindings;
  std::unique_ptr<Optimizer> optimizer;
  int64_t batch = 0;  // samples per step (the whole set for batch_size: full)
};

// `purpose` completes "nothing to ..." in the errors for a graph without data or loss.
TrainingSetup prepare_training(const GraphSpec& spec, const OpRegistry& registry, Dataset data,
                               const std::string& purpose);

// The order of epoch e's samples depends only on (seed, e), so a resumed run replays it.
void epoch_order(uint64_t seed, int64_t epoch, std::vector<int64_t>& order);

TrainReport train(const GraphSpec& spec, const OpRegistry& registry, Dataset data,
                  const TrainOptions& options, std::ostream& out, std::ostream& log);

// The command that continues an interrupted run exactly: this run's graph, plugins, output
// folder and every setting that was given on the command line, then --resume CHECKPOINT.
// Arguments a shell would split or expand are single-quoted.
std::string resume_command(const std::string& graph_path, const TrainOptions& options,
                           const std::string& out_dir, const std::string& checkpoint);

// What run.json records about a run (spec with the command line's overrides applied).
struct RunSettings;
RunSettings describe_run(const GraphSpec& spec, const TrainingSetup& setup,
                         const TrainOptions& options);

// Applies --threads to OpenBLAS and to the core's thread pool.
void set_thread_count(int threads);

}  // namespace gradflow
