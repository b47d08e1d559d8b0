// graph-runner: train, evaluate, check and draw gradflow graphs.
// Exit status: 0 success, 2 bad input (graph, data, checkpoint, plugin, flags), 1 internal.
#include "commands.hpp"

#include <gradflow/crash_report.hpp>
#include <gradflow/diagnostics.hpp>

#include <fmt/format.h>

#include <iostream>
#include <new>

int main(int argc, char** argv) {
  // A fault in a plugin's code then names the node, op, plugin file and pass.
  gradflow::install_crash_report();
  CLI::App app{"graph-runner: train, evaluate, check and draw gradflow computation graphs"};
  app.set_version_flag("--version", std::string("graph-runner (gradflow) ") + GRADFLOW_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  gradflow::cli::Common common;
  app.add_option("--plugin", common.plugins, "Extra op plugin library or folder (repeatable)");

  gradflow::cli::Action run;
  gradflow::cli::add_train(app, common, run);
  gradflow::cli::add_eval(app, common, run);
  gradflow::cli::add_predict(app, common, run);
  gradflow::cli::add_check(app, common, run);
  gradflow::cli::add_dot(app, common, run);
  gradflow::cli::add_ops(app, common, run);
  gradflow::cli::add_data(app, common, run);
  gradflow::cli::add_bench(app, common, run);
  gradflow::cli::add_explain(app, common, run);
  gradflow::cli::add_report(app, common, run);
  gradflow::cli::add_sweep(app, common, run);
  gradflow::cli::add_export(app, common, run);
  gradflow::cli::add_import(app, common, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "graph-runner: error: " << e.what() << "\n(run 'graph-runner --help' for usage)\n";
    return 2;
  }

  try {
    return run ? run() : 2;
  } catch (const gradflow::InputError& e) {
    std::cout.flush();
    for (const auto& d : e.diagnostics()) std::cerr << d.format() << '\n';
    return 2;
  } catch (const std::bad_alloc&) {
    std::cerr << "graph-runner: error: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "graph-runner: internal error: " << e.what() << '\n';
    return 1;
  }
}
