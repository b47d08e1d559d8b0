#include "commands.hpp"
#include "session.hpp"

#include <gradflow/gradcheck.hpp>
#include <gradflow/model.hpp>

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <sstream>

namespace gradflow::cli {
namespace {

struct CheckArgs {
  std::string graph;
  std::string seed;
};

int run_check(const CheckArgs& a, const Common& common) {
  const uint64_t seed = parse_seed(a.seed).value_or(1);
  GraphSpec spec = load_graph_file(a.graph);
  OpRegistry registry;
  load_plugins(registry, common.plugins, &spec);
  auto model = Model::plan(spec, registry);
  // Printed only once everything passed, so a failure leaves no half report on stdout.
  std::ostringstream report;
  report << fmt::format("{}: valid, {} nodes, {} parameters\n", spec.path, model->nodes().size(),
                        model->parameters().size());
  for (const auto& node : model->nodes()) {
    const Value& out = model->values()[node.output];
    report << fmt::format("  {:<16} {:<14} -> {}{}\n", node.spec->name, node.op->def->name,
                          out.batched ? shape_to_string(out.shape) : "scalar",
                          node.fusion
                              ? fmt::format("  (backward fused with {})", node.fusion->producer)
                              : std::string());
  }
  GradientCheckOptions options;
  options.seed = seed;
  auto entries = check_gradients(spec, registry, options);
  if (entries.empty()) {
    report << "no loss: gradient check skipped\n";
    std::cout << report.str();
    return 0;
  }
  bool ok = true;
  report << "gradient check (central differences):\n";
  for (const auto& e : entries) {
    report << fmt::format("  {:<24} {:>5} values  max abs err {:.2e}  max rel err {:.2e}  {}\n",
                          e.tensor, e.checked, e.max_abs_error, e.max_rel_error,
                          e.passed ? "ok" : "FAILED");
    ok = ok && e.passed;
  }
  if (!ok) {
    std::cout << report.str();
    std::cerr << spec.path << ": error: backward disagrees with finite differences (see above)\n";
    return 2;
  }
  report << "gradient check passed\n";
  std::cout << report.str();
  return 0;
}

}  // namespace

void add_check(CLI::App& app, Common& common, Action& run) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* cmd = app.add_subcommand(
      "check", "Validate a graph, infer shapes and check every gradient by finite differences");
  cmd->add_option("graph", args->graph, "Graph file")->required();
  cmd->add_option("--seed", args->seed, "Seed for the random weights and inputs (default 1)");
  cmd->callback(
      [args, &common, &run] { run = [args, &common] { return run_check(*args, common); }; });
}

}  // namespace gradflow::cli
