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
};

// One process, no communication.
std::unique_ptr<Communicator> solo_communicator();

}  // namespace gradflow
