// `graph-runner bench`: times the training steps of a graph on its data set with the trainer's
// own pieces (plan, allocate, bind_inputs, load_batch, forward, backward, optimizer step), so
// that what is measured is what `train` runs. Evaluation is timed apart, not inside an epoch.
#pragma once

#include <gradflow/evaluation.hpp>
#include <gradflow/graph_spec.hpp>
#include <gradflow/registry.hpp>
#include <gradflow/samples.hpp>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace gradflow {

struct BenchOptions {
  std::optional<int64_t> batch_size;  // 0 = full; default: the graph's train.batch_size
  int64_t epochs = 3;                 // timed epochs
  int64_t warmup = 1;                 // untimed epochs first (page faults, BLAS buffers, caches)
  int threads = 1;
  // Steps per round (timed or warm-up); default: a whole epoch. The first steps of each
  // epoch's shuffled order, so that large networks at small batches can be timed briefly.
  std::optional<int64_t> steps;
  bool breakdown = false;  // time each node, the batch gathering and the optimizer apart
};

struct BenchReport {
  std::string graph;
  std::string dataset;
  int64_t train_samples = 0;
  int64_t batch = 0;
  int64_t steps_per_epoch = 0;
  int threads = 1;
  int64_t epochs = 0;
  int64_t warmup = 0;
  int64_t round_steps = 0;            // steps per round: steps_per_epoch unless options.steps
  std::vector<double> epoch_seconds;  // each timed round, training steps only
  // Seconds per epoch: the median round, scaled to steps_per_epoch when a round is shorter.
  double epoch_median = 0;
  double step_median = 0;  // seconds: median round / round_steps
  double samples_per_second = 0;
  // Work of one epoch's training steps, as the ops declare it per sample (gf_node_info: a
  // Linear layer with k inputs and n outputs counts 2nk for its forward product, 2nk for the
  // weight gradient and 2nk for the input gradient when its input needs one). The optimizer
  // is not counted.
  double flops_per_epoch = 0;
  double gflops = 0;          // flops_per_epoch / epoch_median / 1e9
  double eval_seconds = 0;    // one evaluation of the train and test splits after the last epoch
  double train_accuracy = 0;  // from that evaluation
  double test_accuracy = 0;
  double final_loss = 0;     // test loss
  int64_t peak_rss_kib = 0;  // getrusage ru_maxrss of the process
  // With options.breakdown: microseconds per step in each part, over the timed rounds
  // ("load_batch", "<op>.forward", "<op>.backward" summed over that op's nodes, "clear_grads",
  // "optimizer"), clock reads included. The fused softmax-CE gradient is in the loss op's
  // backward.
  std::vector<std::pair<std::string, double>> breakdown;
};

BenchReport bench(const GraphSpec& spec, const OpRegistry& registry, Dataset data,
                  const BenchOptions& options);

// One `key value` pair per line (stable order, plain numbers, seconds and bytes in SI units),
// or one JSON object with the same keys.
void print_bench(const BenchReport& report, std::ostream& out, bool json);

}  // namespace gradflow
