// Data parallelism over a Communicator: every process holds the whole model and takes a shard
// of each global batch; one sum per step makes every process's gradient the gradient of the
// whole batch, so every process applies the same update.
//
// Failures: no process may leave the others waiting in a collective. Whatever one process
// throws is caught and carried to the next point where all of them meet (a step's gradient
// sum, or an explicit agreement), where every process throws the same RankFailure naming the
// lowest failing rank. Only a failure outside this protocol ends the run with
// Communicator::abort().
#pragma once

#include <gradflow/binding.hpp>
#include <gradflow/communicator.hpp>
#include <gradflow/evaluation.hpp>
#include <gradflow/model.hpp>
#include <gradflow/optimizer.hpp>

#include <cstdint>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace gradflow {

// The samples [begin, begin + count) of a global batch that one process takes: the first
// `total % size` processes take one more, so the shards differ by at most one sample and
// together cover the batch exactly once, in order.
struct Shard {
  int64_t begin = 0;
  int64_t count = 0;
};
Shard shard_of(int64_t total, int rank, int size);

// What one process's failure says, and the exit status it stands for (2 bad input, 1 internal).
struct LocalFailure {
  std::string text;  // empty: no failure
  int status = 0;
  bool failed() const { return !text.empty(); }
};
// Describes the exception being handled (call inside a catch block).
LocalFailure describe_current_exception();

// A failure every process agreed on: "rank R: <what R reported>", with R's exit status.
class RankFailure : public std::runtime_error {
 public:
  RankFailure(const std::string& text, int status) : std::runtime_error(text), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

// A collective: returns if no process failed, else every process throws the same RankFailure.
void agree(Communicator& comm, const LocalFailure& mine);

// Runs `work` in every process, then agree()s. With one process, `work`'s exception passes
// through unchanged, so a single-process run reports exactly what it always did.
void collectively(Communicator& comm, const std::function<void()>& work);

// What every process of a run must agree on (sizes, settings, checksums), as (name, value).
using RunFacts = std::vector<std::pair<std::string, std::string>>;
// A collective: a process whose facts differ from the root's fails with the first difference,
// e.g. "its train samples are 59999 but rank 0's are 60000" (another file on another machine).
void check_same_run(Communicator& comm, const RunFacts& mine);

// Copies the root's parameters and state tensors to every process.
void broadcast_model(Communicator& comm, Model& model);

// The contents of `path` as the root reads them, on every process (the others need no access
// to the file). `what` names the kind of file in messages, as read_file() takes it. A read
// failure on the root is a RankFailure everywhere.
std::string broadcast_file(Communicator& comm, const std::string& path,
                           const std::string& what = "file");

// The one collective of a training step: every process's parameter gradients, scaled by its
// share of the global batch, and its status, summed in one flat buffer allocated once.
class GradientExchange {
 public:
  GradientExchange(Communicator& comm, const std::vector<Parameter>& params);

  struct Contribution {
    bool has_gradients = false;  // false: no sample in this shard, or the step failed
    float share = 0;             // shard samples / global batch samples
    LocalFailure failure;
    bool interrupted = false;
  };
  // Writes the sum of every process's `share * gradient` into each parameter's grad and
  // returns whether any process was interrupted. Throws RankFailure if any process failed.
  // Allocates nothing unless a process failed.
  bool exchange(std::vector<Parameter>& params, const Contribution& mine);

 private:
  Communicator& comm_;
  std::vector<float> flat_;  // every gradient, then kFailed and kInterrupted
  int64_t gradients_ = 0;
};

// A training step of one process of a data-parallel run: forward and backward on its shard of
// the global batch, the exchange, the optimizer's update (the same on every process).
class DataParallelStep {
 public:
  // Throws if this shard's loss (mean over `rows` samples) cannot be trained on; it runs before
  // the exchange, so that its exception reaches every process.
  using LossCheck = std::function<void(double loss, int64_t rows)>;
  DataParallelStep(Communicator& comm, Model& model, Optimizer& optimizer, LossCheck check_loss);

  // The step on the global batch order[0, count) of `split`. Returns true, having updated
  // nothing, if any process was interrupted. Allocates nothing unless a process failed.
  bool run(const std::vector<Binding>& bindings, const Split& split, int64_t classes,
           const int64_t* order, int64_t count, bool interrupted);

  // Time spent in the exchange and in whole steps, for the summary line.
  double exchange_seconds() const { return exchange_seconds_; }
  double step_seconds() const { return step_seconds_; }
  int64_t steps() const { return steps_; }

 private:
  Communicator& comm_;
  Model& model_;
  Optimizer& optimizer_;
  LossCheck check_loss_;
  GradientExchange exchange_;
  double exchange_seconds_ = 0, step_seconds_ = 0;
  int64_t steps_ = 0;
};

// Loss and accuracy of a split evaluated in shards, one per process, summed: the same numbers
// as evaluate() on the whole split up to the order of the sums.
Evaluation evaluate_sharded(Communicator& comm, Model& model, const std::vector<Binding>& bindings,
                            const Split& split, int64_t classes);

}  // namespace gradflow
