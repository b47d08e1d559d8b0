// The subcommands of graph-runner. Each returns the process exit status; InputError thrown
// from inside becomes "file:line:col: error: ..." and status 2 in main().
#pragma once

#include <gradflow/communicator.hpp>

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace gradflow::cli {

struct Common {
  std::vector<std::string> plugins;  // --plugin, repeatable
  Communicator* comm = nullptr;      // the processes of this run (size 1 without mpirun)
  bool distributed = false;          // set by a command that runs on every process
};

// Registers a subcommand on `app`; `run` is set to its action when it is chosen.
using Action = std::function<int()>;
using AddCommand = void(CLI::App& app, Common& common, Action& run);
AddCommand add_train, add_eval, add_predict, add_check, add_dot, add_ops, add_data, add_bench,
    add_explain, add_report, add_sweep, add_export, add_import;

}  // namespace gradflow::cli
