// The processes one training run is spread over. A run in one process has a communicator of
// size 1 whose collectives do nothing; under `mpirun -np K`, graph-runner hands the trainer
// one backed by MPI (data parallelism: every process holds the whole model, takes a shard of
// each batch, and gradients are summed across processes before every update).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace gradflow {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  bool is_root() const { return rank() == 0; }

  // Element-wise sums over every process, in place; every process gets the result.
  virtual void sum(float* values, int64_t n) = 0;
  virtual void sum(double* values, int64_t n) = 0;
  // Copies the root's values to every process.
  virtual void broadcast(float* values, int64_t n) = 0;
  virtual void broadcast(std::string& text) = 0;

  // Every process says whether it failed since the last agreement, with its message; all
  // return the same answer: "" when no process failed, else "rank R: message" of the lowest
  // failing rank (a size-1 communicator returns the message as it is). A collective, so that
  // one process's error never leaves the others waiting.
  virtual std::string agree_on_failure(const std::string& my_failure) = 0;

  // The last resort when one process cannot reach an agreement (it failed outside the
  // protocol, or the network did): prints "gradflow: rank R: message" on stderr and ends every
  // process of the run with `status`.
  [[noreturn]] virtual void abort(const std::string& message, int status) = 0;
};

// One process, no communication.
std::unique_ptr<Communicator> solo_communicator();

// The communicator of this process, for graph-runner's main() (before the arguments are
// parsed: MPI may take its own out of argv). Started by an MPI launcher with more than one
// process, in a build with MPI: MPI is initialised, and finalised when the communicator is
// destroyed. Otherwise MPI is never touched and the communicator has size 1; under a launcher
// without MPI support the processes other than rank 0 get nullptr (they have nothing to do
// and should exit with status 0), and rank 0 says on stderr that it trains alone.
// Throws InputError if the launcher and the MPI library disagree about the number of processes.
std::unique_ptr<Communicator> open_communicator(int& argc, char**& argv);

}  // namespace gradflow
