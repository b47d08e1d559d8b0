// graph-runner: train, evaluate, check and draw gradflow graphs.
// Exit status: 0 success, 2 bad input (graph, data, checkpoint, plugin, flags), 1 internal.
// Under `mpirun -np K`, every process runs main(); only rank 0 prints.
#include "commands.hpp"

#include <gradflow/communicator.hpp>
#include <gradflow/crash_report.hpp>
#include <gradflow/data_parallel.hpp>
#include <gradflow/diagnostics.hpp>

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <new>

namespace {

using gradflow::Communicator;

// Returns -1 to go on, else the exit status. Every process parses the same arguments, so
// only rank 0 shows the help, the version or the error.
int parse_arguments(CLI::App& app, int argc, char** argv, const Communicator& comm) {
  try {
    app.parse(argc, argv);
    return -1;
  } catch (const CLI::Success& e) {  // --help, --version
    return comm.is_root() ? app.exit(e) : 0;
  } catch (const CLI::ParseError& e) {
    if (comm.is_root())
      std::cerr << "graph-runner: error: " << e.what()
                << "\n(run 'graph-runner --help' for usage)\n";
    return 2;
  }
}

// A failure every process agreed on is printed once; any other failure of a command spread
// over several processes may leave the others waiting, so it ends all of them.
int report(Communicator& comm, const gradflow::LocalFailure& failure, bool agreed) {
  if (!agreed && comm.size() > 1) comm.abort(failure.text, failure.status);
  if (comm.is_root()) {
    std::cout.flush();
    std::cerr << failure.text << '\n';
  }
  return failure.status;
}

int run_command(Communicator& comm, const gradflow::cli::Action& run) {
  try {
    return run ? run() : 2;
  } catch (const gradflow::RankFailure& e) {
    return report(comm, {e.what(), e.status()}, true);
  } catch (const gradflow::InputError&) {
    return report(comm, gradflow::describe_current_exception(), false);
  } catch (const std::bad_alloc&) {
    return report(comm, {"graph-runner: error: out of memory", 1}, false);
  } catch (const std::exception& e) {
    return report(comm, {std::string("graph-runner: internal error: ") + e.what(), 1}, false);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // A fault in a plugin's code then names the node, op, plugin file and pass.
  gradflow::install_crash_report();

  std::unique_ptr<Communicator> comm;
  try {
    comm = gradflow::open_communicator(argc, argv);
  } catch (const gradflow::InputError& e) {
    std::cerr << "graph-runner: error: " << e.what() << '\n';
    return 2;
  }
  if (!comm) return 0;  // a spare copy under an MPI launcher this build cannot talk to

  CLI::App app{"graph-runner: train, evaluate, check and draw gradflow computation graphs"};
  app.set_version_flag("--version", std::string("graph-runner (gradflow) ") + GRADFLOW_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  gradflow::cli::Common common;
  common.comm = comm.get();
  app.add_option("--plugin", common.plugins, "Extra op plugin library or folder (repeatable)");

  gradflow::cli::Action run;
  using namespace gradflow::cli;
  for (AddCommand* add :
       {&add_train, &add_eval, &add_predict, &add_check, &add_dot, &add_ops, &add_data, &add_bench,
        &add_explain, &add_report, &add_sweep, &add_export, &add_import})
    add(app, common, run);

  if (int status = parse_arguments(app, argc, argv, *comm); status >= 0) return status;
  // Only training is spread over processes; any other command runs once, on rank 0, alone.
  if (!common.distributed) {
    if (!comm->is_root()) return 0;
    return run_command(*gradflow::solo_communicator(), run);
  }
  return run_command(*comm, run);
}
