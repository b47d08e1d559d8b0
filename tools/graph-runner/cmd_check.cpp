#include "commands.hpp"
#include "session.hpp"

#include <gradflow/gradcheck.hpp>
#include <gradflow/model.hpp>
#include <gradflow/trainer.hpp>

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

void describe_graph(const GraphSpec& spec, const Model& model, std::ostream& out) {
  out << fmt::format("{}: valid, {} nodes, {} parameters\n", spec.path, model.nodes().size(),
                     model.parameters().size());
  for (const auto& node : model.nodes()) {
    const Value& v = model.values()[node.output];
    out << fmt::format("  {:<16} {:<14} -> {}{}\n", node.spec->name, node.op->def->name,
                       v.batched ? shape_to_string(v.shape) : "scalar",
                       node.fusion
                           ? fmt::format("  (backward fused with {})", node.fusion->producer)
                           : std::string());
  }
}

// `train:` is checked as `train` checks it: the data set loads, its fields bind to the
// graph's inputs, the optimizer is known.
void check_train_section(const GraphSpec& spec, const OpRegistry& registry) {
  if (!spec.train.present) return;
  Dataset data = load_graph_data(spec, "check");
  if (!spec.loss.empty()) prepare_training(spec, registry, std::move(data), "check");
}

std::string tensor_line(const testing::TensorCheck& t) {
  std::string line = fmt::format("{:>5} values  max abs err {:.2e}  max rel err {:.2e}", t.checked,
                                 t.max_abs_error, t.max_rel_error);
  if (t.skipped) line += fmt::format("  ({} skipped at kinks)", t.skipped);
  return line + (t.disagreed ? "  FAILED" : "  ok");
}

void node_table(const GradientCheckResult& r, std::ostream& out, int64_t& checked,
                int64_t& skipped) {
  out << "gradient check, node by node (each backward against finite differences of its node "
         "alone):\n";
  for (const auto& n : r.nodes) {
    std::string name = n.fused_with.empty() ? n.node : n.node + " + " + n.fused_with;
    if (!n.backward) {
      out << fmt::format("  {:<16} {:<14} forward only (the loss does not depend on it)\n", name,
                         n.op);
      continue;
    }
    for (size_t k = 0; k < n.tensors.size(); ++k) {
      const auto& t = n.tensors[k];
      out << fmt::format("  {:<16} {:<14} {:<28} {}\n", k ? "" : name, k ? "" : n.op, t.tensor,
                         tensor_line(t));
      checked += t.checked;
      skipped += t.skipped;
    }
  }
}

void graph_table(const GradientCheckResult& r, std::ostream& out, int64_t& checked,
                 int64_t& skipped) {
  if (r.graph.empty()) return;
  out << "gradient check, whole graph (the loss against finite differences):\n";
  for (const auto& t : r.graph) {
    out << fmt::format("  {:<24} {}\n", t.tensor, tensor_line(t));
    checked += t.checked;
    skipped += t.skipped;
  }
}

int run_check(const CheckArgs& a, const Common& common) {
  const uint64_t seed = parse_seed(a.seed).value_or(1);
  GraphSpec spec = load_graph_file(a.graph);
  OpRegistry registry;
  load_plugins(registry, common.plugins, &spec);
  auto model = Model::plan(spec, registry);
  check_train_section(spec, registry);
  std::ostringstream report;
  describe_graph(spec, *model, report);
  GradientCheckOptions options;
  options.seed = seed;
  // Four samples at a time: threads in the matrix products would only wait for each other.
  set_thread_count(1);
  GradientCheckResult result = check_gradients(spec, registry, options);
  if (!result.has_loss) {
    std::cout << report.str() << "no loss: gradient check skipped\n";
    return 0;
  }
  int64_t checked = 0, skipped = 0;
  node_table(result, report, checked, skipped);
  graph_table(result, report, checked, skipped);
  report << fmt::format("{} values checked, {} skipped", checked, skipped);
  if (skipped)
    report << ": the loss has a kink (a ReLU at 0, a hinge) within the finite-difference step "
              "there, where a difference says nothing about the backward";
  report << "\n";
  std::cout << report.str() << (result.passed() ? "gradient check passed\n" : "");
  std::cout.flush();
  if (!result.passed()) throw InputError(result.errors);
  return 0;
}

}  // namespace

void add_check(CLI::App& app, Common& common, Action& run) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* cmd = app.add_subcommand(
      "check",
      "Validate a graph (train section included), infer shapes and check every "
      "backward against finite differences, node by node and for the whole graph");
  cmd->add_option("graph", args->graph, "Graph file")->required();
  cmd->add_option("--seed", args->seed, "Seed for the random weights and inputs (default 1)");
  cmd->callback(
      [args, &common, &run] { run = [args, &common] { return run_check(*args, common); }; });
}

}  // namespace gradflow::cli
