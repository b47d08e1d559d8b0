#include "commands.hpp"
#include "console_events.hpp"
#include "session.hpp"

#include <gradflow/data_parallel.hpp>
#include <gradflow/trainer.hpp>

#include <unistd.h>

#include <iostream>
#include <memory>

namespace gradflow::cli {
namespace {

struct TrainArgs {
  std::string graph;
  std::optional<int64_t> epochs;
  std::string batch_size;
  std::string lr;
  std::string seed;
  std::string out;
  int threads = 1;
  std::string resume;
  std::vector<std::string> set;
  std::string weights;
};

int run_train(const TrainArgs& a, const Common& common) {
  // Under mpirun every process reads the graph, its plugins and its data; a failure in any of
  // them is reported once, by rank 0, and ends them all (see data_parallel.hpp).
  Communicator& comm = *common.comm;
  std::vector<GraphOverride> overrides;
  OpRegistry registry;
  GraphSpec spec;
  Dataset data;
  TrainOptions options;
  collectively(comm, [&] {
    for (const auto& text : a.set) overrides.push_back(parse_override(text));
    spec = load_graph(a.graph, overrides, registry, common.plugins);
    options.batch_size = parse_batch_size(a.batch_size);
    options.lr = parse_learning_rate(a.lr);
    options.seed = parse_seed(a.seed);
    data = load_graph_data(spec, overrides, "train");
  });
  options.epochs = a.epochs;
  options.out_dir = a.out;
  options.threads = a.threads;
  options.resume = a.resume;
  options.weights = a.weights;
  // Ctrl-C saves a checkpoint; the bar is drawn by the one process that prints.
  InterruptGuard interrupt;
  ProgressBar bar(std::cerr, comm.is_root() && ::isatty(STDERR_FILENO) != 0);
  options.events = console_events(bar, std::cout, std::cerr);
  options.plugins = common.plugins;
  for (const auto& o : overrides) options.overrides.push_back(o.key + "=" + o.value);
  options.comm = &comm;
  TrainReport report = train(spec, registry, std::move(data), options);
  if (report.interrupted) return 130;
  if (comm.is_root()) print_run_end(report, std::cout);
  return 0;
}

}  // namespace

void add_train(CLI::App& app, Common& common, Action& run) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand("train", "Train a graph on its data set");
  cmd->add_option("graph", args->graph, "Graph file (YAML, format gradflow/1)")->required();
  cmd->add_option("--epochs", args->epochs, "Number of epochs (overrides train.epochs)")
      ->check(CLI::Range(int64_t{0}, int64_t{1000000}));
  cmd->add_option("--batch-size", args->batch_size, "Samples per step, or 'full'");
  cmd->add_option("--lr", args->lr, "Learning rate (overrides the optimizer's lr)");
  cmd->add_option("--seed", args->seed, "Seed for initialisation and shuffling");
  cmd->add_option("--out", args->out, "Output folder (default runs/<graph name>)");
  cmd->add_option("--threads", args->threads,
                  "Threads for matrix products, elementwise ops and the optimizer")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--resume", args->resume, "Continue from a checkpoint.safetensors");
  cmd->add_option("--set", args->set,
                  "KEY=VALUE: change a value of the graph file, e.g. train.optimizer.lr=0.1, "
                  "nodes.hidden.out_features=20 (repeatable)");
  cmd->add_option("--weights", args->weights,
                  "Start from these weights (a model.safetensors, e.g. an imported model) "
                  "instead of the graph's initialisation; the optimizer starts fresh");
  cmd->callback([args, &common, &run] {
    common.distributed = true;  // `mpirun -np K graph-runner train`: data parallelism
    run = [args, &common] { return run_train(*args, common); };
  });
}

}  // namespace gradflow::cli
