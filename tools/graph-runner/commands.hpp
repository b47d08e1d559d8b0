// The subcommands of graph-runner. Each returns the process exit status; InputError thrown
// from inside becomes "file:line:col: error: ..." and status 2 in main().
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace gradflow::cli {

struct Common {
  std::vector<std::string> plugins;  // --plugin, repeatable
};

// Registers a subcommand on `app`; `run` is set to its action when it is chosen.
using Action = std::function<int()>;
void add_train(CLI::App& app, Common& common, Action& run);
void add_eval(CLI::App& app, Common& common, Action& run);
void add_predict(CLI::App& app, Common& common, Action& run);
void add_check(CLI::App& app, Common& common, Action& run);
void add_dot(CLI::App& app, Common& common, Action& run);
void add_ops(CLI::App& app, Common& common, Action& run);
void add_data(CLI::App& app, Common& common, Action& run);
void add_bench(CLI::App& app, Common& common, Action& run);
void add_explain(CLI::App& app, Common& common, Action& run);
void add_report(CLI::App& app, Common& common, Action& run);
void add_sweep(CLI::App& app, Common& common, Action& run);
void add_export(CLI::App& app, Common& common, Action& run);
void add_import(CLI::App& app, Common& common, Action& run);

}  // namespace gradflow::cli
