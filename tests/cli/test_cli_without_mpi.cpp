// A graph-runner built without MPI but started by `mpirun -np K` cannot talk to the other
// copies: process 0 trains alone and says so, the others exit without touching the run folder.
// Only builds without MPI have this behaviour (with MPI, the launcher's variables start MPI).
#include "cli/process.hpp"

#include <catch2/catch.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#if !GRADFLOW_BUILT_WITH_MPI

using namespace gradflow::test;

namespace {

// What Open MPI's mpirun sets in each copy it starts, for the processes a test starts.
class LaunchedAsRank {
 public:
  LaunchedAsRank(int rank, int size) {
    ::setenv("OMPI_COMM_WORLD_SIZE", std::to_string(size).c_str(), 1);
    ::setenv("OMPI_COMM_WORLD_RANK", std::to_string(rank).c_str(), 1);
  }
  ~LaunchedAsRank() {
    ::unsetenv("OMPI_COMM_WORLD_SIZE");
    ::unsetenv("OMPI_COMM_WORLD_RANK");
  }
};

}  // namespace

TEST_CASE("without MPI, under an MPI launcher process 0 trains alone and says so") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("gradflow-nompi-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const std::string graph = GRADFLOW_SOURCE_DIR "/graphs/circles_mlp.yaml";
  {
    LaunchedAsRank spare(1, 2);
    auto r = run_runner({"train", graph, "--epochs", "1", "--out", dir.string()});
    INFO(r.status_text() << "\n" << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.empty());
    CHECK(r.err.empty());
    CHECK_FALSE(std::filesystem::exists(dir));
  }
  LaunchedAsRank first(0, 2);
  auto r = run_runner({"train", graph, "--epochs", "1", "--out", dir.string()});
  INFO(r.status_text() << "\n" << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("built without MPI") && Catch::Contains("2 processes"));
  CHECK_THAT(r.out, Catch::Contains("final:"));
  CHECK(std::filesystem::exists(dir / "model.safetensors"));
  std::filesystem::remove_all(dir);
}

#endif
