// What a process can tell, before any MPI call, about the launcher that started it: MPI
// launchers put the job's size and the process's rank in the environment.
#pragma once

namespace gradflow {

struct LaunchedAs {
  int rank = 0;
  int size = 1;  // 1 when no MPI launcher started this process
};

// Reads Open MPI's, MPICH's (PMI) and MVAPICH's variables; malformed values count as absent.
LaunchedAs launched_as();

}  // namespace gradflow
