#include "mpi/mpi_support.hpp"

#include <gradflow/atomic_file.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace gradflow::test {

std::vector<std::string> mpi_command(int ranks, const std::vector<std::string>& args) {
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
  if (GRADFLOW_SANITIZED) {
    // Open MPI leaves memory behind at MPI_Finalize in plugins it has already unloaded, which
    // LeakSanitizer can neither name nor suppress. Under mpirun only leak detection is off
    // (memory errors and undefined behaviour are still caught); the data-parallel code runs
    // with it on in the unit tests, on threads.
    const char* asan = std::getenv("ASAN_OPTIONS");
    std::string options = asan ? asan : "";
    if (options.find("detect_leaks=0") == std::string::npos)
      ::setenv("ASAN_OPTIONS", (options + (options.empty() ? "" : ":") + "detect_leaks=0").c_str(),
               1);
  }
  std::vector<std::string> argv{GRADFLOW_MPIEXEC, GRADFLOW_MPIEXEC_NUMPROC_FLAG,
                                std::to_string(ranks)};
  // A CI machine may have fewer cores than ranks, which Open MPI refuses unless told, and is
  // shared with other jobs: a rank waiting in a collective then yields its core instead of
  // spinning on it while the rank it waits for is not running (10 times faster at load 18 on 2
  // cores).
  if (GRADFLOW_MPI_IS_OPEN_MPI)
    argv.insert(argv.end(), {"--oversubscribe", "--mca", "mpi_yield_when_idle", "1"});
  argv.push_back(GRADFLOW_RUNNER);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

ProcessResult run_mpi(int ranks, const std::vector<std::string>& args,
                      std::chrono::milliseconds timeout) {
  return run_process(mpi_command(ranks, args), timeout);
}

std::string fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("gradflow-mpi-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

std::vector<NamedTensor> model_weights(const std::string& dir) {
  const std::string path = dir + "/model.safetensors";
  return decode_safetensors(read_file(path), path);
}

int occurrences(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

double final_test_accuracy(const std::string& out) {
  const std::string key = "test accuracy";
  auto line = out.rfind("final:");
  if (line == std::string::npos) return -1;
  auto at = out.find(key, line);
  return at == std::string::npos ? -1 : std::atof(out.c_str() + at + key.size());
}

}  // namespace gradflow::test
