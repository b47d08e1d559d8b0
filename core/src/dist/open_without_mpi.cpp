// open_communicator() of a build without MPI: every run is a single process. Under an MPI
// launcher, rank 0 trains alone and says so, and the other copies step aside, so that K
// copies do not write the same run folder at once.
#include <gradflow/communicator.hpp>

#include "dist/launcher.hpp"

#include <cstdio>

namespace gradflow {

std::unique_ptr<Communicator> open_communicator(int& /*argc*/, char**& /*argv*/) {
  const LaunchedAs launch = launched_as();
  if (launch.size <= 1) return solo_communicator();
  if (launch.rank != 0) return nullptr;
  std::fprintf(stderr,
               "gradflow: warning: started by an MPI launcher as %d processes, but this "
               "graph-runner was built without MPI (install libopenmpi-dev and rebuild): "
               "process 0 runs alone and the others exit\n",
               launch.size);
  return solo_communicator();
}

}  // namespace gradflow
