// The training loop of graph-runner: seeded shuffling, mini-batch / online / full-batch SGD,
// per-epoch evaluation, and the run folder (metrics.csv, curves.svg, model.safetensors,
// checkpoint.safetensors, decision.svg for 2-D inputs).
#pragma once

#include <gradflow/binding.hpp>
#include <gradflow/communicator.hpp>
#include <gradflow/epoch_metrics.hpp>
#include <gradflow/graph_spec.hpp>
#include <gradflow/model.hpp>
#include <gradflow/optimizer.hpp>
#include <gradflow/registry.hpp>
#include <gradflow/samples.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gradflow {

// The shape of a run, told before its first epoch.
struct RunStart {
  std::string graph, dataset, optimizer;
  int64_t train_samples = 0, test_samples = 0, batch = 0, epochs = 0;
  double lr = 0;
};

// A run stopped on request: where, the checkpoint saved, and the command that continues it.
struct Interruption {
  int64_t epoch = 0, step = 0;
  std::string checkpoint, continue_with;
};

// What a training run tells its caller as it goes, and asks it. The run prints nothing itself:
// the command line turns these into its lines, the progress bar and Ctrl-C. In a data-parallel
// run only the root process tells (every process asks stop_requested). Any may be left empty.
struct TrainEvents {
  std::function<void(const RunStart&)> started;
  std::function<void(const std::string& checkpoint, int64_t epoch, int64_t step)> resumed;
  std::function<void(int64_t epoch, int64_t done, int64_t total)> progress;  // after each step
  std::function<void(const EpochMetrics&, int64_t epochs)> epoch_done;
  std::function<void(const Interruption&)> interrupted;
  // Before NumericFault is thrown, so that whatever the caller draws can be cleared first.
  std::function<void()> before_fault;
  // Polled before each step: true saves a checkpoint and ends the run (report.interrupted).
  std::function<bool()> stop_requested;
};

struct TrainOptions {
  std::optional<int64_t> epochs;
  std::optional<int64_t> batch_size;  // 0 = full
  std::optional<double> lr;
  std::optional<uint64_t> seed;
  std::string out_dir;  // empty = runs/<graph name>
  std::string resume;   // checkpoint to continue from
  std::string weights;  // start from these weights (fine-tuning), with a fresh optimizer
  int threads = 1;
  TrainEvents events;
  std::vector<std::string> plugins;    // --plugin flags, repeated in the printed resume command
  std::vector<std::string> overrides;  // the --set KEY=VALUE the graph was read with, for run.json
  // The processes the run is spread over (data parallelism); null: this process alone.
  Communicator* comm = nullptr;
};

// What the gradient exchange of a data-parallel run cost.
struct ExchangeCost {
  int processes = 1;
  double seconds_per_step = 0;
  double share_of_step = 0;  // 0..1
};

struct TrainReport {
  std::vector<EpochMetrics> history;
  bool interrupted = false;
  std::string out_dir;
  std::optional<ExchangeCost> exchange;  // set when the run was spread over processes
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

// Seconds spent in the parts of train_step that are not nodes (bench --breakdown).
struct StepTimes {
  double load_batch = 0, optimizer = 0;
};

// One training step on the samples order[0, count) of the training split: the batch gathered,
// forward (training pass), `check_loss` given the loss, backward, the optimizer's update. The
// step of `train` (in one process) and the step `bench` times.
void train_step(TrainingSetup& setup, const int64_t* order, int64_t count,
                const std::function<void(double loss)>& check_loss, StepTimes* times = nullptr);

// The order of epoch e's samples depends only on (seed, e), so a resumed run replays it.
void epoch_order(uint64_t seed, int64_t epoch, std::vector<int64_t>& order);

TrainReport train(const GraphSpec& spec, const OpRegistry& registry, Dataset data,
                  const TrainOptions& options);

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
