#include "commands.hpp"
#include "session.hpp"

#include <gradflow/atomic_file.hpp>
#include <gradflow/dot.hpp>
#include <gradflow/model.hpp>

#include <iostream>
#include <memory>

namespace gradflow::cli {

void add_dot(CLI::App& app, Common& common, Action& run) {
  struct Args {
    std::string graph, output;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("dot", "Export the graph as Graphviz DOT");
  cmd->add_option("graph", args->graph, "Graph file")->required();
  cmd->add_option("-o,--output", args->output, "Write to this file instead of stdout");
  cmd->callback([args, &common, &run] {
    run = [args, &common] {
      OpRegistry registry;
      GraphSpec spec = load_graph(args->graph, {}, registry, common.plugins);
      std::string dot = to_dot(*Model::plan(spec, registry));
      if (args->output.empty())
        std::cout << dot;
      else
        write_file_atomically(args->output, dot);
      return 0;
    };
  });
}

}  // namespace gradflow::cli
