// Helpers of the data-parallel tests: graph-runner started by the MPI launcher found at
// configure time, and the weights a run leaves in its output folder.
#pragma once

#include <gradflow/safetensors.hpp>

#include "cli/process.hpp"
#include "support/weight_gap.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace gradflow::test {

// The launcher's command line for `ranks` copies of graph-runner with `args`. As root, Open MPI
// refuses to start without consent, which is given through the environment.
std::vector<std::string> mpi_command(int ranks, const std::vector<std::string>& args);

ProcessResult run_mpi(int ranks, const std::vector<std::string>& args,
                      std::chrono::milliseconds timeout = std::chrono::minutes(3));

// A fresh, empty folder under the system's temporary folder.
std::string fresh_dir(const std::string& name);

// model.safetensors of a run folder, by tensor name.
std::vector<NamedTensor> model_weights(const std::string& dir);

// The number of times `what` occurs in `text`.
int occurrences(const std::string& text, const std::string& what);

// The test accuracy in percent of graph-runner's "final:" line, or -1.
double final_test_accuracy(const std::string& out);

}  // namespace gradflow::test
