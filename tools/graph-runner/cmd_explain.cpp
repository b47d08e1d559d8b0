#include "commands.hpp"
#include "session.hpp"

#include <gradflow/explain.hpp>
#include <gradflow/model.hpp>

#include <iostream>
#include <memory>

namespace gradflow::cli {

void add_explain(CLI::App& app, Common& common, Action& run) {
  struct Args {
    std::string graph;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "explain", "Each node's forward formula and the gradients its backward adds, with shapes");
  cmd->add_option("graph", args->graph, "Graph file")->required();
  cmd->callback([args, &common, &run] {
    run = [args, &common] {
      GraphSpec spec = load_graph_file(args->graph);
      OpRegistry registry;
      load_plugins(registry, common.plugins, &spec);
      auto model = Model::plan(spec, registry);
      std::cout << spec.name << ": " << model->nodes().size()
                << " nodes in execution order. B is the batch size; ∂L/∂v is the gradient of the "
                   "loss L with respect to v; for a loss node, ∂L/∂loss is its weight in 'loss:' "
                   "(1 by default)\n\n"
                << explain_text(explain_model(*model));
      return 0;
    };
  });
}

}  // namespace gradflow::cli
