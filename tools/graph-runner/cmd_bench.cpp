#include "commands.hpp"
#include "session.hpp"

#include <gradflow/bench.hpp>

#include <iostream>
#include <memory>

namespace gradflow::cli {
namespace {

struct BenchArgs {
  std::string graph;
  std::string batch_size;
  int64_t steps = 0;  // 0: whole epochs
  bool json = false;
  BenchOptions options;  // the flags that map one to one
};

int run_bench(const BenchArgs& a, const Common& common) {
  OpRegistry registry;
  GraphSpec spec = load_graph(a.graph, {}, registry, common.plugins);
  BenchOptions options = a.options;
  options.batch_size = parse_batch_size(a.batch_size);
  if (a.steps > 0) options.steps = a.steps;
  BenchReport report = bench(spec, registry, load_graph_data(spec, "benchmark"), options);
  print_bench(report, std::cout, a.json);
  return 0;
}

}  // namespace

void add_bench(CLI::App& app, Common& common, Action& run) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "bench", "Time the training steps of a graph (per step, per epoch, GFLOP/s, peak memory)");
  cmd->add_option("graph", args->graph, "Graph file (YAML, format gradflow/1)")->required();
  cmd->add_option("--batch-size", args->batch_size, "Samples per step, or 'full'");
  cmd->add_option("--threads", args->options.threads,
                  "Threads for matrix products, elementwise ops and the optimizer")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--epochs", args->options.epochs, "Timed epochs (median reported)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{10000}));
  cmd->add_option("--warmup", args->options.warmup, "Untimed epochs before")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{10000}));
  cmd->add_option("--steps", args->steps,
                  "Steps per round (timed or warm-up) instead of whole epochs; s/epoch is then "
                  "scaled from the median round")
      ->check(CLI::Range(int64_t{1}, int64_t{100000000}));
  cmd->add_flag("--breakdown", args->options.breakdown,
                "Also time each op's forward and backward, the batch gathering and the "
                "optimizer (microseconds per step)");
  cmd->add_flag("--json", args->json, "One JSON object instead of key value lines");
  cmd->callback(
      [args, &common, &run] { run = [args, &common] { return run_bench(*args, common); }; });
}

}  // namespace gradflow::cli
